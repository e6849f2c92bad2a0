"""Fusion metrics of the paper (AG, SF, EN, Q_MI, Q^AB/F) and Piella's index, its printed Eq. 18.

Grey ``(H, W)`` images with ranges per :mod:`~ivan_core.metrics.ranges`, scored on [0, 255]; 0/0 gives ``nan``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ivan_core.metrics.ranges import intensity_range

_LEVELS = 256

# Xydeas & Petrovic (2000) sigmoid constants for edge strength (g) and orientation (a).
_GAMMA_G, _K_G, _SIGMA_G = 0.9994, -15.0, 0.5
_GAMMA_A, _K_A, _SIGMA_A = 0.9879, -22.0, 0.8


def _scaled(img: np.ndarray, data_range: float | None, label: str) -> np.ndarray:
    """Validate one grey image and return it as float64 on the [0, 255] scale."""
    arr = np.asarray(img)
    if arr.ndim != 2:
        raise ValueError(f"{label} must be a 2-D grey image (H, W), got shape {arr.shape}")
    low, span = intensity_range(arr, data_range, label)
    return (arr.astype(np.float64) - low) * (255.0 / span)


def _scaled_set(data_range: float | None, **images: np.ndarray) -> list[np.ndarray]:
    """Validate several images of one shape; returns them scaled, in argument order."""
    scaled = [_scaled(img, data_range, label) for label, img in images.items()]
    shapes = {label: arr.shape for label, arr in zip(images, scaled)}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"images differ in shape: {shapes}")
    return scaled


def _levels(img: np.ndarray) -> np.ndarray:
    """Integer grey levels 0..255 of a scaled image (rounded, clipped)."""
    return np.clip(np.rint(img), 0, _LEVELS - 1).astype(np.intp)


def _entropy(counts: np.ndarray) -> float:
    """Shannon entropy in bits of a histogram of counts (any shape)."""
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def ag(fused: np.ndarray, data_range: float | None = None, form: str = "toolbox") -> float:
    """Average gradient ``mean sqrt((dx^2 + dy^2) / 2)`` over forward differences, in grey levels per pixel (>= 0).

    ``form="eq14"`` gives the paper's Eq. 14, ``sqrt(dx^2 + dy^2)``, ``sqrt(2)`` times the default (toolbox) form.
    Needs ``H, W >= 2`` and ``form`` in {"toolbox", "eq14"} (else ValueError).

    References
    ----------
    Cui, G. et al. (2015), "Detail preserved fusion of visible and infrared images using regional saliency extraction
    and multi-scale image decomposition", Optics Communications 341, 199-209.
    """
    if form not in ("toolbox", "eq14"):
        raise ValueError(f"form must be 'toolbox' or 'eq14', got {form!r}")
    f = _scaled(fused, data_range, "fused")
    if min(f.shape) < 2:
        raise ValueError(f"AG needs an image of at least 2x2 pixels, got {f.shape}")
    dx = np.diff(f, axis=1)[:-1, :]
    dy = np.diff(f, axis=0)[:, :-1]
    halve = 2.0 if form == "toolbox" else 1.0
    return float(np.mean(np.sqrt((dx**2 + dy**2) / halve)))


def sf(fused: np.ndarray, data_range: float | None = None) -> float:
    """Spatial frequency ``SF = sqrt(RF^2 + CF^2)`` on the [0, 255] scale (>= 0; higher means more detail).

    ``RF^2`` and ``CF^2`` are sums of squared forward differences along rows and columns, divided by ``H W``.

    References
    ----------
    Eskicioglu, A. M. & Fisher, P. S. (1995), "Image quality measures and their performance", IEEE Trans.
    Communications 43(12), 2959-2965; Li, S., Kwok, J. T. & Wang, Y. (2001), Information Fusion 2(3), 169-176.
    """
    f = _scaled(fused, data_range, "fused")
    rf2 = np.sum(np.diff(f, axis=1) ** 2) / f.size
    cf2 = np.sum(np.diff(f, axis=0) ** 2) / f.size
    return float(np.sqrt(rf2 + cf2))


def en(fused: np.ndarray, data_range: float | None = None) -> float:
    """Shannon entropy in bits of the 256-level grey histogram (values rounded), in [0, 8]; 0 for a constant image.

    References
    ----------
    Roberts, J. W., van Aardt, J. A. & Ahmed, F. B. (2008), "Assessment of image fusion procedures using entropy,
    image quality, and multispectral classification", J. Applied Remote Sensing 2(1), 023522.
    """
    f = _levels(_scaled(fused, data_range, "fused"))
    return _entropy(np.bincount(f.ravel(), minlength=_LEVELS))


def _normalised_mi(src: np.ndarray, fused: np.ndarray) -> float:
    """``MI(S, F) / (H(S) + H(F))`` from the 256x256 joint histogram of grey levels."""
    joint = np.bincount((src * _LEVELS + fused).ravel(), minlength=_LEVELS**2).reshape(_LEVELS, _LEVELS)
    h_s, h_f, h_sf = _entropy(joint.sum(axis=1)), _entropy(joint.sum(axis=0)), _entropy(joint)
    denom = h_s + h_f
    return (h_s + h_f - h_sf) / denom if denom > 0 else float("nan")


def qmi(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None) -> float:
    """Normalised mutual information ``Q_MI = 2 [MI(A, F) / (H(A) + H(F)) + MI(B, F) / (H(B) + H(F))]`` (Eq. 17).

    Hossny et al.'s normalised form, not the raw ``MI(A, F) + MI(B, F)``; 256-level histograms (values rounded).

    Parameters
    ----------
    a, b, fused : ndarray, shape (H, W)
        Sources and fused image; ``data_range`` as in :mod:`~ivan_core.metrics.ranges`.

    Returns
    -------
    float
        In [0, 2], 2 when ``F = A = B``; ``nan`` when a source and ``fused`` are both constant.

    References
    ----------
    Hossny, M., Nahavandi, S. & Creighton, D. (2008), "Comments on 'Information measure for performance of image
    fusion'", Electronics Letters 44(18), 1066-1067.
    """
    s_a, s_b, s_f = (_levels(x) for x in _scaled_set(data_range, a=a, b=b, fused=fused))
    return float(2.0 * (_normalised_mi(s_a, s_f) + _normalised_mi(s_b, s_f)))


def _sobel(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel edge strength ``g`` and orientation ``alpha`` (radians), replicate borders."""
    sx = ndimage.sobel(img, axis=1, mode="nearest")
    sy = ndimage.sobel(img, axis=0, mode="nearest")
    return np.hypot(sx, sy), np.arctan2(sy, sx)


