"""One convention for every error map in the tutorial.

An error map is the absolute error ``|estimate - truth|`` (averaged over the colour channels of an
RGB image), drawn with :data:`ERROR_CMAP` on ``[0, vmax]`` with a colour bar, where ``vmax`` is
shared by every error map of one figure so that they can be compared by eye. Signed differences
(which are not errors) use :data:`DIFFERENCE_CMAP`, centred on zero.
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
    """Absolute error ``|estimate - truth|``, averaged over colour channels.

    Parameters
    ----------
    truth, estimate : ndarray
        Grey ``(..., H, W)`` or colour ``(..., H, W, 3)`` images of one shape.

    Returns
    -------
    ndarray
        ``(..., H, W)`` float32. The argument order does not change the result; it is named so
        that calls read as the convention does.
    """
    err = np.abs(np.asarray(estimate, np.float32) - np.asarray(truth, np.float32))
    return err.mean(axis=-1) if err.ndim == 4 or (err.ndim == 3 and err.shape[-1] == 3) else err


def error_scale(errors: Iterable[np.ndarray], percentile: float = 99.5, floor: float = 1e-6) -> float:
    """One upper limit for a set of error maps: the ``percentile`` of all their values together.

    A high percentile rather than the maximum keeps one hot pixel from darkening every map.

    Parameters
    ----------
    errors : iterable of ndarray
        Error maps (any shapes).
    percentile : float
        Percentile of the pooled values.
    floor : float
        Smallest limit returned (an all-zero error still gets a valid colour scale).

    Returns
    -------
    float
    """
    values = [np.ravel(np.asarray(e, np.float32)) for e in errors]
    if not values or not sum(v.size for v in values):
        return 1.0
    return max(float(np.percentile(np.concatenate(values), percentile)), floor)


def draw_error(ax: Axes, error: np.ndarray, vmax: float, title: str = "", label: str = ERROR_LABEL,
               fontsize: float = 9) -> AxesImage:
    """Draw one error map on ``ax``: :data:`ERROR_CMAP` on ``[0, vmax]`` with a colour bar.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    error : ndarray
        ``(H, W)`` absolute error (see :func:`abs_error`).
    vmax : float
        Top of the colour scale, shared by the figure's error maps.
    title : str
        Panel title.
    label : str
        Colour-bar label.
    fontsize : float
        Title size.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    shown = ax.imshow(error, cmap=ERROR_CMAP, vmin=0.0, vmax=vmax)
    bar = ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
    bar.ax.tick_params(labelsize=7)
    if label:
        bar.set_label(label, fontsize=7)
    ax.set_title(title, fontsize=fontsize)
    ax.axis("off")
    return shown
