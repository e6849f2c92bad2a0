"""The noise ceiling of synthesis as a line in score plots (see :func:`ivan_core.evaluation.noise_ceiling`)."""

from __future__ import annotations

from matplotlib.axes import Axes

from ivan_core.evaluation.scoring import CEILING


def draw_ceiling(ax: Axes, value: float | None, label: str = CEILING, vertical: bool = False) -> bool:
    """Draw the noise ceiling: a dashed dark-grey line at ``value``, labelled ``label`` for the legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    value : float or None
        The ceiling (e.g. :func:`ivan_core.evaluation.ceiling_value` of the plotted rows); None draws nothing.
    label : str
        Legend label.
    vertical : bool
        A vertical line (the score on the x axis) instead of a horizontal one.

    Returns
    -------
    bool
        Whether a line was drawn.
    """
    if value is None:
        return False
    line = ax.axvline if vertical else ax.axhline
    line(value, color="0.25", linestyle="--", linewidth=1.2, label=label)
    return True
