"""Scoring: synthesis metrics by region, the noise ceiling, inverse round trips, fusion rows, and whole-scan inference."""

from ivan_core.evaluation.scoring import (
    CEILING,
    Region,
    ceiling_value,
    fusion_rows,
    inverse_rows,
    noise_ceiling,
    score,
    summarise,
    with_ceiling,
)

__all__ = ["score", "summarise", "inverse_rows", "fusion_rows", "Region", "noise_ceiling", "with_ceiling",
           "ceiling_value", "CEILING"]
