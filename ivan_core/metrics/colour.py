"""Colour fidelity of a fused colour image: how far its colours moved from the functional image's (CIEDE2000)."""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab


def _check_rgb(name: str, image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"{name} must be an (H, W, 3) RGB image in [0, 1], got shape {image.shape}")


def functional_region(rgb: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """Where a functional colour image ``(H, W, 3)`` in [0, 1] shows activity: its brightest channel above
    ``threshold`` (the atlas's PET and SPECT are black outside it). Returns a boolean ``(H, W)`` mask."""
    _check_rgb("rgb", rgb)
    return rgb.max(axis=-1) > threshold


def colour_fidelity(fused: np.ndarray, functional: np.ndarray, region: np.ndarray | None = None) -> float:
    """Mean CIEDE2000 colour difference between a fused colour image and the functional image it came from.

    Parameters
    ----------
    fused, functional : ndarray, shape (H, W, 3)
        RGB images in [0, 1].
    region : ndarray of bool, shape (H, W), optional
        Where to average; default :func:`functional_region` of ``functional``.

    Returns
    -------
    float
        Mean ΔE00 over the region (0 for equal colours; about 1 is the smallest difference people see, and
        grey against a saturated colour is tens); NaN where the region is empty.
    """
    _check_rgb("fused", fused)
    _check_rgb("functional", functional)
    if fused.shape != functional.shape:
        raise ValueError(f"shapes differ: fused {fused.shape}, functional {functional.shape}")
    region = functional_region(functional) if region is None else np.asarray(region, dtype=bool)
    if region.shape != fused.shape[:2]:
        raise ValueError(f"region must be {fused.shape[:2]}, got {region.shape}")
    if not region.any():
        return float("nan")
    delta = deltaE_ciede2000(rgb2lab(np.clip(fused, 0, 1)), rgb2lab(np.clip(functional, 0, 1)))
    return float(delta[region].mean())
