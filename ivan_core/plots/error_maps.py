"""One convention for every error map of the tutorial.

``|estimate - truth|`` (colour channels averaged) drawn with :data:`ERROR_CMAP` on ``[0, vmax]``, ``vmax`` shared by the
error maps of one figure; signed differences use :data:`DIFFERENCE_CMAP`, centred on zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.image import AxesImage

#: Colormap of every error map: black for no error, bright for large errors.
ERROR_CMAP = "inferno"
#: Colormap of signed differences (e.g. one output copy minus the other), centred on zero.
DIFFERENCE_CMAP = "RdBu_r"
#: Colour-bar label of every error map.
ERROR_LABEL = "|estimate − truth|"


def abs_error(truth: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """``|estimate - truth|`` of grey ``(..., H, W)`` or colour ``(..., H, W, 3)`` images, as float32 ``(..., H, W)``."""
    err = np.abs(np.asarray(estimate, np.float32) - np.asarray(truth, np.float32))
    return err.mean(axis=-1) if err.ndim == 4 or (err.ndim == 3 and err.shape[-1] == 3) else err


def error_scale(errors: Iterable[np.ndarray], percentile: float = 99.5, floor: float = 1e-6) -> float:
    """One colour-scale top for a set of error maps: the ``percentile`` of their pooled values, at least ``floor``; 1 if empty."""
    values = [np.ravel(np.asarray(e, np.float32)) for e in errors]
    if not values or not sum(v.size for v in values):
        return 1.0
    return max(float(np.percentile(np.concatenate(values), percentile)), floor)


def draw_error(ax: Axes, error: np.ndarray, vmax: float, title: str = "", label: str = ERROR_LABEL,
               fontsize: float = 9) -> AxesImage:
    """Draw an ``(H, W)`` error map on ``ax`` with :data:`ERROR_CMAP` on ``[0, vmax]`` and a colour bar; returns the image."""
    shown = ax.imshow(error, cmap=ERROR_CMAP, vmin=0.0, vmax=vmax)
    bar = ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
    bar.ax.tick_params(labelsize=7)
    if label:
        bar.set_label(label, fontsize=7)
    ax.set_title(title, fontsize=fontsize)
    ax.axis("off")
    return shown
