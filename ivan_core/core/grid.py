"""The pixel grid an image really has: images enlarged by pixel repetition (the Harvard atlas PET and SPECT, 128 x 128
shown at 256 x 256) are constant on square blocks, and a prediction of them belongs on the same blocks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: Block sizes tried, largest first.
BLOCKS = (8, 4, 2)


def block_size(volumes: Iterable[np.ndarray]) -> int:
    """The largest ``b`` of :data:`BLOCKS` on whose ``b x b`` blocks every volume is constant, else 1.

    ``volumes`` are ``(S, H, W)`` or colour ``(S, H, W, 3)``; a volume whose height or width ``b`` does not divide
    rules ``b`` out. An empty iterable gives 1.
    """
    volumes = [np.asarray(v) for v in volumes]
    if not volumes:
        return 1
    for b in BLOCKS:
        if all(_constant_on(v, b) for v in volumes):
            return b
    return 1


def _constant_on(volume: np.ndarray, b: int) -> bool:
    h, w = volume.shape[1:3]
    if h % b or w % b:
        return False
    return bool(np.array_equal(volume, _repeat(volume[:, ::b, ::b], b)))


def _repeat(volume: np.ndarray, b: int) -> np.ndarray:
    return np.repeat(np.repeat(volume, b, axis=1), b, axis=2)


def project_to_blocks(volume: np.ndarray, b: int) -> np.ndarray:
    """``volume`` ``(S, H, W[, 3])`` with each ``b x b`` block replaced by its mean (same shape and dtype).

    The orthogonal projection onto images constant on those blocks: for a truth that is, the error can only shrink,
    and no power is left on the two-pixel frequencies. ``b = 1`` returns ``volume`` unchanged; ValueError where ``b``
    does not divide the height and width.
    """
    volume = np.asarray(volume)
    if b == 1:
        return volume
    s, h, w = volume.shape[:3]
    if h % b or w % b:
        raise ValueError(f"a {b} x {b} block grid needs height and width divisible by {b}, got {h} x {w}")
    blocks = volume.reshape(s, h // b, b, w // b, b, *volume.shape[3:]).mean(axis=(2, 4), dtype=np.float64)
    return _repeat(blocks, b).astype(volume.dtype)


def on_blocks(volume: np.ndarray, b: int) -> np.ndarray:
    """:func:`project_to_blocks` where ``b`` divides the height and width of ``volume`` ``(S, H, W[, 3])``; ``volume``
    unchanged where it does not (a slice of another size has no such blocks)."""
    h, w = np.shape(volume)[1:3]
    return volume if h % b or w % b else project_to_blocks(volume, b)
