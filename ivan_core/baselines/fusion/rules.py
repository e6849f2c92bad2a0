"""Classical fusion baselines: pixel rules, Laplacian pyramid, DWT, LP-SR, and :func:`fuse_colour` for RGB.

Each maps two registered grey ``(H, W)`` images of one shape in [0, 1] (else ValueError) to a fused one in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pywt
from skimage.color import rgb2ycbcr, ycbcr2rgb
from skimage.transform import pyramid_reduce, resize
from sklearn.feature_extraction.image import extract_patches_2d, reconstruct_from_patches_2d
from sklearn.linear_model import orthogonal_mp

FusionFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

_RANGE_SLACK = 1e-6


def _check_grey(img: np.ndarray, label: str) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim != 2:
        raise ValueError(f"{label} must be a 2-D grey image (H, W), got shape {arr.shape}")
    return _check_unit(arr, label)


def _check_unit(arr: np.ndarray, label: str) -> np.ndarray:
    """``arr`` as float64, checked non-empty, finite and within [0, 1]."""
    if arr.size == 0:
        raise ValueError(f"{label} is empty")
    out = arr.astype(np.float64)
    if not np.isfinite(out).all():
        raise ValueError(f"{label} contains NaN or inf")
    if out.min() < -_RANGE_SLACK or out.max() > 1 + _RANGE_SLACK:
        raise ValueError(f"{label} must be in [0, 1], got [{out.min():.4g}, {out.max():.4g}]")
    return out


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = _check_grey(a, "a"), _check_grey(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a {a.shape} and b {b.shape} differ in shape")
    return a, b


def _max_abs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Element-wise choose-max-absolute rule (ties go to ``x``)."""
    return np.where(np.abs(x) >= np.abs(y), x, y)


