"""Interactive slice browser for registered volumes, for notebooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import DisplayHandle, display
from matplotlib.figure import Figure


def _check_panels(panels: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Validate ``(S, H, W)`` / ``(S, H, W, 3)`` panels with one ``S``."""
    if not panels:
        raise ValueError("slice_browser needs at least one panel")
    arrays = {str(k): np.asarray(v) for k, v in panels.items()}
    for key, a in arrays.items():
        if not (a.ndim == 3 or (a.ndim == 4 and a.shape[3] == 3)):
            raise ValueError(f"panel {key!r} must be (S, H, W) or (S, H, W, 3), got {a.shape}")
    depths = {k: a.shape[0] for k, a in arrays.items()}
    if len(set(depths.values())) != 1:
        raise ValueError(f"all panels need the same number of slices, got {depths}")
    return arrays


def draw_slice(
    panels: Mapping[str, np.ndarray],
    index: int,
    title: str | None = None,
    cmap: str = "gray",
    vmin: float = 0.0,
    vmax: float = 1.0,
    panel_size: float = 3.0,
) -> Figure:
    """Draw slice ``index`` of every panel side by side.

    Parameters
    ----------
    panels : mapping of str to ndarray
        Title to ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour array, one ``S``.
    index : int
        Slice to draw.
    title : str, optional
        Figure title (the slice number is appended).
    cmap : str
        Colormap of grey panels.
    vmin, vmax : float
        Display range of grey panels.
    panel_size : float
        Width and height of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    arrays = _check_panels(panels)
    figsize = (panel_size * len(arrays), panel_size + 0.4)
    fig, axes = plt.subplots(1, len(arrays), figsize=figsize, squeeze=False)
    for ax, (key, a) in zip(axes[0], arrays.items()):
        if a.ndim == 4:
            ax.imshow(np.clip(a[index], 0.0, 1.0))
        else:
            ax.imshow(a[index], cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(key)
        ax.axis("off")
    depth = next(iter(arrays.values())).shape[0]
    fig.suptitle(f"{title + ' - ' if title else ''}slice {index + 1}/{depth}")
    fig.tight_layout()
    return fig


class SliceBrowser(widgets.VBox):
    """A slice slider whose figure is a plain notebook output, redrawn in place.

    Displaying the browser shows the current slice as an ordinary image output
    (``display(..., display_id=True)``) followed by the slider; moving the slider
    replaces that image (``update_display``). No ``Output`` widget is involved,
    so headless runs (papermill, nbval) record one static image and cannot hang
    on widget-captured outputs.

    Parameters
    ----------
    panels : mapping of str to ndarray
        Title to ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour array, one ``S``.
    start : int
        First slice shown.
    **draw_options
        ``title``, ``cmap``, ``vmin``, ``vmax``, ``panel_size`` of :func:`draw_slice`.
    """

    def __init__(self, panels: Mapping[str, np.ndarray], start: int, **draw_options: Any) -> None:
        self.panels = _check_panels(panels)
        self.draw_options = draw_options
        depth = next(iter(self.panels.values())).shape[0]
        self.slider = widgets.IntSlider(
            value=int(np.clip(start, 0, depth - 1)),
            min=0,
            max=depth - 1,
            description="slice",
            continuous_update=False,
        )
        self._handle: DisplayHandle | None = None
        self.slider.observe(self._redraw, names="value")
        super().__init__([self.slider])

    def figure(self, index: int | None = None) -> Figure:
        """Figure of slice ``index`` (default the slider's), for saving."""
        return draw_slice(self.panels, self.slider.value if index is None else index, **self.draw_options)

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


def slice_browser(
    panels: Mapping[str, np.ndarray],
    title: str | None = None,
    cmap: str = "gray",
    vmin: float = 0.0,
    vmax: float = 1.0,
    panel_size: float = 3.0,
    start: int | None = None,
) -> SliceBrowser:
    """One row of images with a slider over slices.

    The current slice (``start``, default the middle one) is drawn once when the
    browser is displayed, so a headless run (papermill, nbval) records it as a
    plain image; in a live notebook the slider redraws it in place.

    Parameters
    ----------
    panels : mapping of str to ndarray
        Title to ``(S, H, W)`` grey or ``(S, H, W, 3)`` colour array, one ``S``.
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

    Returns
    -------
    SliceBrowser
        An ipywidgets ``VBox``; display it (last expression of a cell) to show it.
    """
    arrays = _check_panels(panels)
    depth = next(iter(arrays.values())).shape[0]
    return SliceBrowser(
        arrays,
        start=depth // 2 if start is None else start,
        title=title,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        panel_size=panel_size,
    )
