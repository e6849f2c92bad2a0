"""Tables of results for notebooks: mean ± std over subjects, and rows for the run summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ivan_core.evaluation import CEILING, summarise
from ivan_core.evaluation.scoring import CEILING_METRICS
from ivan_core.metrics import FUSION_METRICS
from ivan_core.tutorial.paper import INVERSE_KIND, PaperNumber, paper_lookup, paper_number
from ivan_core.tutorial.results import result_row

METRICS = ("psnr", "ssim", "nmse")
#: Regions the synthesis rows report: inside the head mask, and the whole image (the paper's).
REGIONS = ("head", "full")
#: The paper's numbers for :func:`summary_rows`: a lookup ``(group, METRIC) -> number`` or a mapping.
PaperSource = (Callable[[Mapping, str], PaperNumber | float | None]
               | Mapping[tuple[str, str], PaperNumber | float] | None)


#: Decimals shown per metric in tables (others: :data:`DEFAULT_DECIMALS`).
DECIMALS = {"psnr": 2, "ag": 2, "sf": 2, "en": 2}
DEFAULT_DECIMALS = 4


def _mean_std(values: Sequence[float], digits: int) -> str:
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}" if len(values) else "–"


def metrics_table(rows: Sequence[dict], by: Sequence[str] = ("method", "modality", "region"),
                  metrics: Sequence[str] = METRICS, decimals: Mapping[str, int] = DECIMALS) -> pd.DataFrame:
    """``mean ± std`` over subjects of each metric (default PSNR in dB, SSIM, NMSE), one line per group.

    ``decimals`` maps a metric to the decimals shown; unlisted metrics get :data:`DEFAULT_DECIMALS`.
    Rows that carry the noise ceiling (``ceiling_psnr``, ``ceiling_ssim``: phantom rows of
    :func:`~ivan_core.tutorial.experiment.compare`) add the columns ``PSNR ceiling``, ``PSNR gap``
    (ceiling minus PSNR, per subject: how far the method is from the best any method can reach) and
    ``SSIM ceiling``; "–" for groups without it."""
    keys = [k for k in by if rows and k in rows[0]]
    capped = [m for m in metrics if m in CEILING_METRICS and any(f"ceiling_{m}" in r for r in rows)]
    lines = []
    for entry in summarise(rows, metrics, by):
        line = {k: entry[k] for k in by if k in entry}
        line["subjects"] = entry["n"]
        members = [r for r in rows if all(r[k] == entry[k] for k in keys)]
        for m in metrics:
            digits = decimals.get(m, decimals.get(m.lower(), DEFAULT_DECIMALS))
            line[m.upper()] = f"{entry[f'{m}_mean']:.{digits}f} ± {entry[f'{m}_std']:.{digits}f}"
            if m in capped:
                top = [r for r in members if f"ceiling_{m}" in r]
                line[f"{m.upper()} ceiling"] = _mean_std([r[f"ceiling_{m}"] for r in top], digits)
                if m == "psnr":
                    line["PSNR gap"] = _mean_std([r["ceiling_psnr"] - r["psnr"] for r in top], digits)
        lines.append(line)
    return pd.DataFrame(lines)


def _paper_of(paper: PaperSource, group: Mapping, metric: str, first: str) -> PaperNumber | float | None:
    if paper is None:
        return None
    if callable(paper):
        return paper(group, metric)
    return paper.get((group[first], metric))


def summary_rows(notebook: str, task: str, rows: Sequence[dict], region: str | Sequence[str] | None = REGIONS,
                 paper: PaperSource = None, metrics: Sequence[str] = METRICS,
                 by: Sequence[str] = ("method", "modality"), prefix: str = "") -> list[dict]:
    """Result rows for the run summary: mean and standard deviation over subjects of every metric,
    per group of ``by`` and per region.

    Names read ``"<prefix><METRIC>_<region> <modality> (<other by values>)"``, e.g.
    ``"PSNR_head T2 (iVAN)"`` and ``"PSNR_full T2 (iVAN)"``; ``value`` is the mean over the ``n``
    test subjects and ``std`` their standard deviation (``ddof=0``, as
    :func:`ivan_core.evaluation.summarise`).

    Parameters
    ----------
    notebook, task : str
        Written into every row.
    rows : sequence of dict
        Per-subject scores (one row per subject, method, modality, region).
    region : str, sequence of str or None
        Regions to report, each a value of the rows' ``region``: by default both the head mask
        (``"head"``) and the whole image (``"full"``, what the paper scores); ``None`` takes
        every row and leaves the region out of the name (fusion metrics have none).
    paper : callable, mapping or None
        The paper's number of a group: a callable ``(group, METRIC) -> PaperNumber | float | None``
        such as :func:`ivan_core.tutorial.paper.paper_lookup`, or a mapping
        ``(value of by[0], METRIC) -> number``, e.g. ``{("iVAN", "PSNR"): 24.7}``. The same
        number is given to every region (the paper's own region is the whole image).
    metrics : sequence of str
        Keys of the metric values in ``rows``.
    by : sequence of str
        Keys that form a group.
    prefix : str
        Put in front of every name.

    Rows that carry the noise ceiling (``ceiling_psnr``, ``ceiling_ssim``, see
    :func:`ivan_core.evaluation.with_ceiling`) add, per region and modality, ``"PSNR_head T2 (noise
    ceiling)"`` (and SSIM), and for every ``method`` starting with ``iVAN`` its distance to it,
    ``"PSNR_head T2 gap to noise ceiling (iVAN)"`` (mean and std over subjects of ceiling minus PSNR).
    """
    regions = [None] if region is None else [region] if isinstance(region, str) else list(region)
    out = []
    for where in regions:
        chosen = [r for r in rows if where is None or r["region"] == where]
        head = f"{'_' + where if where else ''}"
        for entry in summarise(chosen, metrics, by):
            modality = f" {entry['modality']}" if "modality" in by else ""
            group = ", ".join(str(entry[k]) for k in by if k != "modality")
            for m in metrics:
                name = f"{prefix}{m.upper()}{head}{modality} ({group})"
                out.append(result_row(notebook, task, name, entry[f"{m}_mean"], _paper_of(paper, entry, m.upper(), by[0]),
                                      std=entry[f"{m}_std"], n=entry["n"]))
        out += _ceiling_rows(notebook, task, chosen, metrics, by, f"{prefix}{{}}{head}")
    return out


def _ceiling_rows(notebook: str, task: str, rows: Sequence[dict], metrics: Sequence[str], by: Sequence[str],
                  name: str) -> list[dict]:
    """:func:`summary_rows`' noise-ceiling rows of ``rows`` (one region); ``name`` formats the METRIC."""
    out = []
    for m in (m for m in metrics if m in CEILING_METRICS):
        top = [r for r in rows if f"ceiling_{m}" in r]
        for modality in dict.fromkeys(r.get("modality") for r in top):
            mine = [r for r in top if r.get("modality") == modality]
            label = f" {modality}" if "modality" in by and modality is not None else ""
            seen = np.array(list({(r["subject"], r.get("modality")): r[f"ceiling_{m}"] for r in mine}.values()))
            out.append(result_row(notebook, task, f"{name.format(m.upper())}{label} ({CEILING})", seen.mean(),
                                  std=seen.std(), n=seen.size))
            if m != "psnr" or "method" not in by:
                continue
            others = [k for k in by if k != "modality"]
            for group in dict.fromkeys(tuple(r.get(k) for k in others) for r in mine):
                if not str(dict(zip(others, group))["method"]).startswith("iVAN"):
                    continue
                gaps = np.array([r["ceiling_psnr"] - r["psnr"] for r in mine if tuple(r.get(k) for k in others) == group])
                out.append(result_row(notebook, task, f"{name.format('PSNR')}{label} gap to {CEILING} "
                                      f"({', '.join(map(str, group))})", gaps.mean(), std=gaps.std(), n=gaps.size))
    return out


