"""Grid of one slice of every modality for several subjects."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ivan_core.data.record import Subject, is_colour


def show_modalities(
    subjects: Sequence[Subject],
    slice_index: int | None = None,
    modalities: Sequence[str] | None = None,
    panel_size: float = 2.2,
) -> Figure:
    """One row per subject, one column per modality; colour modalities in colour.

    Parameters
    ----------
    subjects : sequence of Subject
        Subjects to show.
    slice_index : int, optional
        Slice to show (clipped to each subject's depth); default each subject's middle slice.
    modalities : sequence of str, optional
        Columns; default the first subject's modalities. A subject without one
        gets an empty panel.
    panel_size : float
        Width and height of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
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
                ax.set_ylabel(f"{subject.name}\nslice {index}", fontsize=9)
    for ax, key in zip(axes[0], columns):
        ax.set_title(key)
    fig.tight_layout()
    return fig
