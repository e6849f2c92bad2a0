"""Interactive figures for notebooks: a slice browser, and a figure redrawn from any control.

Every widget here draws its figure as a plain notebook output (``display(..., display_id=True)``)
and replaces it when its control moves (``update_display``). No ``Output`` widget is involved, so
headless runs (papermill, nbval) record one static image and cannot hang on widget-captured
outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import DisplayHandle, display
from matplotlib.figure import Figure

from ivan_core.plots.errors import abs_error, draw_error, error_scale


def _check_panels(panels: Mapping[str, np.ndarray | None]) -> dict[str, np.ndarray | None]:
    """Validate ``(S, H, W)`` / ``(S, H, W, 3)`` panels with one ``S`` (None: an empty slot)."""
    if not panels or all(v is None for v in panels.values()):
        raise ValueError("slice_browser needs at least one panel")
    arrays = {str(k): None if v is None else np.asarray(v) for k, v in panels.items()}
    for key, a in arrays.items():
        if a is not None and not (a.ndim == 3 or (a.ndim == 4 and a.shape[3] == 3)):
            raise ValueError(f"panel {key!r} must be (S, H, W) or (S, H, W, 3), got {a.shape}")
    depths = {k: a.shape[0] for k, a in arrays.items() if a is not None}
    if len(set(depths.values())) != 1:
        raise ValueError(f"all panels need the same number of slices, got {depths}")
    return arrays


def _depth(arrays: Mapping[str, np.ndarray | None]) -> int:
    return next(a.shape[0] for a in arrays.values() if a is not None)


def draw_slice(
    panels: Mapping[str, np.ndarray | None],
    index: int,
    title: str | None = None,
    cmap: str = "gray",
    vmin: float = 0.0,
    vmax: float = 1.0,
    panel_size: float = 3.0,
    errors: Collection[str] = (),
    error_max: float | None = None,
    ncols: int | None = None,
) -> Figure:
    """Draw slice ``index`` of every panel, in rows of ``ncols``.

    Parameters
    ----------
    panels : mapping of str to ndarray or None
        Title to ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour array, one ``S``; None leaves an
        empty slot (to line panels up in a grid).
    index : int
        Slice to draw (0-based; the title counts from 1).
    title : str, optional
        Figure title (the slice number is appended).
    cmap : str
        Colormap of grey panels.
    vmin, vmax : float
        Display range of grey panels.
    panel_size : float
        Width and height of each panel in inches.
    errors : collection of str
        Keys of ``panels`` that are error maps: drawn as :func:`ivan_core.plots.errors.draw_error`
        does (one colormap, ``[0, error_max]``, a colour bar each).
    error_max : float, optional
        Top of the error colour scale; default :func:`~ivan_core.plots.errors.error_scale` of this
        slice's error maps.
    ncols : int, optional
        Panels per row; default all in one row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    arrays = _check_panels(panels)
    unknown = set(errors) - set(arrays)
    if unknown:
        raise ValueError(f"errors names panels that do not exist: {sorted(unknown)}")
    ncols = len(arrays) if ncols is None else max(1, min(int(ncols), len(arrays)))
    nrows = math.ceil(len(arrays) / ncols)
    if errors and error_max is None:
        error_max = error_scale(arrays[k][index] for k in errors if arrays[k] is not None)
    figsize = (panel_size * ncols + (0.6 if errors else 0.0), (panel_size + 0.35) * nrows + 0.3)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (key, a) in zip(axes.flat, arrays.items()):
        if a is None:
            continue
        if key in errors:
            draw_error(ax, a[index], error_max, key)
            continue
        if a.ndim == 4:
            ax.imshow(np.clip(a[index], 0.0, 1.0))
        else:
            ax.imshow(a[index], cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(key, fontsize=9)
    fig.suptitle(f"{title + ' - ' if title else ''}slice {index + 1}/{_depth(arrays)}")
    fig.tight_layout()
    return fig


class LiveFigure(widgets.VBox):
    """A figure drawn from a control's value, shown as a plain output and redrawn in place.

    Displaying it shows ``draw(control.value)`` as an ordinary image output
    (``display(..., display_id=True)``) followed by the control; changing the control's value
    replaces that image (``update_display``). Headless, the one static image is what is recorded.

    Parameters
    ----------
    control : ipywidgets.ValueWidget
        Any widget with a ``value`` (slider, dropdown, ...).
    draw : callable
        ``draw(value) -> Figure``; the figure is closed after it is shown.
    """

    def __init__(self, control: widgets.ValueWidget, draw: Callable[[Any], Figure]) -> None:
        self.control = control
        self._draw = draw
        self._handle: DisplayHandle | None = None
        control.observe(self._redraw, names="value")
        super().__init__([control])

    def figure(self, value: Any = None) -> Figure:
        """The figure for ``value`` (default the control's current value), e.g. for saving."""
        return self._draw(self.control.value if value is None else value)

    def _ipython_display_(self) -> None:
        fig = self.figure()
        self._handle = display(fig, display_id=True)
        plt.close(fig)
        display(self._repr_mimebundle_(), raw=True)

    def _redraw(self, change: dict[str, Any]) -> None:
        if self._handle is None:
            return
        fig = self.figure(change["new"])
        self._handle.update(fig)
        plt.close(fig)


class SliceBrowser(LiveFigure):
    """A slice slider whose figure is a plain notebook output, redrawn in place (see :class:`LiveFigure`).

    Parameters
    ----------
    panels : mapping of str to ndarray or None
        Title to ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour array, one ``S``; None: an empty slot.
    start : int
        First slice shown (0-based, as the arrays are indexed). The slider and the titles count
        slices from 1, as a reader does.
    **draw_options
        ``title``, ``cmap``, ``vmin``, ``vmax``, ``panel_size``, ``errors``, ``error_max``, ``ncols``
        of :func:`draw_slice`.
    """

    def __init__(self, panels: Mapping[str, np.ndarray | None], start: int, **draw_options: Any) -> None:
        self.panels = _check_panels(panels)
        self.draw_options = draw_options
        depth = _depth(self.panels)
        self.slider = widgets.IntSlider(
            value=int(np.clip(start, 0, depth - 1)) + 1,
            min=1,
            max=depth,
            description="slice",
            continuous_update=False,
        )
        super().__init__(self.slider, lambda number: draw_slice(self.panels, number - 1, **self.draw_options))


def slice_browser(
    panels: Mapping[str, np.ndarray | None],
    title: str | None = None,
    cmap: str = "gray",
    vmin: float = 0.0,
    vmax: float = 1.0,
    panel_size: float = 3.0,
    start: int | None = None,
    errors: Collection[str] = (),
    error_max: float | None = None,
    ncols: int | None = None,
) -> SliceBrowser:
    """Images with a slider over slices, in one row or in rows of ``ncols``.

    The current slice (``start``, default the middle one) is drawn once when the
    browser is displayed, so a headless run (papermill, nbval) records it as a
    plain image; in a live notebook the slider redraws it in place. The slider and the
    figure titles count slices from 1; ``start`` is a 0-based index, as the arrays are indexed.

    Parameters
    ----------
    panels : mapping of str to ndarray or None
        Title to ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour array, one ``S``; None: an empty slot.
    title : str, optional
        Figure title.
    cmap : str
        Colormap of grey panels.
    vmin, vmax : float
        Display range of grey panels.
    panel_size : float
        Width and height of each panel in inches.
    start : int, optional
        First slice shown.
    errors : collection of str
        Keys of ``panels`` that are absolute-error maps (one colormap and a colour bar each).
    error_max : float, optional
        Top of their colour scale; default :func:`~ivan_core.plots.errors.error_scale` over every
        slice, so the scale stays put while the slider moves.
    ncols : int, optional
        Panels per row; default all in one row.

    Returns
    -------
    SliceBrowser
        An ipywidgets ``VBox``; display it (last expression of a cell) to show it.
    """
    arrays = _check_panels(panels)
    if errors and error_max is None:
        error_max = error_scale(arrays[k] for k in errors if arrays.get(k) is not None)
    depth = _depth(arrays)
    return SliceBrowser(
        arrays,
        start=depth // 2 if start is None else start,
        title=title,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        panel_size=panel_size,
        errors=tuple(errors),
        error_max=error_max,
        ncols=ncols,
    )


def synthesis_browser(
    inputs: Mapping[str, np.ndarray],
    targets: Mapping[str, np.ndarray],
    predictions: Mapping[str, Mapping[str, np.ndarray]],
    title: str | None = None,
    start: int | None = None,
    error_max: float | None = None,
    panel_size: float = 2.6,
) -> SliceBrowser:
    """A slice browser of a synthesis: images on top, each prediction's error map below it.

    The first row holds the inputs, the targets and every method's prediction of every target;
    the second row holds, under each prediction, its absolute error ``|prediction - target|``
    (:func:`~ivan_core.plots.errors.abs_error`) on one colour scale shared by all methods.

    Parameters
    ----------
    inputs : mapping of str to ndarray
        Input modality to its ``(S, H, W[, 3])`` volume.
    targets : mapping of str to ndarray
        Target modality to its true volume.
    predictions : mapping of str to mapping
        Method to ``{target modality: predicted volume}``.
    title : str, optional
        Figure title.
    start : int, optional
        First slice shown; default the middle one.
    error_max : float, optional
        Top of the error colour scale; default :func:`~ivan_core.plots.errors.error_scale` of all errors.
    panel_size : float
        Width and height of each panel in inches.

    Returns
    -------
    SliceBrowser
    """
    top: dict[str, np.ndarray | None] = {f"{m} (input)": v for m, v in inputs.items()}
    top.update({f"{m} (target)": v for m, v in targets.items()})
    bottom: dict[str, np.ndarray | None] = {f"_empty {i}": None for i in range(len(top))}
    for method, images in predictions.items():
        for m, v in images.items():
            top[f"{m} ({method})"] = v
            bottom[f"|error| {m} ({method})"] = abs_error(targets[m], v)
    errors = [k for k, v in bottom.items() if v is not None]
    return slice_browser({**top, **bottom}, title=title, start=start, errors=errors, error_max=error_max,
                         ncols=len(top), panel_size=panel_size)


def fusion_browser(
    sources: Mapping[str, np.ndarray],
    fused: Mapping[str, np.ndarray],
    title: str | None = None,
    start: int | None = None,
    panel_size: float = 2.6,
) -> SliceBrowser:
    """A slice browser of a fusion study in two rows: the sources first, then every fused image.

    Parameters
    ----------
    sources : mapping of str to ndarray
        The source volumes, e.g. ``{"T2": ..., "CT": ...}``.
    fused : mapping of str to ndarray
        Method to its fused ``(S, H, W)`` volume.
    title : str, optional
        Figure title.
    start : int, optional
        First slice shown; default the middle one.
    panel_size : float
        Width and height of each panel in inches.

    Returns
    -------
    SliceBrowser
    """
    panels = {**{f"{m} (source)": v for m, v in sources.items()}, **fused}
    return slice_browser(panels, title=title, start=start, ncols=math.ceil(len(panels) / 2), panel_size=panel_size)
