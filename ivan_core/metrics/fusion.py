"""Fusion metrics (the paper's Table III: AG, SF, EN, Q_MI and Q_ab/f; Eq. 14-18).

All functions take grey images as 2-D numpy arrays ``(H, W)`` of one shape and
score them on the uint8 intensity scale, as fusion papers (and their MATLAB
toolboxes) do. Input convention (:mod:`ivan_core.metrics.ranges`, shared by every metric):

* ``data_range`` states the intensity span; None (the default) decides it per image
  from the dtype: integers span their dtype (uint8: 255), floats [0, 1], and a float
  image outside [0, 1] without ``data_range`` is an error;
* every image is mapped to [0, 255] by that span; AG, SF and Q^AB/F use these
  scaled values as floats;
* EN and Q_MI need a 256-bin histogram: the scaled values are rounded to the
  nearest integer and clipped to 0..255.

Values that are undefined (0/0, e.g. Q^AB/F when neither source has an edge)
are returned as ``nan``.

Where the computation differs from the paper's printed equation:

* AG (:func:`ag`): the default is the fusion-toolbox form ``sqrt((dx^2 + dy^2) / 2)``,
  ``1/sqrt(2)`` of the paper's Eq. 14 ``sqrt(X_h^2 + X_w^2)``; ``form="eq14"`` gives Eq. 14.
* Q_ab/f: the paper names the metric Q_ab/f but prints as Eq. 18 the index of Piella &
  Heijmans (2003), a saliency-weighted mean of Wang & Bovik's local quality index, which is
  not the edge-based Q^AB/F of Xydeas & Petrovic (2000). Both are here: :func:`qabf`
  (``"Q_ABF"``) and :func:`qpiella` (``"Q_PIELLA"``, Eq. 18). The paper does not say which one
  produced its Table III.
* SF (Eq. 15), EN (Eq. 16) and Q_MI (Eq. 17): as printed; the paper leaves RF and CF
  undefined, :func:`sf` states the definition used.
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
    """Average gradient of an image.

    ``AG = 1/((H-1)(W-1)) * sum_{i<H, j<W} sqrt((dx^2 + dy^2) / 2)`` with forward
    differences ``dx = F(i, j+1) - F(i, j)`` and ``dy = F(i+1, j) - F(i, j)`` over
    the ``(H-1, W-1)`` pixels where both exist. A ramp of slope ``s`` grey levels per
    pixel along one axis scores ``s / sqrt(2)``.

    **Deviation from the paper.** This default, the form of the fusion toolboxes and of Cui
    et al. (2015), is ``1/sqrt(2)`` of the paper's Eq. 14,
    ``AG = 1/(HW) sum sqrt(X_h^2 + X_w^2)``. ``form="eq14"`` computes Eq. 14 with the
    same forward differences over the same pixels (the paper does not say which gradient
    operator or border it uses), i.e. ``sqrt(2)`` times the default; a ramp of slope ``s``
    scores ``s``. The ``"AG"`` of :func:`fusion_metrics` and the result tables is the default.

    Parameters
    ----------
    fused : ndarray, shape (H, W)
        Image to score (H, W >= 2).
    data_range : float, optional
        Intensity span of the input; default from the dtype (see the module docstring).
    form : {"toolbox", "eq14"}
        ``"toolbox"`` (default): ``sqrt((dx^2 + dy^2) / 2)``; ``"eq14"``: the paper's
        ``sqrt(dx^2 + dy^2)``.

    Returns
    -------
    float
        AG in grey levels per pixel on the [0, 255] scale, >= 0 (0 for a constant
        image); higher means sharper.

    References
    ----------
    Cui, G. et al. (2015), "Detail preserved fusion of visible and infrared images
    using regional saliency extraction and multi-scale image decomposition",
    Optics Communications 341, 199-209.
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
    """Spatial frequency, ``SF = sqrt(RF^2 + CF^2)``.

    Row frequency ``RF^2 = 1/(HW) * sum_{i, j>=1} (F(i, j) - F(i, j-1))^2`` and
    column frequency ``CF^2 = 1/(HW) * sum_{i>=1, j} (F(i, j) - F(i-1, j))^2``, both
    normalised by the full pixel count ``HW`` as in the original definition. A ramp
    of slope ``s`` grey levels per pixel along the columns scores ``s sqrt((W-1)/W)``.

    Parameters
    ----------
    fused : ndarray, shape (H, W)
        Image to score.
    data_range : float, optional
        Intensity span of the input; default from the dtype (see the module docstring).

    Returns
    -------
    float
        SF in grey levels on the [0, 255] scale, >= 0 (0 for a constant image);
        higher means more detail.

    References
    ----------
    Eskicioglu, A. M. & Fisher, P. S. (1995), "Image quality measures and their
    performance", IEEE Trans. Communications 43(12), 2959-2965; Li, S., Kwok, J. T.
    & Wang, Y. (2001), Information Fusion 2(3), 169-176.
    """
    f = _scaled(fused, data_range, "fused")
    rf2 = np.sum(np.diff(f, axis=1) ** 2) / f.size
    cf2 = np.sum(np.diff(f, axis=0) ** 2) / f.size
    return float(np.sqrt(rf2 + cf2))


