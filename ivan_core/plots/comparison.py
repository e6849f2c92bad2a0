"""Every method's synthesis beside the truth, with its residual: the layout of the paper's Fig. 6 and 7."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ivan_core.plots.error_maps import abs_error, draw_error, error_scale


def show_methods(truth: np.ndarray, outputs: Mapping[str, np.ndarray], slices: Sequence[int],
                 title: str = "", panel_size: float = 2.0) -> Figure:
    """Per slice, two rows: the truth and each method's output, then each method's residual ``|estimate − truth|``.

    ``truth`` is an ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour volume in [0, 1], ``outputs`` maps a method to its volume
    of the same shape (else ValueError); every residual shares one colour scale.
    """
    for name, volume in outputs.items():
        if np.shape(volume) != np.shape(truth):
            raise ValueError(f"{name!r} has shape {np.shape(volume)}, the truth {np.shape(truth)}; pass whole volumes")
    residuals = {(k, name): abs_error(truth[k], volume[k]) for k in slices for name, volume in outputs.items()}
    vmax = error_scale(residuals.values())
    cols = 1 + len(outputs)
    fig, axes = plt.subplots(2 * len(slices), cols, figsize=(panel_size * cols + 0.6, panel_size * 2 * len(slices)),
                             squeeze=False)
    for row, k in enumerate(slices):
        top, bottom = axes[2 * row], axes[2 * row + 1]
        for ax, (name, image) in zip(top, [(f"ground truth (slice {k + 1})", truth[k])]
                                     + [(name, volume[k]) for name, volume in outputs.items()]):
            ax.imshow(np.clip(image, 0, 1), cmap=None if np.ndim(image) == 3 else "gray", vmin=0, vmax=1)
            ax.set_title(name, fontsize=9)
            ax.axis("off")
        bottom[0].axis("off")
        for ax, name in zip(bottom[1:], outputs):
            draw_error(ax, residuals[k, name], vmax, f"residual, {name}", label="")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