def _edge_preservation(g_s: np.ndarray, a_s: np.ndarray, g_f: np.ndarray, a_f: np.ndarray) -> np.ndarray:
    """Per-pixel edge preservation ``Q^SF = Q_g^SF * Q_a^SF`` of a source S in F."""
    lo, hi = np.minimum(g_s, g_f), np.maximum(g_s, g_f)
    g_rel = np.divide(lo, hi, out=np.zeros_like(hi), where=(lo > 0))
    diff = np.mod(np.abs(a_s - a_f), np.pi)  # orientation is defined modulo pi
    a_rel = 1.0 - np.minimum(diff, np.pi - diff) / (np.pi / 2)
    q_g = _GAMMA_G / (1.0 + np.exp(_K_G * (g_rel - _SIGMA_G)))
    q_a = _GAMMA_A / (1.0 + np.exp(_K_A * (a_rel - _SIGMA_A)))
    return q_g * q_a


def qabf(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None) -> float:
    """Edge-based fusion quality Q^AB/F of Xydeas & Petrovic (2000).

    How well each source's Sobel edge strength and orientation (modulo pi; replicated borders) survive in ``fused``,
    weighted by the source's edge strength. The paper's Eq. 18, printed under this name, is :func:`qpiella`.

    Parameters
    ----------
    a, b, fused : ndarray, shape (H, W)
        Sources and fused image; ``data_range`` as in :mod:`~ivan_core.metrics.ranges`.

    Returns
    -------
    float
        In [0, 1); the sigmoid constants cap a perfect transfer at about 0.975. ``nan`` when neither source has an edge.

    References
    ----------
    Xydeas, C. S. & Petrovic, V. (2000), "Objective image fusion performance measure", Electronics Letters 36(4), 308-309.
    """
    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)
    (g_a, a_a), (g_b, a_b), (g_f, a_f) = _sobel(s_a), _sobel(s_b), _sobel(s_f)
    weight = np.sum(g_a + g_b)
    if weight == 0:
        return float("nan")
    num = np.sum(_edge_preservation(g_a, a_a, g_f, a_f) * g_a + _edge_preservation(g_b, a_b, g_f, a_f) * g_b)
    return float(num / weight)


