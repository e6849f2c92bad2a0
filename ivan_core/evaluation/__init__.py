"""Evaluation: inference over whole subjects, scoring, and the baselines iVAN is compared with.

>>> from ivan_core.evaluation import synthesise, score   # doctest: +SKIP
"""

from ivan_core.evaluation.inference import quantise, recover, synthesise
from ivan_core.evaluation.scoring import (
    CEILING,
    Region,
    ceiling_value,
    inverse_rows,
    noise_ceiling,
    score,
    summarise,
    with_ceiling,
)

__all__ = ["synthesise", "recover", "quantise", "score", "summarise", "inverse_rows", "Region", "noise_ceiling",
           "with_ceiling", "ceiling_value", "CEILING"]
