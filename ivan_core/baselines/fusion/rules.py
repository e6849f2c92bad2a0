"""Classical image-fusion baselines (no MATLAB): pixel rules, multi-scale and LP-SR.

:mod:`ivan_core.baselines.fusion.methods` names them, beside the paper's other comparison methods.

Every method is ``fn(a, b) -> fused`` on two registered grey images, 2-D float
arrays ``(H, W)`` of one shape with values in [0, 1]; the fused image has the same
shape and is clipped to [0, 1]. :func:`fuse_colour` applies any of them to a grey
image and a colour-mapped (PET/SPECT) RGB image through the luminance channel.
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
    """Return ``arr`` as float64 after checking it is finite and within [0, 1]."""
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
    """Pixel-wise mean ``F = (A + B) / 2``.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1].

    Returns
    -------
    ndarray, shape (H, W)
        Fused image in [0, 1].
    """
    a, b = _check_pair(a, b)
    return (a + b) / 2.0


def maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixel-wise maximum ``F = max(A, B)``.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1].

    Returns
    -------
    ndarray, shape (H, W)
        Fused image in [0, 1].
    """
    a, b = _check_pair(a, b)
    return np.maximum(a, b)


def _lp_decompose(img: np.ndarray, levels: int) -> list[np.ndarray]:
    """Laplacian pyramid ``[L_0, ..., L_{levels-2}, G_{levels-1}]`` (fine to coarse).

    ``G_{k+1} = reduce(G_k)`` (Gaussian smoothing and 2x down-sampling) and
    ``L_k = G_k - expand(G_{k+1})``; the last entry is the low-pass base.
    """
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
    """Laplacian-pyramid fusion (Burt & Adelson 1983 pyramid).

    Each source is split into ``levels - 1`` band-pass levels
    ``L_k = G_k - expand(G_{k+1})`` and a low-pass base ``G_{levels-1}``, with
    ``G_{k+1}`` the Gaussian-smoothed, 2x down-sampled ``G_k``
    (:func:`skimage.transform.pyramid_reduce`) and ``expand`` a bilinear resize.
    Band-pass levels are fused by max-abs selection ``L_F = L_A if |L_A| >= |L_B|
    else L_B``, the base by averaging; the pyramid is then collapsed, which inverts
    the decomposition exactly.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1].
    levels : int
        Pyramid levels including the base (>= 1; 1 is plain averaging).

    Returns
    -------
    ndarray, shape (H, W)
        Fused image, clipped to [0, 1].

    References
    ----------
    Burt, P. J. & Adelson, E. H. (1983), "The Laplacian pyramid as a compact image
    code", IEEE Trans. Communications 31(4), 532-540.
    """
    a, b = _check_pair(a, b)
    return _lp_fuse(a, b, levels, lambda x, y: (x + y) / 2.0)


