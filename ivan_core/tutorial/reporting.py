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
from ivan_core.tutorial.results import format_value, result_row

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
    """``mean ± std`` over subjects of each metric, one line per group; ``decimals`` per metric (else
    :data:`DEFAULT_DECIMALS`). Rows with a noise ceiling add ``PSNR ceiling``, ``PSNR gap`` and ``SSIM ceiling``."""
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
    """Run-summary rows: mean and std (``ddof=0``) over subjects of every metric, per group of ``by`` and region.

    Names read ``"<prefix><METRIC>_<region> <modality> (<other by values>)"``, e.g. ``"PSNR_head T2 (iVAN)"``;
    ``region=None`` takes every row and leaves the region out. ``paper`` is ``(group, METRIC) -> number``
    (:func:`~ivan_core.tutorial.paper.paper_lookup`) or ``{(value of by[0], METRIC): number}``. Rows with a noise
    ceiling add ``(noise ceiling)`` rows and, for methods starting with ``iVAN``, the gap to it.
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
    """:func:`summary_rows`' noise-ceiling rows of one region; ``name`` formats the METRIC."""
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
    """Rows ``"<METRIC>_<region> gain <label> (dB)"``: mean and std over subjects of ``better - worse``,
    paired by ``subject`` and ``modality`` within each region."""
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
    """Optimiser steps and wall-clock seconds of each :class:`~ivan_core.tutorial.experiment.Method`."""
    return pd.DataFrame([{"method": name, "training steps": getattr(m, "steps", 0),
                          "seconds": round(float(getattr(m, "seconds", 0.0)), 1)} for name, m in methods.items()])


def fusion_summary_rows(notebook: str, task: str, study: Any, metrics: Sequence[str] = FUSION_METRICS) -> list[dict]:
    """Result rows of a fusion study (:class:`~ivan_core.tutorial.fusion_study.FusionStudy` or
    :class:`~ivan_core.tutorial.fusion_cv.FusionCrossValidation`): ``table`` by method beside Table III, then
    ``separation`` by method, start and modality beside Table IV."""
    ivan = {r["method"]: "iVAN" for r in study.table if r["method"].startswith("iVAN")}
    table_iii = paper_lookup("t2ct_fusion", {**ivan, "lp_sr": "LP-SR", "lrd": "LRD",
                                             "cs_mca": "CS-MCA", "lp_cnn": "LP-CNN"})
    table_iv = paper_lookup("t2ct_fusion", {INVERSE_KIND: "inverse"}, key="kind")
    return (summary_rows(notebook, task, study.table, region=None, metrics=metrics, by=("method",), paper=table_iii)
            + summary_rows(notebook, task, study.separation, metrics=("psnr", "ssim"),
                           by=("method", "kind", "modality"), prefix="separation ", paper=table_iv))


def fusion_wins_rows(notebook: str, task: str, ours: str, wins: Sequence[dict]) -> list[dict]:
    """:func:`~ivan_core.tutorial.fusion_cv.paired_wins` as rows ``"cases won <METRIC> (<ours> vs <method>)"``."""
    return [result_row(notebook, task, f"cases won {m.upper()} ({ours} vs {w['method']})", w[m], n=w["cases"])
            for w in wins for m in w if m not in ("method", "cases", "beaten_on")]


def pet_summary_rows(rows: Mapping[str, Sequence[dict]], harvard_rows: Sequence[dict] = ()) -> list[dict]:
    """Result rows of notebook 05 (``rows`` is ``{"t1_to_pet": rows, "t1t2_to_pet": rows}``): each task
    beside Table II, the T1 + T2 over T1 gain, and Harvard rows if any."""
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
    """Result rows of notebook 09: ``norm`` beside Table V, ``channels`` beside Table VI; the rest without."""
    notebook = "09_ablations"
    table_v = paper_lookup("t1pd_to_t2", {"L1": "L1-norm", "L2": "L2-norm"})
    table_vi = paper_lookup("t1t2_to_pet", {"3 channels": "3-channel", "6 channels": "6-channel"})
    return (summary_rows(notebook, "t1pd_to_t2 (loss norm)", norm, paper=table_v)
            + summary_rows(notebook, "t1t2_to_pet (channels)", channels, paper=table_vi)
            + summary_rows(notebook, "t1pd_to_t2 (lambda)", lam)
            + summary_rows(notebook, "t1pd_to_t2 (lambda)", lam_inverse, prefix="inverse ")
            + summary_rows(notebook, "t1pd_to_t2 (depth)", depth))


def recipe_summary_rows(curves: Mapping[str, Sequence[dict]], runs: Sequence[dict]) -> list[dict]:
    """Result rows of notebook 10: the last point of each learning curve and each full run."""
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


def versus_paper(rows: Sequence[dict], why: Mapping[str, str], only: str | None = None) -> pd.DataFrame:
    """The result rows (:func:`~ivan_core.tutorial.results.result_row`) that carry a paper number, as a table
    ``task | quantity | paper | ours | why they differ``; ``only`` keeps the metrics containing it.

    ``why`` maps a substring of the metric to the reason given; the first that matches wins, ``""`` matches all.
    """
    table = []
    for r in rows:
        if r["paper"] is None or (only is not None and only not in r["metric"]):
            continue
        reason = next((text for key, text in why.items() if key in r["metric"]), "")
        table.append({"task": r["task"], "quantity": r["metric"], "paper": format_value(r["paper"], r.get("paper_std")),
                      "ours": format_value(r["value"], r.get("std")), "why they differ": reason})
    return pd.DataFrame(table)