def en(fused: np.ndarray, data_range: float | None = None) -> float:
    """Shannon entropy of the 256-bin grey-level histogram, in bits.

    ``EN = -sum_l p_l log2 p_l`` over the grey levels ``l = 0..255`` with
    ``p_l`` the fraction of pixels at level ``l`` (empty bins contribute 0).

    Parameters
    ----------
    fused : ndarray, shape (H, W)
        Image to score; rounded to 256 integer levels after scaling.
    data_range : float, optional
        Intensity span of the input; default from the dtype (see the module docstring).

    Returns
    -------
    float
        EN in bits, in [0, 8]: 0 for a constant image, 8 when all 256 levels are
        equally frequent.

    References
    ----------
    Roberts, J. W., van Aardt, J. A. & Ahmed, F. B. (2008), "Assessment of image
    fusion procedures using entropy, image quality, and multispectral
    classification", J. Applied Remote Sensing 2(1), 023522.
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
    """Normalised mutual information Q_MI (the paper's Eq. 17).

    ``Q_MI = 2 * [ MI(A, F) / (H(A) + H(F)) + MI(B, F) / (H(B) + H(F)) ]`` with
    ``MI(X, F) = H(X) + H(F) - H(X, F)`` and entropies in bits from the 256-level
    marginal and 256x256 joint histograms.

    Normalisation convention: this is the normalised form of Hossny et al. (2008),
    not the raw ``MI(A, F) + MI(B, F)`` of Qu et al. (2002) that some toolboxes also
    call "MI". Since ``MI(X, F) <= min(H(X), H(F))``, each ratio is at most 1/2, so
    ``Q_MI`` lies in [0, 2]; ``F = A = B`` gives exactly 2. It is symmetric in
    ``a`` and ``b``.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Source images.
    fused : ndarray, shape (H, W)
        Fused image.
    data_range : float, optional
        Intensity span of all three inputs; default per image from its dtype
        (see the module docstring).

    Returns
    -------
    float
        Q_MI in [0, 2]; higher means more source information carried into ``fused``.
        ``nan`` when a source and ``fused`` are both constant (0/0).

    References
    ----------
    Hossny, M., Nahavandi, S. & Creighton, D. (2008), "Comments on 'Information
    measure for performance of image fusion'", Electronics Letters 44(18), 1066-1067.
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

    **Deviation from the paper.** The paper calls its metric Q_ab/f, the usual name of this
    measure, but its Eq. 18 is Piella & Heijmans' saliency-weighted quality index, a different
    quantity; that one is :func:`qpiella`.

    With Sobel responses ``s_x, s_y`` of each image, edge strength
    ``g = sqrt(s_x^2 + s_y^2)`` and orientation ``alpha = atan(s_y / s_x)``:

    * relative strength ``G^AF = min(g_A, g_F) / max(g_A, g_F)`` (0 where either is 0),
    * relative orientation ``A^AF = 1 - d / (pi/2)`` with ``d`` the angle between the
      two orientations taken modulo pi, so ``d`` in [0, pi/2] (this is Petrovic's
      ``| |alpha_A - alpha_F| - pi/2 | / (pi/2)``, which treats opposite gradient
      directions as the same edge orientation),
    * ``Q_g^AF = Gamma_g / (1 + exp(k_g (G^AF - sigma_g)))``,
      ``Q_a^AF = Gamma_a / (1 + exp(k_a (A^AF - sigma_a)))`` with Gamma_g = 0.9994,
      k_g = -15, sigma_g = 0.5, Gamma_a = 0.9879, k_a = -22, sigma_a = 0.8,
    * ``Q^AF = Q_g^AF Q_a^AF`` (likewise ``Q^BF``), and with weights
      ``w_A = g_A^L, w_B = g_B^L``, L = 1:

    ``Q^AB/F = sum(Q^AF w_A + Q^BF w_B) / sum(w_A + w_B)``.

    Image borders are replicated for the Sobel filter, so a flat border adds no edge.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Source images.
    fused : ndarray, shape (H, W)
        Fused image.
    data_range : float, optional
        Intensity span of all three inputs; default per image from its dtype
        (see the module docstring).

    Returns
    -------
    float
        Q^AB/F in [0, 1); higher means more source edges kept. With these constants
        a perfect transfer (``F = A = B``) scores about 0.975, not 1. ``nan`` when
        neither source has any edge (0/0).

    References
    ----------
    Xydeas, C. S. & Petrovic, V. (2000), "Objective image fusion performance
    measure", Electronics Letters 36(4), 308-309.
    """
    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)
    (g_a, a_a), (g_b, a_b), (g_f, a_f) = _sobel(s_a), _sobel(s_b), _sobel(s_f)
    weight = np.sum(g_a + g_b)
    if weight == 0:
        return float("nan")
    num = np.sum(_edge_preservation(g_a, a_a, g_f, a_f) * g_a + _edge_preservation(g_b, a_b, g_f, a_f) * g_b)
    return float(num / weight)


def _windows(img: np.ndarray, size: int, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """The ``size x size`` windows of ``img`` whose top row is in ``rows``, as ``(rows, cols,
    size * size)`` minus each window's first pixel (so a flat window is exactly 0), and those
    first pixels ``(rows, cols)``."""
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
    """Wang & Bovik's ``Q0 = 4 s_xy m_x m_y / ((s_x^2 + s_y^2)(m_x^2 + m_y^2))`` per window.

    ``m`` are the unshifted means. Where a factor of the denominator is 0 the index is the
    other factor's limit, as in Wang & Bovik's reference code: both windows flat gives
    ``2 m_x m_y / (m_x^2 + m_y^2)``, both means 0 gives ``2 s_xy / (s_x^2 + s_y^2)``, both gives 1.
    """
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

    ``Q(a, b, f) = 1/|W| sum_{w in W} [lambda(w) Q0(a, f | w) + (1 - lambda(w)) Q0(b, f | w)]``

    over the family ``W`` of all ``window x window`` windows inside the image (step 1, no
    padding), where

    * ``Q0(x, f | w) = 4 s_xf m_x m_f / ((s_x^2 + s_f^2)(m_x^2 + m_f^2))`` is Wang & Bovik's
      universal quality index in window ``w`` (means ``m``, variances ``s^2`` and covariance
      ``s_xf`` of the window's pixels), in [-1, 1]; flat windows follow Wang & Bovik's code
      (two flat windows score ``2 m_x m_f / (m_x^2 + m_f^2)``, 1 when equal);
    * ``lambda(w) = s(a | w) / (s(a | w) + s(b | w))`` with the saliency ``s`` the window's
      variance, Piella & Heijmans' choice; ``1/2`` where both sources are flat.

    The paper names this Q_ab/f; it is not Xydeas & Petrovic's edge measure, which
    :func:`qabf` computes. The paper does not give the window or the saliency; 8 x 8 is Wang &
    Bovik's window and variance Piella & Heijmans' saliency. The index is unchanged by
    scaling all three images by one factor.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Source images.
    fused : ndarray, shape (H, W)
        Fused image.
    data_range : float, optional
        Intensity span of all three inputs; default per image from its dtype
        (see the module docstring).
    window : int
        Side of the square windows, at most ``min(H, W)``.

    Returns
    -------
    float
        Q in [-1, 1]; 1 when ``fused`` equals both sources, higher means more of the locally
        more salient source kept.

    References
    ----------
    Piella, G. & Heijmans, H. (2003), "A new quality metric for image fusion", Proc. IEEE
    Int. Conf. Image Processing, vol. 3, 173-176. Wang, Z. & Bovik, A. C. (2002), "A universal
    image quality index", IEEE Signal Processing Letters 9(3), 81-84.
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
