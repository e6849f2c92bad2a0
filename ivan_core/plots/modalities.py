"""Grid of one slice of every modality for several subjects."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ivan_core.core.subject import Subject, is_colour


def show_modalities(
    subjects: Sequence[Subject],
    slice_index: int | None = None,
    modalities: Sequence[str] | None = None,
    panel_size: float = 2.2,
) -> Figure:
    """One row per subject, one column per modality (default the first subject's); colour modalities in colour.

    ``slice_index`` is 0-based, clipped to each subject's depth (default each middle slice); labels count from 1. A subject
    without a modality gets an empty panel.
    """
    if not subjects:
        raise ValueError("show_modalities needs at least one subject")
    columns = list(modalities) if modalities is not None else subjects[0].modalities
    fig, axes = plt.subplots(
        len(subjects),
        len(columns),
        figsize=(panel_size * len(columns), panel_size * len(subjects)),
        squeeze=False,
    )
    for row, subject in zip(axes, subjects):
        last = subject.n_slices - 1
        index = subject.n_slices // 2 if slice_index is None else int(np.clip(slice_index, 0, last))
        for ax, key in zip(row, columns):
            ax.set_xticks([])
            ax.set_yticks([])
            if key in subject.images:
                image = subject.images[key][index]
                if is_colour(key):
                    ax.imshow(image)
                else:
                    ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
            else:
                ax.text(0.5, 0.5, "n/a", ha="center", va="center", transform=ax.transAxes)
            if ax is row[0]:
                ax.set_ylabel(f"{subject.name}\nslice {index + 1}", fontsize=9)
    for ax, key in zip(axes[0], columns):
        ax.set_title(key)
    fig.tight_layout()
    return fig


def show_joint_histogram(subjects: Sequence[Subject], x: str = "T1", y: str = "T2", bins: int = 64,
                         head_only: bool = True) -> Figure:
    """How well one modality's intensity pins down another's, pixel by pixel.

    A log-scale 2-D histogram of ``y`` against ``x`` (grey modalities in [0, 1]) over every slice of ``subjects``, inside
    the head masks if ``head_only``, with the mean of ``y`` per ``x`` bin (what a per-pixel lookup predicts) and dashed
    lines one std either side (what no per-pixel method explains).
    """
    if not subjects:
        raise ValueError("show_joint_histogram needs at least one subject")
    pick = [s.mask if head_only else np.ones(s.mask.shape, bool) for s in subjects]
    xs = np.concatenate([s[x][m] for s, m in zip(subjects, pick)])
    ys = np.concatenate([s[y][m] for s, m in zip(subjects, pick)])
    edges = np.linspace(0.0, 1.0, bins + 1)
    fig, ax = plt.subplots(figsize=(4.6, 3.8))
    counts, _, _, shown = ax.hist2d(xs, ys, bins=(edges, edges), norm=LogNorm(), cmap="viridis")
    fig.colorbar(shown, ax=ax, label="pixels")
    which = np.clip(np.digitize(xs, edges) - 1, 0, bins - 1)
    filled = np.bincount(which, minlength=bins) > 0
    centres = (edges[:-1] + edges[1:]) / 2
    total = np.bincount(which, minlength=bins)
    mean = np.bincount(which, ys, minlength=bins) / np.maximum(total, 1)
    spread = np.sqrt(np.maximum(np.bincount(which, ys**2, minlength=bins) / np.maximum(total, 1) - mean**2, 0.0))
    ax.plot(centres[filled], mean[filled], color="C3", zorder=4, label=f"mean {y} per {x} bin")
    for sign in (-1, 1):
        ax.plot(centres[filled], (mean + sign * spread)[filled], "--", color="C3", linewidth=1, zorder=4,
                label="± one std" if sign > 0 else None)
    ax.set(xlabel=f"{x} intensity", ylabel=f"{y} intensity", xlim=(0, 1), ylim=(0, 1),
           title=f"{y} against {x}, {'inside the head' if head_only else 'whole image'}")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig
