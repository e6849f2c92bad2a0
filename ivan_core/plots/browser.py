"""Interactive figures for notebooks: a slice browser, and a figure redrawn from any control.

Figures are plain outputs (``display(..., display_id=True)``) replaced in place, never ``Output`` widgets, so headless
runs (papermill, nbval) record one static image and cannot hang.
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

from ivan_core.plots.error_maps import abs_error, draw_error, error_scale


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
    """Draw slice ``index`` (0-based; the title counts from 1) of every panel, in rows of ``ncols`` (default one row).

    Parameters
    ----------
    panels : mapping of str to ndarray or None
        Title to ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour array, one ``S``; None leaves an empty slot.
    cmap, vmin, vmax
        Colormap and display range of grey panels.
    errors : collection of str
        Keys of error-map panels, drawn by :func:`~ivan_core.plots.error_maps.draw_error` on ``[0, error_max]`` (default
        :func:`~ivan_core.plots.error_maps.error_scale` of this slice's maps).
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
    """A figure drawn from a control's value, shown as a plain output and redrawn in place when the value changes.

    ``control`` is any widget with a ``value``; ``draw(value) -> Figure``, closed once shown.
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
    """A slice slider over ``panels`` redrawing :func:`draw_slice` in place (see :class:`LiveFigure`).

    ``start`` is 0-based, the slider counts from 1; ``draw_options`` are the other arguments of :func:`draw_slice`.
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
    """Images with a slider over slices: an ipywidgets ``VBox`` to display.

    Arguments as :func:`draw_slice`; ``start`` (0-based) defaults to the middle slice, ``error_max`` to
    :func:`~ivan_core.plots.error_maps.error_scale` over every slice, so the scale stays put while the slider moves.
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
    """A slice browser of a synthesis: inputs, targets and predictions on top, each prediction's error map below it.

    ``inputs`` and ``targets`` map modalities to ``(S, H, W[, 3])`` volumes, ``predictions`` a method to ``{target:
    volume}``; the errors ``|prediction - target|`` share one colour scale (``error_max``, default over all of them).
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
    """A slice browser of a fusion study in two rows: the ``sources`` volumes, then every ``fused`` ``(S, H, W)`` volume."""
    panels = {**{f"{m} (source)": v for m, v in sources.items()}, **fused}
    return slice_browser(panels, title=title, start=start, ncols=math.ceil(len(panels) / 2), panel_size=panel_size)
