"""Pictures of variable augmentation: which modality fills which channel of X and Y."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ivan_core.core.subject import is_colour
from ivan_core.core.tasks import Task, modality_channels


def _channel_labels(layout: tuple[str, ...]) -> list[str]:
    labels = []
    for m in layout:
        labels += [f"{m}[{c}]" for c in "RGB"] if is_colour(m) else [m]
    return labels


def show_packing(task: Task, images: Mapping[str, np.ndarray], panel_size: float = 1.9) -> Figure:
    """Draw the channels of ``X`` (top row) and ``Y`` (bottom row) of ``task`` for one slice.

    ``images`` maps each modality to one grey ``(H, W)`` or colour ``(H, W, 3)`` slice; ``panel_size`` is in inches.
    """
    def channels(layout: tuple[str, ...]) -> list[np.ndarray]:
        out = []
        for m in layout:
            img = images[m]
            out += [img[..., c] for c in range(3)] if modality_channels(m) == 3 else [img]
        return out

    rows = [("X", channels(task.x_layout), _channel_labels(task.x_layout)),
            ("Y", channels(task.y_layout), _channel_labels(task.y_layout))]
    width = max(panel_size * task.channels, 3.6)
    fig, axes = plt.subplots(2, task.channels, figsize=(width, 2 * panel_size + 1.0), squeeze=False,
                             layout="constrained")
    for r, (side, chans, labels) in enumerate(rows):
        for c, (img, label) in enumerate(zip(chans, labels)):
            axes[r, c].imshow(img, cmap="gray", vmin=0, vmax=1)
            axes[r, c].set_title(f"{side} ch{c}\n{label}", fontsize=8)
            axes[r, c].axis("off")
    heading = textwrap.fill(f"{task.name}: {task.description}", width=max(24, int(width * 11)))
    fig.suptitle(heading, fontsize=9)
    return fig