def dwt(a: np.ndarray, b: np.ndarray, wavelet: str = "db2", level: int = 3) -> np.ndarray:
    """Discrete-wavelet-transform fusion.

    Both sources are decomposed with :func:`pywt.wavedec2` (``level`` levels,
    symmetric extension); approximation coefficients are averaged, every detail
    sub-band (horizontal, vertical, diagonal) is fused by max-abs selection, and
    :func:`pywt.waverec2` gives the fused image (cropped to ``(H, W)``).

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1].
    wavelet : str
        PyWavelets wavelet name.
    level : int
        Decomposition levels (>= 1).

    Returns
    -------
    ndarray, shape (H, W)
        Fused image, clipped to [0, 1].

    References
    ----------
    Li, H., Manjunath, B. S. & Mitra, S. K. (1995), "Multisensor image fusion using
    the wavelet transform", Graphical Models and Image Processing 57(3), 235-245.
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
    """Overcomplete separable 2-D DCT dictionary (as used to initialise K-SVD).

    The 1-D dictionary has atoms ``cos(pi * n * k / atoms_per_axis)`` for samples
    ``n = 0..patch-1`` and frequencies ``k = 0..atoms_per_axis-1``; every atom but
    the constant one has its mean removed, all are unit-norm, and the 2-D dictionary
    is the Kronecker product of the 1-D one with itself.

    Parameters
    ----------
    patch : int
        Patch side length.
    atoms_per_axis : int
        1-D atoms (>= patch for an overcomplete dictionary).

    Returns
    -------
    ndarray, shape (patch**2, atoms_per_axis**2)
        Dictionary with unit-norm columns (default 64 x 256).
    """
    n = np.arange(patch)[:, None]
    k = np.arange(atoms_per_axis)[None, :]
    d1 = np.cos(np.pi * n * k / atoms_per_axis)
    d1[:, 1:] -= d1[:, 1:].mean(axis=0)
    d1 /= np.linalg.norm(d1, axis=0)
    return np.kron(d1, d1)


def _sr_fuse(a: np.ndarray, b: np.ndarray, dictionary: np.ndarray, patch: int, tol: float) -> np.ndarray:
    """Sparse-representation fusion with the max-L1 rule (sliding patches, step 1).

    Each ``patch x patch`` window of both images, minus its mean, is coded by OMP
    until its residual L2 norm is at most ``tol``; the patch whose code has the larger
    L1 norm wins (ties go to ``a``) and keeps its own mean. Overlapping fused patches
    are averaged back into an image.
    """
    if min(a.shape) < patch:
        raise ValueError(
            f"low-pass band {a.shape} is smaller than the {patch}x{patch} patch; use fewer pyramid levels"
        )
    pa = extract_patches_2d(a, (patch, patch)).reshape(-1, patch * patch).T
    pb = extract_patches_2d(b, (patch, patch)).reshape(-1, patch * patch).T
    ma, mb = pa.mean(axis=0), pb.mean(axis=0)
    centred = np.hstack([pa - ma, pb - mb])
    # Windows already within tolerance (flat background) keep an all-zero code; OMP's
    # `tol` is the squared residual norm.
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
    """LP-SR fusion of Liu, Liu & Wang (2015): Laplacian pyramid + sparse representation.

    The sources are decomposed into a Laplacian pyramid as in
    :func:`laplacian_pyramid`. Band-pass levels are fused by max-abs selection.
    The low-pass base is fused by sparse representation: every ``patch x patch``
    sliding window (step 1, as in the paper) of both bases has its mean removed and
    is coded by orthogonal matching pursuit (:func:`sklearn.linear_model.orthogonal_mp`)
    to a residual L2 norm <= ``tol``; per window the code with the larger L1 norm is
    kept together with its source's mean (max-L1 rule), and the fused windows are
    averaged where they overlap. Collapsing the pyramid gives the fused image.

    Dictionary choice: the paper learns its dictionary with K-SVD on natural-image
    patches. Here a fixed overcomplete 2-D DCT dictionary (:func:`dct_dictionary`,
    8x8 patches, 256 atoms; the usual K-SVD initialisation) is used instead, so the
    method is deterministic and needs no training data. With the base band only
    ``H / 2**(levels-1)`` pixels on a side (32x32 for a 256x256 image), step-1
    windows stay fast.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1].
    levels : int
        Pyramid levels including the base (>= 1); lowered automatically for small
        images so the base stays at least ``patch`` pixels on a side.
    patch : int
        Side of the square sparse-coding windows (the dictionary is ``patch**2 x
        (2 * patch)**2``).
    tol : float
        Target residual L2 norm per mean-removed window, in [0, 1] intensity units
        (0.01 over 64 pixels is an RMS error of 0.00125, a third of a grey level).

    Returns
    -------
    ndarray, shape (H, W)
        Fused image, clipped to [0, 1].

    References
    ----------
    Liu, Y., Liu, S. & Wang, Z. (2015), "A general framework for image fusion based
    on multi-scale transform and sparse representation", Information Fusion 24,
    147-164.
    """
    a, b = _check_pair(a, b)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if min(a.shape) < patch:
        raise ValueError(f"images {a.shape} are smaller than the {patch}x{patch} patch")
    levels = min(levels, int(np.log2(min(a.shape) / patch)) + 1)  # keep the base >= one patch
    dictionary = dct_dictionary(patch, 2 * patch)
    return _lp_fuse(a, b, levels, lambda x, y: _sr_fuse(x, y, dictionary, patch, tol))


def fuse_colour(fn: FusionFn, grey: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Fuse a grey image with a colour-mapped RGB image (PET/SPECT) on luminance.

    The RGB image is converted to YCbCr (:func:`skimage.color.rgb2ycbcr`, ITU-R
    BT.601, Y in [16, 235]); its luminance, rescaled to [0, 1], is fused with
    ``grey`` by ``fn(grey, Y)``; the fused luminance replaces Y, the chroma (Cb, Cr)
    is kept, and the result is converted back to RGB and clipped to [0, 1].

    Parameters
    ----------
    fn : callable
        Grey fusion method ``fn(a, b) -> fused`` on ``(H, W)`` arrays in [0, 1],
        e.g. a value of :data:`ivan_core.baselines.fusion.METHODS`.
    grey : ndarray, shape (H, W)
        Grey source (e.g. MRI) in [0, 1].
    rgb : ndarray, shape (H, W, 3)
        Colour source (e.g. PET) in [0, 1].

    Returns
    -------
    ndarray, shape (H, W, 3)
        Fused colour image in [0, 1].
    """
    grey = _check_grey(grey, "grey")
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"rgb must be an (H, W, 3) colour image, got shape {rgb.shape}")
    if rgb.shape[:2] != grey.shape:
        raise ValueError(f"grey {grey.shape} and rgb {rgb.shape} differ in size")
    ycbcr = rgb2ycbcr(_check_unit(rgb, "rgb"))
    luma = np.clip((ycbcr[..., 0] - 16.0) / 219.0, 0.0, 1.0)
    ycbcr[..., 0] = np.asarray(fn(grey, luma), dtype=np.float64) * 219.0 + 16.0
    return np.clip(ycbcr2rgb(ycbcr), 0.0, 1.0)
