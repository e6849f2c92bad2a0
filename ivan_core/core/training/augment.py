"""Training-time augmentation: one random right-angle rotation and flip applied to every array of a pair.

The paper augments by rotating training slices. Here a pair is rotated by a multiple of 90 degrees
(:func:`numpy.rot90`, exact, no interpolation) and flipped left-right with probability 1/2; every
array of the pair gets the same transform, so registration is kept. Use it on training data only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The rotations drawn from, in degrees counter-clockwise.
ANGLES = (0.0, 90.0, 180.0, 270.0)


def augment_slice(arrays: Sequence[np.ndarray], rng: np.random.Generator, flip: bool = True) -> list[np.ndarray]:
    """Apply one random right-angle rotation (and flip) to every array of a training pair.

    Parameters
    ----------
    arrays : sequence of ndarray, each (C, H, W)
        Registered arrays (input and target channels) sharing ``H, W``.
    rng : numpy.random.Generator
        Random source: one draw for the angle, one for the flip.
    flip : bool
        Flip left-right with probability 1/2 (after the rotation).

    Returns
    -------
    list of ndarray, each (C, H', W')
        Transformed contiguous copies, same dtype (``H', W'`` swap for odd quarter turns).
    """
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
