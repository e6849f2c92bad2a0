"""Training curves and side-by-side synthesis figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


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


def abs_error(reference: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """``|reference - estimate|``, averaged over colour channels: ``(..., H, W)``."""
    err = np.abs(np.asarray(reference, np.float32) - np.asarray(estimate, np.float32))
    return err.mean(axis=-1) if err.ndim == 4 or (err.ndim == 3 and err.shape[-1] == 3) else err


def show_row(images: Mapping[str, np.ndarray], errors: Mapping[str, np.ndarray] | None = None, title: str = "",
             error_max: float = 0.25) -> Figure:
    """One slice per panel in a row: ``images`` in grey on [0, 1], then ``errors`` (absolute error
    maps) in a hot colour map on ``[0, error_max]`` with a colour bar each."""
    panels = [(name, img, False) for name, img in images.items()]
    panels += [(name, img, True) for name, img in (errors or {}).items()]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels), 2.6), squeeze=False)
    for ax, (name, img, is_error) in zip(axes[0], panels):
        if is_error:
            shown = ax.imshow(img, cmap="hot", vmin=0, vmax=error_max)
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
        else:
            ax.imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def synthesis_panels(inputs: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray],
                     predictions: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Panels for :func:`ivan_core.plots.browser.slice_browser`: inputs, targets, and for
    each method its prediction and ``|error|`` per target modality, all ``(S, H, W[, 3])``."""
    panels = {f"{m} (input)": v for m, v in inputs.items()}
    panels.update({f"{m} (target)": v for m, v in targets.items()})
    for method, images in predictions.items():
        for m, v in images.items():
            panels[f"{m} ({method})"] = v
            panels[f"|error| x4 {m} ({method})"] = np.clip(4 * abs_error(targets[m], v), 0, 1)
    return panels


def plot_learning_curves(curves: Mapping[str, Sequence[dict]], x: str = "steps",
                         references: Mapping[str, float] | None = None, metric: str = "psnr") -> Figure:
    """Held-out ``metric`` against training ``x`` (``"steps"`` or ``"seconds"``), one line per curve.

    ``curves`` maps a label to points of :func:`ivan_core.tutorial.recipe.curve_points`;
    ``references`` draws horizontal lines (e.g. a baseline's score) with their labels.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, points in curves.items():
        ax.plot([p[x] for p in points], [p[metric] for p in points], marker="o", label=label)
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color=f"C{len(curves) + i}", linestyle="--", label=label)
    ax.set(xlabel="training steps" if x == "steps" else "training seconds",
           ylabel=f"test {metric.upper()} (head)" + (" [dB]" if metric == "psnr" else ""))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
