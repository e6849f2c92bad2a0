"""Training-time augmentation: one random rotation and flip applied to every array of a pair.

The paper augments by rotating training slices; here a slice pair is rotated by
an angle drawn from ``angles`` (multiples of 90 degrees are exact,
:func:`numpy.rot90`; others use :func:`scipy.ndimage.rotate`), optionally by an
extra small random angle, and flipped left-right with probability 1/2. Every
array of the pair gets the same transform, so registration is kept. Use it on
training data only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage


def _rotate(array: np.ndarray, angle: float, mode: str) -> np.ndarray:
    """Rotate ``(C, H, W)`` counter-clockwise by ``angle`` degrees in the (H, W) plane."""
    quarter, rest = divmod(angle, 90.0)
    out = np.rot90(array, k=int(quarter) % 4, axes=(1, 2))
    if rest:
        out = ndimage.rotate(out, rest, axes=(1, 2), reshape=False, order=1, mode=mode)
    return out


def augment_slice(
    arrays: Sequence[np.ndarray],
    rng: np.random.Generator,
    angles: Sequence[float] = (0.0, 90.0, 180.0, 270.0),
    jitter_deg: float = 0.0,
    flip: bool = True,
    mode: str = "reflect",
) -> list[np.ndarray]:
    """Apply one random rotation (and flip) to every array of a training pair.

    Parameters
    ----------
    arrays : sequence of ndarray, each (C, H, W)
        Registered arrays (input and target channels) sharing ``H, W``.
    rng : numpy.random.Generator
        Random source.
    angles : sequence of float
        Rotation angles in degrees to draw from (counter-clockwise).
    jitter_deg : float
        Extra rotation drawn uniformly from ``[-jitter_deg, jitter_deg]``.
    flip : bool
        Flip left-right with probability 1/2 (after the rotation).
    mode : str
        How :func:`scipy.ndimage.rotate` fills corners for non-right angles
        (``"reflect"``, ``"constant"`` for zeros, ``"nearest"``, ...).

    Returns
    -------
    list of ndarray, each (C, H', W')
        Transformed copies (``H', W'`` swap for odd multiples of 90 degrees on
        non-square slices), same dtype.
    """
    if not arrays:
        raise ValueError("augment_slice needs at least one array")
    shapes = {a.shape[1:] for a in arrays}
    if any(a.ndim != 3 for a in arrays) or len(shapes) != 1:
        raise ValueError(f"arrays must be (C, H, W) with one H, W; got {[a.shape for a in arrays]}")
    angle = float(rng.choice(np.asarray(angles, dtype=float)))
    if jitter_deg > 0:
        angle += float(rng.uniform(-jitter_deg, jitter_deg))
    mirrored = bool(flip and rng.random() < 0.5)
    out = []
    for array in arrays:
        moved = _rotate(array, angle % 360.0, mode)
        if mirrored:
            moved = moved[:, :, ::-1]
        out.append(np.ascontiguousarray(moved, dtype=array.dtype))
    return out
