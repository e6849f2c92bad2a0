"""Synthesis metrics PSNR, SSIM and NMSE (the paper's Eq. 11-13) on grey ``(H, W)``, colour ``(H, W, 3)`` or stacks.

Ranges follow :mod:`~ivan_core.metrics.ranges`; an optional bool ``mask`` over the leading axes restricts the score.
"""

from __future__ import annotations

import numpy as np
from skimage import metrics as skm

from ivan_core.metrics.ranges import common_range


def _check(ref: np.ndarray, est: np.ndarray, mask: np.ndarray | None,
           data_range: float | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate a pair; returns both as float64, their common intensity span and the mask."""
    ref, est = np.asarray(ref), np.asarray(est)
    if ref.shape != est.shape:
        raise ValueError(f"reference {ref.shape} and estimate {est.shape} differ in shape")
    span = common_range(data_range, reference=ref, estimate=est)
    ref, est = ref.astype(np.float64), est.astype(np.float64)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != ref.shape[: mask.ndim]:
            raise ValueError(f"mask {mask.shape} does not match the leading axes of {ref.shape}")
        if not mask.any():
            raise ValueError("mask is empty")
    return ref, est, span, mask


def _masked(arr: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    return arr if mask is None else arr[np.asarray(mask, dtype=bool)]


def psnr(ref: np.ndarray, est: np.ndarray, *, data_range: float | None = None, mask: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio ``10 log10(span^2 / MSE)`` in dB, over the mask if given; ``inf`` for identical images.

    The peak is the intensity span (1 for [0, 1] images), not the reference's maximum of the paper's Eq. 11.
    """
    ref, est, span, mask = _check(ref, est, mask, data_range)
    if mask is None:
        with np.errstate(divide="ignore"):
            return float(skm.peak_signal_noise_ratio(ref, est, data_range=span))
    mse = float(np.mean((_masked(ref, mask) - _masked(est, mask)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(span**2 / mse))


def ssim(ref: np.ndarray, est: np.ndarray, *, data_range: float | None = None, mask: np.ndarray | None = None) -> float:
    """Structural similarity (Wang et al. 2004): the mean of scikit-image's 7x7 SSIM map, not Eq. 12's one window.

    Without a mask scikit-image's mean (a half-window border left out); with one the map's mean over it.
    Stacks ``(S, H, W)`` are scored per slice and averaged.
    """
    ref, est, span, mask = _check(ref, est, mask, data_range)
    colour = ref.ndim >= 3 and ref.shape[-1] == 3
    plane = 3 if colour else 2
    if ref.ndim > plane:
        masks = [None] * len(ref) if mask is None else list(mask)
        keep = [i for i, m in enumerate(masks) if m is None or m.any()]
        return float(np.mean([ssim(ref[i], est[i], data_range=span, mask=masks[i]) for i in keep]))
    mean, smap = skm.structural_similarity(
        ref, est, data_range=span, full=True, channel_axis=-1 if colour else None
    )
    if mask is None:
        return float(mean)
    if colour:
        smap = smap.mean(axis=-1)
    return float(np.mean(smap[mask]))


def nmse(ref: np.ndarray, est: np.ndarray, *, data_range: float | None = None, mask: np.ndarray | None = None) -> float:
    """Normalised mean squared error ``||ref - est||^2 / ||ref||^2`` (the paper's Eq. 13), over the mask if given."""
    ref, est, _, mask = _check(ref, est, mask, data_range)
    if mask is None:
        return float(skm.normalized_root_mse(ref, est, normalization="euclidean") ** 2)
    r, e = _masked(ref, mask), _masked(est, mask)
    return float(np.sum((r - e) ** 2) / np.sum(r**2))