def gain_rows(notebook: str, task: str, label: str, better: Sequence[dict], worse: Sequence[dict],
              paper: PaperNumber | float | None = None, metric: str = "psnr",
              region: str | Sequence[str] = REGIONS) -> list[dict]:
    """Rows ``"<METRIC>_<region> gain <label> (dB)"``: mean and std over subjects of ``better - worse``.

    ``better`` and ``worse`` are per-subject score rows of two methods (e.g. ``compare`` rows
    filtered to one method each); they are paired by ``subject`` and ``modality`` within each
    region, so the spread is that of the per-subject gain.
    """
    regions = [region] if isinstance(region, str) else list(region)
    out = []
    for where in regions:
        base = {(r["subject"], r.get("modality")): r[metric] for r in worse if r["region"] == where}
        diffs = np.array([r[metric] - base[r["subject"], r.get("modality")] for r in better
                          if r["region"] == where and (r["subject"], r.get("modality")) in base])
        if diffs.size:
            out.append(result_row(notebook, task, f"{metric.upper()}_{where} gain {label} (dB)", diffs.mean(), paper,
                                  std=diffs.std(), n=diffs.size))
    return out


def metric_values(rows: Sequence[dict], metric: str = "psnr", **where: str):
    """Per-subject values of ``metric`` from rows matching every ``key=value`` in ``where``, as an array."""
    return np.array([r[metric] for r in rows if all(r.get(k) == v for k, v in where.items())])