def average(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixel-wise mean ``F = (A + B) / 2``."""
    a, b = _check_pair(a, b)
    return (a + b) / 2.0


def maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixel-wise maximum ``F = max(A, B)``."""
    a, b = _check_pair(a, b)
    return np.maximum(a, b)


def _lp_decompose(img: np.ndarray, levels: int) -> list[np.ndarray]:
    """Laplacian pyramid ``[L_0, ..., L_{levels-2}, G_{levels-1}]``, fine to coarse, base last."""
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    pyramid = []
    current = img
    for _ in range(levels - 1):
        smaller = pyramid_reduce(current, downscale=2, preserve_range=True)
        pyramid.append(current - _expand(smaller, current.shape))
        current = smaller
    pyramid.append(current)
    return pyramid


def _expand(img: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return resize(img, shape, order=1, mode="reflect", anti_aliasing=False, preserve_range=True)


def _lp_reconstruct(pyramid: list[np.ndarray]) -> np.ndarray:
    """Exact inverse of :func:`_lp_decompose`."""
    current = pyramid[-1]
    for detail in reversed(pyramid[:-1]):
        current = detail + _expand(current, detail.shape)
    return current


def _lp_fuse(a: np.ndarray, b: np.ndarray, levels: int, fuse_base: FusionFn) -> np.ndarray:
    """Laplacian-pyramid fusion: max-abs detail levels, ``fuse_base`` on the base."""
    pa, pb = _lp_decompose(a, levels), _lp_decompose(b, levels)
    fused = [_max_abs(la, lb) for la, lb in zip(pa[:-1], pb[:-1])]
    fused.append(fuse_base(pa[-1], pb[-1]))
    return np.clip(_lp_reconstruct(fused), 0.0, 1.0)


def laplacian_pyramid(a: np.ndarray, b: np.ndarray, levels: int = 4) -> np.ndarray:
    """Laplacian-pyramid fusion: max-abs band-pass levels, averaged base; ``levels`` counts the base (>= 1).

    References
    ----------
    Burt, P. J. & Adelson, E. H. (1983), "The Laplacian pyramid as a compact image code", IEEE Trans. Commun. 31(4), 532-540.
    """
    a, b = _check_pair(a, b)
    return _lp_fuse(a, b, levels, lambda x, y: (x + y) / 2.0)


def dwt(a: np.ndarray, b: np.ndarray, wavelet: str = "db2", level: int = 3) -> np.ndarray:
    """DWT fusion: averaged approximation, max-abs detail sub-bands; ``wavelet`` a PyWavelets name, ``level >= 1``.

    References
    ----------
    Li, H., Manjunath, B. S. & Mitra, S. K. (1995), "Multisensor image fusion using the wavelet transform",
    Graphical Models and Image Processing 57(3), 235-245.
    """
    a, b = _check_pair(a, b)
    if level < 1:
        raise ValueError(f"level must be >= 1, got {level}")
    ca = pywt.wavedec2(a, wavelet, mode="symmetric", level=level)
    cb = pywt.wavedec2(b, wavelet, mode="symmetric", level=level)
    fused = [(ca[0] + cb[0]) / 2.0]
    fused += [tuple(_max_abs(da, db) for da, db in zip(band_a, band_b)) for band_a, band_b in zip(ca[1:], cb[1:])]
    out = pywt.waverec2(fused, wavelet, mode="symmetric")[: a.shape[0], : a.shape[1]]
    return np.clip(out, 0.0, 1.0)


def dct_dictionary(patch: int = 8, atoms_per_axis: int = 16) -> np.ndarray:
    """Overcomplete separable 2-D DCT dictionary ``(patch**2, atoms_per_axis**2)`` with unit-norm columns.

    1-D atoms ``cos(pi n k / atoms_per_axis)``, all but the constant one zero-mean; 2-D atoms are their Kronecker product.
    """
    n = np.arange(patch)[:, None]
    k = np.arange(atoms_per_axis)[None, :]
    d1 = np.cos(np.pi * n * k / atoms_per_axis)
    d1[:, 1:] -= d1[:, 1:].mean(axis=0)
    d1 /= np.linalg.norm(d1, axis=0)
    return np.kron(d1, d1)


def _sr_fuse(a: np.ndarray, b: np.ndarray, dictionary: np.ndarray, patch: int, tol: float) -> np.ndarray:
    """Max-L1 sparse-representation fusion of two bands over sliding ``patch x patch`` windows (OMP codes)."""
    if min(a.shape) < patch:
        raise ValueError(
            f"low-pass band {a.shape} is smaller than the {patch}x{patch} patch; use fewer pyramid levels"
        )
    pa = extract_patches_2d(a, (patch, patch)).reshape(-1, patch * patch).T
    pb = extract_patches_2d(b, (patch, patch)).reshape(-1, patch * patch).T
    ma, mb = pa.mean(axis=0), pb.mean(axis=0)
    centred = np.hstack([pa - ma, pb - mb])
    # Windows already within tolerance keep an all-zero code; OMP's `tol` is the squared residual norm.
    busy = np.sum(centred**2, axis=0) > tol**2
    coef = np.zeros((dictionary.shape[1], centred.shape[1]))
    if busy.any():
        coef[:, busy] = orthogonal_mp(dictionary, centred[:, busy], tol=tol**2).reshape(dictionary.shape[1], -1)
    coef = coef.reshape(dictionary.shape[1], 2, -1)
    take_a = np.abs(coef[:, 0]).sum(axis=0) >= np.abs(coef[:, 1]).sum(axis=0)
    fused_coef = np.where(take_a, coef[:, 0], coef[:, 1])
    fused = dictionary @ fused_coef + np.where(take_a, ma, mb)
    return reconstruct_from_patches_2d(fused.T.reshape(-1, patch, patch), a.shape)


def lp_sr(a: np.ndarray, b: np.ndarray, levels: int = 4, patch: int = 8, tol: float = 0.01) -> np.ndarray:
    """LP-SR fusion: Laplacian pyramid, with the base fused by sparse representation.

    Band-pass levels take max-abs; each sliding ``patch x patch`` base window, mean removed, is OMP-coded to residual
    L2 norm ``tol`` (> 0, in [0, 1] units) and the code with the larger L1 norm wins. ``levels`` is lowered so the base
    stays at least ``patch`` wide. Deviation: a fixed DCT dictionary (:func:`dct_dictionary`), not a K-SVD-learned one.

    References
    ----------
    Liu, Y., Liu, S. & Wang, Z. (2015), "A general framework for image fusion based on multi-scale transform and
    sparse representation", Information Fusion 24, 147-164.
    """
    a, b = _check_pair(a, b)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if min(a.shape) < patch:
        raise ValueError(f"images {a.shape} are smaller than the {patch}x{patch} patch")
    levels = min(levels, int(np.log2(min(a.shape) / patch)) + 1)  # keep the base >= one patch
    dictionary = dct_dictionary(patch, 2 * patch)
    return _lp_fuse(a, b, levels, lambda x, y: _sr_fuse(x, y, dictionary, patch, tol))


def luminance(rgb: np.ndarray) -> np.ndarray:
    """The YCbCr (BT.601) luminance of an RGB ``(..., 3)`` image in [0, 1], scaled from studio range to [0, 1]:
    the grey image :func:`fuse_colour` fuses. Shape ``(...)``."""
    return np.clip((rgb2ycbcr(np.asarray(rgb))[..., 0] - 16.0) / 219.0, 0.0, 1.0)


def with_luminance(rgb: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``rgb`` ``(..., 3)`` in [0, 1] with its YCbCr luminance replaced by ``y`` ``(...)`` (the scale of
    :func:`luminance`), its chroma kept; returns ``(..., 3)`` in [0, 1]."""
    rgb, y = np.asarray(rgb), np.asarray(y, dtype=np.float64)
    if rgb.shape[-1:] != (3,) or rgb.shape[:-1] != y.shape:
        raise ValueError(f"rgb must be (..., 3) and y its (...) luminance, got rgb {rgb.shape} and y {y.shape}")
    ycbcr = rgb2ycbcr(_check_unit(rgb, "rgb"))
    ycbcr[..., 0] = y * 219.0 + 16.0
    return np.clip(ycbcr2rgb(ycbcr), 0.0, 1.0)


def fuse_colour(fn: FusionFn, grey: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Fuse a grey ``(H, W)`` and a colour-mapped RGB ``(H, W, 3)`` image (PET/SPECT), both in [0, 1], on YCbCr luminance.

    ``fn(grey, Y)`` is any grey method (e.g. a value of :data:`~ivan_core.baselines.fusion.METHODS`); the chroma is
    kept (:func:`with_luminance`). Returns the fused ``(H, W, 3)`` image in [0, 1].
    """
    grey = _check_grey(grey, "grey")
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"rgb must be an (H, W, 3) colour image, got shape {rgb.shape}")
    if rgb.shape[:2] != grey.shape:
        raise ValueError(f"grey {grey.shape} and rgb {rgb.shape} differ in size")
    rgb = _check_unit(rgb, "rgb")
    return with_luminance(rgb, fn(grey, luminance(rgb)))