def _windows(img: np.ndarray, size: int, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """``size x size`` windows of ``img`` with top row in ``rows``, flattened minus their first pixel, and those pixels."""
    view = np.lib.stride_tricks.sliding_window_view(img, (size, size))[rows]
    flat = view.reshape(*view.shape[:2], size * size)
    return flat - flat[..., :1], flat[..., 0]


def _local_stats(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Window means, variances and covariance (``1/N``) of two stacks of shifted windows."""
    mx, my = x.mean(axis=-1), y.mean(axis=-1)
    vx = np.maximum((x * x).mean(axis=-1) - mx * mx, 0.0)
    vy = np.maximum((y * y).mean(axis=-1) - my * my, 0.0)
    cxy = (x * y).mean(axis=-1) - mx * my
    return mx, my, vx, vy, cxy


def _quality_index(mx, my, vx, vy, cxy) -> np.ndarray:
    """Wang & Bovik's ``Q0`` per window from unshifted means; flat or zero-mean windows take their reference-code limits."""
    var_sum, mean_sq = vx + vy, mx * mx + my * my
    q = np.ones_like(var_sum)
    flat = (var_sum == 0) & (mean_sq != 0)
    q[flat] = 2 * mx[flat] * my[flat] / mean_sq[flat]
    dark = (var_sum != 0) & (mean_sq == 0)
    q[dark] = 2 * cxy[dark] / var_sum[dark]
    both = (var_sum != 0) & (mean_sq != 0)
    q[both] = 4 * cxy[both] * mx[both] * my[both] / (var_sum[both] * mean_sq[both])
    return q


def qpiella(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None,
            window: int = 8) -> float:
    """Fusion quality index of Piella & Heijmans (2003), the paper's Eq. 18.

    Mean over all ``window x window`` windows of ``l Q0(a, f) + (1 - l) Q0(b, f)``, with ``Q0`` Wang & Bovik's
    universal quality index and ``l = var(a) / (var(a) + var(b))`` in the window (1/2 where both are flat).

    Parameters
    ----------
    a, b, fused : ndarray, shape (H, W)
        Sources and fused image; ``data_range`` as in :mod:`~ivan_core.metrics.ranges`.
    window : int
        Side of the square windows, 1 to ``min(H, W)`` (else ValueError).

    Returns
    -------
    float
        In [-1, 1]; 1 when ``fused`` equals both sources.

    References
    ----------
    Piella, G. & Heijmans, H. (2003), "A new quality metric for image fusion", Proc. IEEE ICIP, vol. 3, 173-176.
    Wang, Z. & Bovik, A. C. (2002), "A universal image quality index", IEEE Signal Processing Letters 9(3), 81-84.
    """
    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)
    if not 1 <= window <= min(s_f.shape):
        raise ValueError(f"window must be between 1 and {min(s_f.shape)} pixels, got {window}")
    rows = s_f.shape[0] - window + 1
    chunk = max(1, 2**20 // ((s_f.shape[1] - window + 1) * window * window))
    total, count = 0.0, 0
    for start in range(0, rows, chunk):
        part = slice(start, min(rows, start + chunk))
        (wa, base_a), (wb, base_b), (wf, base_f) = (_windows(img, window, part) for img in (s_a, s_b, s_f))
        ma, mf, va, vf, caf = _local_stats(wa, wf)
        mb, _, vb, _, cbf = _local_stats(wb, wf)
        ma, mb, mf = ma + base_a, mb + base_b, mf + base_f  # the windows' means, unshifted
        q_a = _quality_index(ma, mf, va, vf, caf)
        q_b = _quality_index(mb, mf, vb, vf, cbf)
        salient = va + vb
        lam = np.divide(va, salient, out=np.full_like(va, 0.5), where=salient > 0)
        total += float(np.sum(lam * q_a + (1 - lam) * q_b))
        count += q_a.size
    return total / count
