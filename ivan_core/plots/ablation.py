"""Figures for ablation sweeps: a metric against the swept value, and the forward/inverse trade-off.

Rows carrying ``ceiling_psnr`` / ``ceiling_ssim`` (:func:`~ivan_core.evaluation.with_ceiling`) add the noise ceiling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, NullLocator

from ivan_core.evaluation.scoring import CEILING, ceiling_value
from ivan_core.plots.ceiling import draw_ceiling


def _value_ticks(ax: Axes, values: Sequence[float], log: bool) -> None:
    """Ticks exactly at the swept values, labelled as typed (``0.25``, ``1``, ``4``), none between."""
    if log:
        ax.set_xscale("log")
    ax.set_xticks(list(values), [f"{v:g}" for v in values])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _mean_std(rows: Sequence[dict], labels: Sequence[str], metric: str, region: str,
              **where: str) -> tuple[np.ndarray, np.ndarray]:
    means, stds = [], []
    for label in labels:
        v = np.array([r[metric] for r in rows if r["method"] == label and r["region"] == region
                      and all(r.get(k) == x for k, x in where.items())], dtype=np.float64)
        means.append(v.mean() if v.size else np.nan)
        stds.append(v.std() if v.size else np.nan)
    return np.array(means), np.array(stds)


def plot_sweep(sweeps: Mapping[str, tuple[Sequence[float], Sequence[dict]]], metric: str = "psnr",
               region: str = "head", log_x: Sequence[str] = ()) -> Figure:
    """Mean ± std of ``metric`` in ``region`` against each swept value, one panel per sweep.

    ``sweeps`` maps a parameter name to ``(values, rows)``, the rows' ``method`` labels in the order of ``values`` (e.g.
    :func:`ivan_core.tutorial.experiment.compare` rows relabelled per variant); ``log_x`` names sweeps on a log axis.
    """
    fig, axes = plt.subplots(1, len(sweeps), figsize=(4 * len(sweeps), 3), squeeze=False)
    for ax, (param, (values, rows)) in zip(axes[0], sweeps.items()):
        labels = list(dict.fromkeys(r["method"] for r in rows))
        means, stds = _mean_std(rows, labels, metric, region)
        ax.errorbar(list(values), means, yerr=stds, marker="o", capsize=3)
        ax.set(xlabel=param, ylabel=f"{metric.upper()} ({region})")
        if draw_ceiling(ax, ceiling_value(rows, metric, region=region)):
            ax.legend(fontsize=7)
        _value_ticks(ax, values, param in log_x)
    fig.tight_layout()
    return fig


def plot_tradeoff(values: Sequence[float], forward: Sequence[dict], inverse: Sequence[dict], param: str = "λ",
                  metric: str = "psnr", region: str = "head", log_x: bool = True) -> Figure:
    """The forward/inverse trade-off of a sweep: both scores against the swept value, and one against the other.

    Parameters
    ----------
    values : sequence of float
        The swept values, in the order their ``method`` labels first appear in ``forward``.
    forward, inverse : sequence of dict
        Per-subject score rows (``method``, ``modality``, ``region``, the metric) with the same ``method`` labels;
        ``inverse`` of one ``kind`` (e.g. ``"inverse synthesis"`` of :func:`ivan_core.evaluation.inverse_rows`).
    param : str
        Name of the swept parameter, for labels.

    ValueError when ``values`` and the forward methods differ in number.
    """
    labels = list(dict.fromkeys(r["method"] for r in forward))
    if len(labels) != len(values):
        raise ValueError(f"{len(values)} values but {len(labels)} methods in the forward rows")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    unit = " [dB]" if metric == "psnr" else ""
    for rows, style, side in ((forward, "-", "forward"), (inverse, "--", "inverse")):
        for modality in dict.fromkeys(r["modality"] for r in rows):
            means, stds = _mean_std(rows, labels, metric, region, modality=modality)
            left.errorbar(list(values), means, yerr=stds, marker="o", linestyle=style, capsize=3,
                          label=f"{side}: {modality}")
    forward_modalities = list(dict.fromkeys(r["modality"] for r in forward))
    for modality in forward_modalities:
        draw_ceiling(left, ceiling_value(forward, metric, region=region, modality=modality),
                     CEILING if len(forward_modalities) == 1 else f"{CEILING}: {modality}")
    left.set(xlabel=param, ylabel=f"{metric.upper()} ({region}){unit}", title=f"both directions against {param}")
    _value_ticks(left, values, log_x)
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    x, _ = _mean_std(forward, labels, metric, region)
    y, _ = _mean_std(inverse, labels, metric, region)
    right.plot(x, y, "-o", color="C3")
    for value, xi, yi in zip(values, x, y):
        right.annotate(f"{param}={value:g}", (xi, yi), textcoords="offset points", xytext=(5, 5), fontsize=8)
    right.set(xlabel=f"forward {metric.upper()}{unit}", ylabel=f"inverse {metric.upper()}{unit}",
              title="the trade-off: one point per value")
    right.grid(alpha=0.3)
    right.margins(0.2)
    fig.tight_layout()
    return fig


def plot_pairs(comparisons: Mapping[str, tuple[Sequence[dict], Sequence[str]]], metric: str = "psnr",
               region: str = "head") -> Figure:
    """Per-subject scores of two or more variants joined subject by subject, with their means, a panel per comparison.

    ``comparisons`` maps a panel title to ``(rows, methods)``: score rows (``subject``, ``method``, ``region``, the metric;
    modalities averaged per subject) and the ``method`` labels to place left to right.
    """
    fig, axes = plt.subplots(1, len(comparisons), figsize=(3.6 * len(comparisons), 3.4), squeeze=False)
    unit = " [dB]" if metric == "psnr" else ""
    for ax, (title, (rows, methods)) in zip(axes[0], comparisons.items()):
        chosen = [r for r in rows if r["region"] == region]
        subjects = list(dict.fromkeys(r["subject"] for r in chosen))
        table = np.array([[np.mean([r[metric] for r in chosen if r["subject"] == s and r["method"] == m] or [np.nan])
                           for m in methods] for s in subjects])
        positions = np.arange(len(methods))
        for line in table:
            ax.plot(positions, line, "-o", color="0.6", markersize=4, linewidth=1)
        ax.plot(positions, np.nanmean(table, axis=0), "D", color="black", markersize=7, label="mean")
        draw_ceiling(ax, ceiling_value([r for r in chosen if r["method"] in methods], metric))
        ax.set_xticks(positions, list(methods))
        ax.set_xlim(-0.4, len(methods) - 0.6)
        ax.set(title=title, ylabel=f"{metric.upper()} ({region}){unit}")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
