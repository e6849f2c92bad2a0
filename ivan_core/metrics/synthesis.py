"""Synthesis metrics (the paper's Eq. 11-13): PSNR, SSIM and NMSE.

All take a reference and an estimate as numpy arrays of the same shape, grey
``(H, W)`` or colour ``(H, W, 3)`` (``(S, H, W)`` stacks are scored as a volume).
Their intensity range follows the one rule of :mod:`ivan_core.metrics.ranges`: the
caller states ``data_range``, or the dtype decides (integers: their dtype's range,
floats: [0, 1]); a float image outside [0, 1] without ``data_range`` is an error.
An optional boolean ``mask`` (``(H, W)`` or matching the leading axes) restricts the
score to the head; without it the full image counts, background included (the paper scores
"the whole synthesized image").

Where the computation differs from the paper's printed equations:

* PSNR (Eq. 11, ``20 log10 Max(y) / ||y~ - y||_2``): as printed the norm is not divided by
  the pixel count; here the usual ``10 log10(peak^2 / MSE)``, with the peak the stated
  intensity span (1 for [0, 1] images), not the reference's maximum.
* SSIM (Eq. 12, one global window): here the mean of the 7x7 local SSIM map (Wang et al. 2004,
  scikit-image's default).
* NMSE (Eq. 13): as printed.
"""

from __future__ import annotations

import numpy as np
from skimage import metrics as skm

from ivan_core.metrics.ranges import common_range


def _check(ref: np.ndarray, est: np.ndarray, mask: np.ndarray | None,
           data_range: float | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate a pair; returns both as float64 and their common intensity span."""
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
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range^2 / MSE)``.

    Uses :func:`skimage.metrics.peak_signal_noise_ratio` on the full image; inside a
    mask the MSE is taken over masked pixels only. Identical images give ``inf``.
    ``data_range`` None: from the dtype (module docstring).
    """
    ref, est, span, mask = _check(ref, est, mask, data_range)
    if mask is None:
        with np.errstate(divide="ignore"):
            return float(skm.peak_signal_noise_ratio(ref, est, data_range=span))
    mse = float(np.mean((_masked(ref, mask) - _masked(est, mask)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(span**2 / mse))


def ssim(ref: np.ndarray, est: np.ndarray, *, data_range: float | None = None, mask: np.ndarray | None = None) -> float:
    """Structural similarity (Wang et al. 2004), mean of the SSIM map.

    Uses :func:`skimage.metrics.structural_similarity` with its default 7x7 window
    (``channel_axis=-1`` for colour ``(..., 3)``). Without a mask this is scikit-image's
    mean (which leaves out a border of half the window); inside a mask the SSIM map is
    averaged over the masked pixels. Stacks ``(S, H, W)`` are scored slice by slice and averaged.
    ``data_range`` None: from the dtype (module docstring).
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
    """Normalised mean squared error ``||ref - est||^2 / ||ref||^2``.

    Equals the square of :func:`skimage.metrics.normalized_root_mse` with
    ``normalization="euclidean"``; inside a mask both norms use masked pixels only.
    The value does not depend on the scale, but the inputs follow the same rule as
    every metric (module docstring), so 0..255 floats need ``data_range``.
    """
    ref, est, _, mask = _check(ref, est, mask, data_range)
    if mask is None:
        return float(skm.normalized_root_mse(ref, est, normalization="euclidean") ** 2)
    r, e = _masked(ref, mask), _masked(est, mask)
    return float(np.sum((r - e) ** 2) / np.sum(r**2))
