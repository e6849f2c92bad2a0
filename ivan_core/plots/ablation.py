"""Figures for ablation sweeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def plot_sweep(sweeps: Mapping[str, tuple[Sequence[float], Sequence[dict]]], metric: str = "psnr",
               region: str = "head", log_x: Sequence[str] = ()) -> Figure:
    """Mean ± std of ``metric`` against each swept value, one panel per sweep.

    ``sweeps`` maps a parameter name to ``(values, rows)`` where the rows' ``method`` labels
    appear in the same order as ``values`` (as :func:`ivan_core.tutorial.experiment.compare` rows
    relabelled per variant). Sweeps named in ``log_x`` get a logarithmic x axis.
    """
    fig, axes = plt.subplots(1, len(sweeps), figsize=(4 * len(sweeps), 3), squeeze=False)
    for ax, (param, (values, rows)) in zip(axes[0], sweeps.items()):
        labels = list(dict.fromkeys(r["method"] for r in rows))
        means, stds = [], []
        for label in labels:
            v = np.array([r[metric] for r in rows if r["method"] == label and r["region"] == region])
            means.append(v.mean())
            stds.append(v.std())
        ax.errorbar(list(values), means, yerr=stds, marker="o", capsize=3)
        ax.set(xlabel=param, ylabel=f"{metric.upper()} ({region})")
        if param in log_x:
            ax.set_xscale("log")
    fig.tight_layout()
    return fig
