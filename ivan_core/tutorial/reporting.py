"""Tables of results for notebooks: mean ± std over subjects, and rows for the run summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ivan_core.evaluation import summarise
from ivan_core.tutorial.results import result_row

METRICS = ("psnr", "ssim", "nmse")


#: Decimals shown per metric in tables (others: :data:`DEFAULT_DECIMALS`).
DECIMALS = {"psnr": 2, "ag": 2, "sf": 2, "en": 2}
DEFAULT_DECIMALS = 4


def metrics_table(rows: Sequence[dict], by: Sequence[str] = ("method", "modality", "region"),
                  metrics: Sequence[str] = METRICS, decimals: Mapping[str, int] = DECIMALS) -> pd.DataFrame:
    """``mean ± std`` over subjects of each metric (default PSNR in dB, SSIM, NMSE), one line per group.

    ``decimals`` maps a metric to the decimals shown; unlisted metrics get :data:`DEFAULT_DECIMALS`."""
    lines = []
    for entry in summarise(rows, metrics, by):
        line = {k: entry[k] for k in by if k in entry}
        line["subjects"] = entry["n"]
        for m in metrics:
            digits = decimals.get(m, decimals.get(m.lower(), DEFAULT_DECIMALS))
            line[m.upper()] = f"{entry[f'{m}_mean']:.{digits}f} ± {entry[f'{m}_std']:.{digits}f}"
        lines.append(line)
    return pd.DataFrame(lines)


def summary_rows(notebook: str, task: str, rows: Sequence[dict], region: str | None = "head",
                 paper: Mapping[tuple[str, str], float] | None = None, metrics: Sequence[str] = METRICS,
                 by: Sequence[str] = ("method", "modality"), prefix: str = "") -> list[dict]:
    """Result rows for the run summary: the mean over subjects of every metric, per group of ``by``.

    Names read ``"<prefix><METRIC>_<region> <modality> (<other by values>)"``, e.g.
    ``"PSNR_head T2 (iVAN)"``; ``region=None`` takes every row and leaves the region out (fusion
    metrics have none). ``paper`` maps ``(value of by[0], METRIC)``, e.g. ``("iVAN", "PSNR")``,
    to the paper's number where it reports one.
    """
    paper = paper or {}
    chosen = [r for r in rows if region is None or r["region"] == region]
    out = []
    for entry in summarise(chosen, metrics, by):
        where = f" {entry['modality']}" if "modality" in by else ""
        group = ", ".join(str(entry[k]) for k in by if k != "modality")
        for m in metrics:
            name = f"{prefix}{m.upper()}{'_' + region if region else ''}{where} ({group})"
            out.append(result_row(notebook, task, name, entry[f"{m}_mean"], paper.get((entry[by[0]], m.upper()))))
    return out


def metric_values(rows: Sequence[dict], metric: str = "psnr", **where: str):
    """Per-subject values of ``metric`` from rows matching every ``key=value`` in ``where``, as an array."""
    return np.array([r[metric] for r in rows if all(r.get(k) == v for k, v in where.items())])


def budget_table(methods: Mapping[str, Any]) -> pd.DataFrame:
    """What each method cost to fit: optimiser steps and wall-clock seconds.

    ``methods`` maps names to :class:`~ivan_core.tutorial.experiment.Method` objects."""
    return pd.DataFrame([{"method": name, "training steps": getattr(m, "steps", 0),
                          "seconds": round(float(getattr(m, "seconds", 0.0)), 1)} for name, m in methods.items()])