def budget_table(methods: Mapping[str, Any]) -> pd.DataFrame:
    """What each method cost to fit: optimiser steps and wall-clock seconds.

    ``methods`` maps names to :class:`~ivan_core.tutorial.experiment.Method` objects."""
    return pd.DataFrame([{"method": name, "training steps": getattr(m, "steps", 0),
                          "seconds": round(float(getattr(m, "seconds", 0.0)), 1)} for name, m in methods.items()])


def fusion_summary_rows(notebook: str, task: str, study: Any, metrics: Sequence[str] = FUSION_METRICS) -> list[dict]:
    """The result rows of one fusion study: fusion metrics per method, separation scores per start.

    Parameters
    ----------
    notebook, task : str
        Written into every row (e.g. ``"06_t2ct_fusion"``, ``"t2ct_fusion (phantom)"``).
    study : FusionStudy or FusionCrossValidation
        A :func:`ivan_core.tutorial.fusion_study.run_fusion_study` or
        :func:`ivan_core.tutorial.fusion_cv.cross_validate_fusion` result (its ``table`` and ``separation``).
    metrics : sequence of str
        The fusion metrics of ``study.table`` to report.

    Returns
    -------
    list of dict
        :func:`summary_rows` of ``study.table`` by method (no region; the paper's Table III beside
        every iVAN variant and beside ``lp_sr``, ``lrd``, ``cs_mca`` and ``lp_cnn``), then of ``study.separation`` by method,
        start (``kind``) and modality, PSNR and SSIM, named ``"separation ..."``, with Table IV
        beside the 8-bit round trip.
    """
    ivan = {r["method"]: "iVAN" for r in study.table if r["method"].startswith("iVAN")}
    table_iii = paper_lookup("t2ct_fusion", {**ivan, "lp_sr": "LP-SR", "lrd": "LRD",
                                             "cs_mca": "CS-MCA", "lp_cnn": "LP-CNN"})
    table_iv = paper_lookup("t2ct_fusion", {INVERSE_KIND: "inverse"}, key="kind")
    return (summary_rows(notebook, task, study.table, region=None, metrics=metrics, by=("method",), paper=table_iii)
            + summary_rows(notebook, task, study.separation, metrics=("psnr", "ssim"),
                           by=("method", "kind", "modality"), prefix="separation ", paper=table_iv))


def fusion_wins_rows(notebook: str, task: str, ours: str, wins: Sequence[dict]) -> list[dict]:
    """:func:`~ivan_core.tutorial.fusion_cv.paired_wins` as result rows: on how many of ``n`` cases
    ``ours`` beats each method, per metric, named ``"cases won <METRIC> (<ours> vs <method>)"``."""
    return [result_row(notebook, task, f"cases won {m.upper()} ({ours} vs {w['method']})", w[m], n=w["cases"])
            for w in wins for m in w if m not in ("method", "cases", "beaten_on")]


