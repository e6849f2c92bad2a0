"""The noise ceiling of synthesis as a line in score plots (see :func:`ivan_core.evaluation.noise_ceiling`)."""

from __future__ import annotations

from matplotlib.axes import Axes

from ivan_core.evaluation.scoring import CEILING


def draw_ceiling(ax: Axes, value: float | None, label: str = CEILING, vertical: bool = False) -> bool:
    """Draw the noise ceiling ``value`` as a dashed dark-grey line labelled ``label``; None draws nothing.

    A vertical line if ``vertical`` (the score on the x axis). Returns whether a line was drawn.
    """
    if value is None:
        return False
    line = ax.axvline if vertical else ax.axhline
    line(value, color="0.25", linestyle="--", linewidth=1.2, label=label)
    return True
