"""Tables of results for notebooks: mean ± std over subjects, and rows for the run summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ivan_core.evaluation import summarise
from ivan_core.tutorial.results import result_row

METRICS = ("psnr", "ssim", "nmse")


def metrics_table(rows: Sequence[dict], by: Sequence[str] = ("method", "modality", "region"),
                  metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """``mean ± std`` over subjects of each metric (default PSNR in dB, SSIM, NMSE), one line per group."""
    lines = []
    for entry in summarise(rows, metrics, by):
        line = {k: entry[k] for k in by if k in entry}
        line["subjects"] = entry["n"]
        for m in metrics:
            digits = 2 if m.lower() in ("psnr", "ag", "sf", "en") else 4
            line[m.upper()] = f"{entry[f'{m}_mean']:.{digits}f} ± {entry[f'{m}_std']:.{digits}f}"
        lines.append(line)
    return pd.DataFrame(lines)


def summary_rows(notebook: str, task: str, rows: Sequence[dict], region: str = "head",
                 paper: Mapping[tuple[str, str], float] | None = None) -> list[dict]:
    """Result rows (mean over subjects) of every method and metric in ``region``.

    ``paper`` maps ``(method, metric)`` (metric upper-case, e.g. ``("iVAN", "PSNR")``) to the
    paper's number where it reports one. Metric names read ``"PSNR_head (iVAN)"``.
    """
    paper = paper or {}
    out = []
    for entry in summarise([r for r in rows if r["region"] == region], METRICS, ("method", "modality")):
        for m in METRICS:
            name = f"{m.upper()}_{region} {entry['modality']} ({entry['method']})"
            out.append(result_row(notebook, task, name, entry[f"{m}_mean"],
                                  paper.get((entry["method"], m.upper()))))
    return out


def metric_values(rows: Sequence[dict], metric: str = "psnr", **where: str):
    """Per-subject values of ``metric`` from rows matching every ``key=value`` in ``where``, as an array."""
    return np.array([r[metric] for r in rows if all(r.get(k) == v for k, v in where.items())])


def budget_table(methods: Mapping[str, Any]) -> pd.DataFrame:
    """What each method cost to fit: optimiser steps and wall-clock seconds.

    ``methods`` maps names to :class:`~ivan_core.tutorial.experiment.Method` objects."""
    return pd.DataFrame([{"method": name, "training steps": getattr(m, "steps", 0),
                          "seconds": round(float(getattr(m, "seconds", 0.0)), 1)} for name, m in methods.items()])