def pet_summary_rows(rows: Mapping[str, Sequence[dict]], harvard_rows: Sequence[dict] = ()) -> list[dict]:
    """The result rows of notebook 05: each PET task beside Table II, the gain of T1 + T2 over T1 alone,
    and the Harvard T1 -> PET rows when there are any.

    Parameters
    ----------
    rows : mapping
        ``{"t1_to_pet": rows, "t1t2_to_pet": rows}``, per-subject ``compare`` rows on the phantom.
    harvard_rows : sequence of dict
        ``compare`` rows of the T1 -> PET network on the Harvard PET-MRI cases (Table II's data).
    """
    notebook = "05_mri_to_pet"
    paper = {name: paper_lookup(name, {"iVAN": "iVAN"}) for name in rows}
    out = [r for name in rows for r in summary_rows(notebook, name, rows[name], paper=paper[name])]
    ivan = {name: [r for r in rows[name] if r["method"] == "iVAN"] for name in rows}
    out += gain_rows(notebook, "t1t2_to_pet", "over T1 only", ivan["t1t2_to_pet"], ivan["t1_to_pet"],
                     paper_number("t1t2_to_pet", "gain: T1+T2 over T1", "PSNR"))
    if harvard_rows:
        out += summary_rows(notebook, "t1_to_pet (Harvard)", harvard_rows, paper=paper["t1_to_pet"])
    return out


def ablation_summary_rows(norm: Sequence[dict], channels: Sequence[dict], lam: Sequence[dict],
                          lam_inverse: Sequence[dict], depth: Sequence[dict]) -> list[dict]:
    """The result rows of notebook 09, each ablation's per-subject rows beside the paper's table.

    ``norm`` (methods ``"L1"``, ``"L2"``) sits beside Table V and ``channels`` (``"3 channels"``,
    ``"6 channels"``) beside Table VI; the paper has no λ or depth table, so ``lam``, its inverse
    rows ``lam_inverse`` (named ``"inverse ..."``) and ``depth`` get no paper number.
    """
    notebook = "09_ablations"
    table_v = paper_lookup("t1pd_to_t2", {"L1": "L1-norm", "L2": "L2-norm"})
    table_vi = paper_lookup("t1t2_to_pet", {"3 channels": "3-channel", "6 channels": "6-channel"})
    return (summary_rows(notebook, "t1pd_to_t2 (loss norm)", norm, paper=table_v)
            + summary_rows(notebook, "t1t2_to_pet (channels)", channels, paper=table_vi)
            + summary_rows(notebook, "t1pd_to_t2 (lambda)", lam)
            + summary_rows(notebook, "t1pd_to_t2 (lambda)", lam_inverse, prefix="inverse ")
            + summary_rows(notebook, "t1pd_to_t2 (depth)", depth))


def recipe_summary_rows(curves: Mapping[str, Sequence[dict]], runs: Sequence[dict]) -> list[dict]:
    """The result rows of notebook 10: the last point of each learning curve and each full run.

    ``curves`` maps a recipe name to its points (``steps``, ``psnr``) on T1 + PD -> T2; ``runs`` are
    full trainings (``task``, ``recipe``, ``steps``, ``psnr``).
    """
    notebook = "10_training_recipe"
    return ([result_row(notebook, "t1pd_to_t2", f"PSNR_head T2 ({name}, {p[-1]['steps']} steps)", p[-1]["psnr"])
             for name, p in curves.items()]
            + [result_row(notebook, r["task"], f"PSNR_head ({r['recipe']}, {r['steps']} steps)", r["psnr"])
               for r in runs])


def markdown_table(records: Sequence[dict]) -> str:
    """Records (one dict per line, the first one's keys as columns) as a markdown table."""
    header = list(records[0])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(r[k]) for k in header) + " |" for r in records])
