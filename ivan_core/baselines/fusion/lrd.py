"""LRD fusion: Laplacian re-decomposition for multimodal medical images (Li et al. 2020).

A reconstruction from the paper's structure (the authors' code is unreadable p-code): formulas and defaults are this module's.
"""

from __future__ import annotations

import numpy as np
from scipy import fft, ndimage
from skimage.transform import resize

from ivan_core.baselines.fusion.rules import _check_pair, _lp_decompose, _lp_reconstruct


def gradient_enhance(img: np.ndarray, gain: float = 1.2, mu: float = 0.1) -> np.ndarray:
    """Gradient-domain enhancement of ``img`` ``(H, W)`` by a screened Poisson solve (result not clipped).

    Solves ``argmin_E mu ||E - I||^2 + ||grad E - gain grad I||^2`` with Neumann borders in the DCT-II basis; the mean
    is kept and ``gain = 1`` returns ``I``. ``mu > 0`` (else ValueError); smaller ``mu`` enhances coarser detail.

    References
    ----------
    Bhat, P., Zitnick, C. L., Cohen, M. & Curless, B. (2010), "GradientShop: a gradient-domain optimization
    framework for image and video filtering", ACM Trans. Graphics 29(2), 10.
    """
    if not mu > 0:
        raise ValueError(f"mu must be positive, got {mu}")
    if gain == 1.0:
        return np.asarray(img, dtype=np.float64).copy()
    h, w = img.shape
    ky = 2.0 - 2.0 * np.cos(np.pi * np.arange(h) / h)
    kx = 2.0 - 2.0 * np.cos(np.pi * np.arange(w) / w)
    k = ky[:, None] + kx[None, :]
    spectrum = fft.dctn(img, type=2, norm="ortho")
    return fft.idctn(spectrum * (mu + gain * k) / (mu + k), type=2, norm="ortho")


def _local_mean(x: np.ndarray, radius: int) -> np.ndarray:
    return ndimage.uniform_filter(x, 2 * radius + 1, mode="reflect")


def _to_level(graph: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The full-resolution decision graph resampled (area-weighted) to a pyramid level's shape."""
    if graph.shape == shape:
        return graph
    return np.clip(resize(graph, shape, order=1, mode="reflect", anti_aliasing=True), 0.0, 1.0)


def lrd(a: np.ndarray, b: np.ndarray, levels: int = 4, gain: float = 1.2, mu: float = 0.1, radius: int = 1,
        threshold: float = 1.0) -> np.ndarray:
    """Laplacian re-decomposition (LRD) fusion, reconstructed after Li et al. (2020).

    1. Both sources are enhanced (:func:`gradient_enhance`) and split into Laplacian pyramids.
    2. Decision graph: 1 where A's windowed Laplacian energy is >= B's, resampled and smoothed to each band.
    3. Per band, a source whose coefficient exceeds ``threshold`` times the pair's mean magnitude while the other's
       does not is kept whole; elsewhere the bands are blended by the decision-graph weights.
    4. The base takes the source with the larger local mean, smoothed; the pyramid is collapsed.

    Arguments outside the ranges below raise ValueError.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1], at least 8 x 8.
    levels : int
        Pyramid levels including the base (>= 2); lowered so the base stays at least 8 pixels wide.
    gain, mu : float
        Enhancement gain (>= 1; 1 switches it off) and screening weight, see :func:`gradient_enhance`.
    radius : int
        Half-width of the local windows (>= 0).
    threshold : float
        Significance threshold in units of the pair's mean absolute band coefficient (>= 0).

    Returns
    -------
    ndarray, shape (H, W)
        Fused image, float64, clipped to [0, 1].

    References
    ----------
    Li, X., Guo, X., Han, P., Wang, X., Li, H. & Luo, T. (2020), "Laplacian redecomposition for multimodal medical
    image fusion", IEEE Trans. Instrumentation and Measurement 69(9), 6880-6890.
    """
    a, b = _check_pair(a, b)
    if levels < 2:
        raise ValueError(f"levels must be >= 2, got {levels}")
    if gain < 1.0 or radius < 0 or threshold < 0:
        raise ValueError(f"need gain >= 1, radius >= 0 and threshold >= 0, got {gain}, {radius}, {threshold}")
    if min(a.shape) < 8:
        raise ValueError(f"images {a.shape} are smaller than 8x8")
    levels = min(levels, int(np.log2(min(a.shape) / 8)) + 1)  # keep the low-frequency band >= 8 pixels

    ea, eb = gradient_enhance(a, gain, mu), gradient_enhance(b, gain, mu)
    pa, pb = _lp_decompose(ea, levels), _lp_decompose(eb, levels)

    act_a = _local_mean(ndimage.laplace(ea, mode="reflect") ** 2, radius)
    act_b = _local_mean(ndimage.laplace(eb, mode="reflect") ** 2, radius)
    graph = (act_a >= act_b).astype(np.float64)

    fused = []
    for ha, hb in zip(pa[:-1], pb[:-1]):
        weight = _local_mean(_to_level(graph, ha.shape), radius)
        tau = threshold * (np.abs(ha).mean() + np.abs(hb).mean()) / 2.0
        sig_a, sig_b = np.abs(ha) > tau, np.abs(hb) > tau
        band = weight * ha + (1.0 - weight) * hb  # redundant information and weak detail
        band = np.where(sig_a & ~sig_b, ha, band)  # complementary information, kept whole
        band = np.where(sig_b & ~sig_a, hb, band)
        fused.append(band)

    low_a, low_b = pa[-1], pb[-1]
    choice = _local_mean((_local_mean(low_a, radius) >= _local_mean(low_b, radius)).astype(np.float64), radius)
    fused.append(choice * low_a + (1.0 - choice) * low_b)
    return np.clip(_lp_reconstruct(fused), 0.0, 1.0)
