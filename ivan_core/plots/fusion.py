"""Fused images side by side: one row per case, the sources first, then each method."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def show_fusion_cases(cases: Mapping[str, Mapping[str, np.ndarray]], notes: Mapping[str, Mapping[str, str]] | None = None,
                      panel_size: float = 1.6, title: str = "") -> Figure:
    """A grid of images in [0, 1]: a row per case, a column per image (sources, then fused images).

    ``cases`` maps case -> column title -> grey ``(H, W)`` or colour ``(H, W, 3)`` image, every case with the same
    columns in order (else ValueError);
    ``notes`` (same keys) adds a short line under a panel.
    """
    names = list(cases)
    if not names:
        raise ValueError("no cases to show")
    columns = list(cases[names[0]])
    for name in names:
        if list(cases[name]) != columns:
            raise ValueError(f"case {name!r} has columns {list(cases[name])}, expected {columns}")
    fig, axes = plt.subplots(len(names), len(columns), figsize=(panel_size * len(columns), panel_size * len(names) + 0.4),
                             squeeze=False)
    for i, name in enumerate(names):
        for j, column in enumerate(columns):
            ax = axes[i, j]
            ax.imshow(np.clip(cases[name][column], 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(column, fontsize=8)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
            note = (notes or {}).get(name, {}).get(column)
            if note:
                ax.set_xlabel(note, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
