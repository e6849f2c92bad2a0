"""Training-time augmentation: one random right-angle rotation and flip, the same for every array of a pair."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The rotations drawn from, in degrees counter-clockwise.
ANGLES = (0.0, 90.0, 180.0, 270.0)


def augment_slice(arrays: Sequence[np.ndarray], rng: np.random.Generator, flip: bool = True) -> list[np.ndarray]:
    """Apply one random right-angle rotation (and, with ``flip``, a left-right flip with probability 1/2) to
    every ``(C, H, W)`` array of a registered pair; returns contiguous copies (``H, W`` swap on odd quarter turns).
    Arrays that are not 3-D or differ in ``H, W`` raise ValueError."""
    if not arrays:
        raise ValueError("augment_slice needs at least one array")
    shapes = {a.shape[1:] for a in arrays}
    if any(a.ndim != 3 for a in arrays) or len(shapes) != 1:
        raise ValueError(f"arrays must be (C, H, W) with one H, W; got {[a.shape for a in arrays]}")
    quarter_turns = int(rng.choice(np.asarray(ANGLES))) // 90
    mirrored = bool(flip and rng.random() < 0.5)
    out = []
    for array in arrays:
        moved = np.rot90(array, k=quarter_turns, axes=(1, 2))
        if mirrored:
            moved = moved[:, :, ::-1]
        out.append(np.ascontiguousarray(moved, dtype=array.dtype))
    return out
