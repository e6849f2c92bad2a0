"""Training curves and side-by-side synthesis figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ivan_core.plots.ceiling import draw_ceiling
from ivan_core.plots.error_maps import abs_error as abs_error  # kept importable from here
from ivan_core.plots.error_maps import draw_error, error_scale


def plot_history(history: Sequence[Mapping[str, float]], title: str = "") -> Figure:
    """Forward and inverse loss terms per epoch (train solid, validation dashed), log scale."""
    fig, ax = plt.subplots(figsize=(5, 3))
    epochs = [row["epoch"] for row in history]
    for term, colour in (("forward", "C0"), ("inverse", "C1")):
        ax.plot(epochs, [row[f"train_{term}"] for row in history], color=colour, label=f"train {term}")
        scored = [row for row in history if f"val_{term}" in row]  # validation may skip epochs
        if scored:
            ax.plot([row["epoch"] for row in scored], [row[f"val_{term}"] for row in scored], "--",
                    color=colour, marker="." if len(scored) < len(history) else None, label=f"val {term}")
    ax.set(xlabel="epoch", ylabel="loss", yscale="log", title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def show_row(images: Mapping[str, np.ndarray], errors: Mapping[str, np.ndarray] | None = None, title: str = "",
             error_max: float | None = None) -> Figure:
    """One slice per panel in a row: ``images`` ``(H, W)`` in grey on [0, 1], then ``errors`` as error maps.

    ``errors`` are absolute-error maps drawn by :func:`~ivan_core.plots.error_maps.draw_error` on one scale (``error_max``,
    default :func:`~ivan_core.plots.error_maps.error_scale` of them).
    """
    errors = dict(errors or {})
    if errors and error_max is None:
        error_max = error_scale(errors.values())
    panels = [(name, img, False) for name, img in images.items()]
    panels += [(name, img, True) for name, img in errors.items()]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels) + 0.4 * len(errors), 2.7), squeeze=False)
    for ax, (name, img, is_error) in zip(axes[0], panels):
        if is_error:
            draw_error(ax, img, error_max, name)
        else:
            ax.imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_title(name, fontsize=9)
            ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_learning_curves(curves: Mapping[str, Sequence[dict]], x: str = "steps",
                         references: Mapping[str, float] | None = None, metric: str = "psnr",
                         ceiling: float | None = None) -> Figure:
    """Held-out ``metric`` against training ``x`` (``"steps"`` or ``"seconds"``), one line per curve.

    ``curves`` maps a label to points of :func:`ivan_core.tutorial.recipe.curve_points`; ``references`` adds labelled
    horizontal lines; ``ceiling`` the noise ceiling (:func:`ivan_core.evaluation.noise_ceiling`) as a dashed line.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, points in curves.items():
        ax.plot([p[x] for p in points], [p[metric] for p in points], marker="o", label=label)
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color=f"C{len(curves) + i}", linestyle="--", label=label)
    draw_ceiling(ax, ceiling)
    ax.set(xlabel="training steps" if x == "steps" else "training seconds",
           ylabel=f"held-out {metric.upper()} (head)" + (" [dB]" if metric == "psnr" else ""))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_recipe_runs(runs: Sequence[dict], references: Mapping[str, Mapping[str, float]] | None = None,
                     metric: str = "psnr", ceiling: Mapping[str, float] | None = None) -> Figure:
    """Held-out ``metric`` of finished training runs, one panel per task and one bar per recipe.

    ``runs`` are rows ``{"task", "recipe", metric, ...}``; ``references`` maps a task to labelled horizontal lines;
    ``ceiling`` maps a task to its noise ceiling (:func:`ivan_core.evaluation.noise_ceiling`), drawn dashed.
    """
    tasks = list(dict.fromkeys(r["task"] for r in runs))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.6 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        rows = [r for r in runs if r["task"] == task]
        values = [r[metric] for r in rows]
        ax.bar(range(len(rows)), values, color=[f"C{i}" for i in range(len(rows))])
        for i, v in enumerate(values):
            ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
        for j, (label, value) in enumerate((references or {}).get(task, {}).items()):
            ax.axhline(value, color="0.2", linestyle=("--", ":", "-.")[j % 3], linewidth=1, label=f"{label} {value:.2f}")
        ax.set_xticks(range(len(rows)), [r["recipe"] for r in rows], rotation=20, ha="right", fontsize=8)
        top = (ceiling or {}).get(task)
        draw_ceiling(ax, top, f"noise ceiling {top:.2f}" if top is not None else "")
        low = min(values + list((references or {}).get(task, {}).values()))
        ax.set_ylim(low - 0.6, max(values + ([top] if top is not None else [])) + 0.4)
        ax.set(title=task, ylabel=f"held-out {metric.upper()} (head)" + (" [dB]" if metric == "psnr" else ""))
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
