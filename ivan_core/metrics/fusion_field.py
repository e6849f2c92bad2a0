"""The field's fusion metrics beside the paper's five, and :func:`fusion_metrics`, the full set.

The paper scores fusion with AG, SF, EN, Q_MI and Q^AB/F (:mod:`ivan_core.metrics.fusion`). All five
are blind to polarity (gradient magnitudes and orientations modulo pi, histograms, mutual information):
a fused image that draws the CT's bright bone dark keeps every edge and can top them. Of the metrics here
SCD and CC are sign-aware, POLARITY measures it directly, and Q_Y and VIF (local structure and variance)
are not: a dark skull can raise them too. What the fusion literature reports beside the paper's five:

* SCD, the sum of the correlations of differences (Aslantas & Bendes 2015);
* VIF, pixel-domain visual information fidelity (Sheikh & Bovik 2006, the ``vifp`` of
  `sewar <https://github.com/andrewekhalel/sewar>`_) of the fused image against each source, summed (the
  sum-of-VIFP convention of many fusion benchmarks, not Han et al.'s VIFF);
* Q_Y, Yang et al.'s SSIM-based index (local SSIMs from :func:`skimage.metrics.structural_similarity`);
* SD, the fused image's standard deviation (contrast);
* CC, the mean Pearson correlation of the fused image with each source;
* POLARITY, the fused contrast between the second source's brightest structures and the rest of
  the head (:func:`bright_contrast`): positive when they stay bright.

Inputs follow :mod:`ivan_core.metrics.ranges` like every metric here; images are put on the 0..255
scale first (VIF's noise variance and Q_Y's SSIM constants assume it).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.metrics import structural_similarity

from ivan_core.metrics.fusion import _scaled_set, ag, en, qabf, qmi, qpiella, sf

#: Every fusion metric, in report order: the paper's five (Table III) first, then Piella's Q (its
#: printed Eq. 18), then the field's. All are better when larger.
FUSION_METRICS = ("AG", "SF", "EN", "Q_MI", "Q_ABF", "Q_PIELLA", "SCD", "VIF", "Q_Y", "SD", "CC", "POLARITY")

_QY_WINDOW = 7
_QY_SIMILAR = 0.75  # Yang et al.: above this SSIM(A, B) the sources are redundant in a window


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two arrays; ``nan`` when either is constant."""
    x, y = x.ravel() - x.mean(), y.ravel() - y.mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom > 0 else float("nan")


def scd(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None) -> float:
    """Sum of the correlations of differences: ``corr(F - B, A) + corr(F - A, B)``.

    ``F - B`` is what the fusion took from ``A`` (and added noise); its correlation with ``A`` is high
    when ``A``'s structures went in with their sign. In [-2, 2]; averaging two independent images gives
    about 1.4, and a fused image that inverts one source's structures scores low or negative.

    Parameters
    ----------
    a, b, fused : ndarray, shape (H, W)
        Sources and fused image.
    data_range : float, optional
        Intensity span of all inputs; default per image from its dtype.

    Returns
    -------
    float
        SCD; ``nan`` when a difference or a source is constant.

    References
    ----------
    Aslantas, V. & Bendes, E. (2015), "A new image quality metric for image fusion: the sum of the
    correlations of differences", AEU Int. J. Electron. Commun. 69(12), 1890-1896.
    """
    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)
    return _corr(s_f - s_b, s_a) + _corr(s_f - s_a, s_b)


def cc(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None) -> float:
    """Mean correlation coefficient ``(corr(A, F) + corr(B, F)) / 2``, in [-1, 1] (``nan`` for a constant image)."""
    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)
    return (_corr(s_a, s_f) + _corr(s_b, s_f)) / 2.0


def sd(fused: np.ndarray, data_range: float | None = None) -> float:
    """Standard deviation of the fused image on the 0..255 scale (its global contrast)."""
    (s_f,) = _scaled_set(data_range, fused=fused)
    return float(s_f.std())


def vif(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None) -> float:
    """Visual information fidelity as fusion benchmarks sum it: ``VIFP(A, F) + VIFP(B, F)``.

    VIFP is the four-scale pixel-domain VIF of Sheikh & Bovik (``sewar.full_ref.vifp``, noise variance 2
    on the 0..255 scale), the source as reference: 1 when ``F`` equals that source, 0 when it carries none
    of it, above 1 for contrast enhancement. A fused image cannot equal both sources, so the sum stays
    well below 2 for real pairs; it ranks methods, it is not a fraction.

    References
    ----------
    Sheikh, H. R. & Bovik, A. C. (2006), "Image information and visual quality", IEEE TIP 15(2), 430-444.
    """
    from sewar.full_ref import vifp  # here: sewar imports scipy.signal and scipy.stats, which scoring does not need

    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)
    return float(vifp(s_a, s_f) + vifp(s_b, s_f))


def qy(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None) -> float:
    """Yang et al.'s structural-similarity fusion index Q_Y, in [-1, 1].

    In each 7x7 window ``w``: where the sources are redundant (``SSIM(A, B | w) >= 0.75``) the score is
    ``l SSIM(A, F | w) + (1 - l) SSIM(B, F | w)`` with ``l = var(A | w) / (var(A | w) + var(B | w))``
    (1/2 where both are flat); elsewhere ``max(SSIM(A, F | w), SSIM(B, F | w))``. Q_Y is the mean over
    the windows that fit inside the image. Local SSIMs are scikit-image's (uniform window, sample
    covariance, 0..255 range).

    References
    ----------
    Yang, C., Zhang, J.-Q., Wang, X.-R. & Liu, X. (2008), "A novel similarity based quality metric for
    image fusion", Information Fusion 9(2), 156-160.
    """
    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)

    def local_ssim(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return structural_similarity(x, y, win_size=_QY_WINDOW, data_range=255.0, full=True)[1]

    ssim_af, ssim_bf, ssim_ab = local_ssim(s_a, s_f), local_ssim(s_b, s_f), local_ssim(s_a, s_b)
    var_a = ndimage.uniform_filter(s_a * s_a, _QY_WINDOW) - ndimage.uniform_filter(s_a, _QY_WINDOW) ** 2
    var_b = ndimage.uniform_filter(s_b * s_b, _QY_WINDOW) - ndimage.uniform_filter(s_b, _QY_WINDOW) ** 2
    var_a, var_b = np.maximum(var_a, 0.0), np.maximum(var_b, 0.0)
    total = var_a + var_b
    weight = np.divide(var_a, total, out=np.full_like(total, 0.5), where=total > 1e-12)
    score = np.where(ssim_ab >= _QY_SIMILAR, weight * ssim_af + (1.0 - weight) * ssim_bf,
                     np.maximum(ssim_af, ssim_bf))
    pad = (_QY_WINDOW - 1) // 2
    return float(score[pad:-pad, pad:-pad].mean())


def bright_contrast(fused: np.ndarray, reference: np.ndarray, mask: np.ndarray | None = None,
                    data_range: float | None = None) -> float:
    """Polarity: ``mean(F | R) - mean(F | head without R)`` on the [0, 1] scale, ``R`` the reference's bright structures.

    ``R`` is the part of the head where ``reference`` lies above its Otsu threshold (for a CT, the bone).
    Positive when the fused image keeps those structures brighter than the rest of the head, as the
    reference shows them; ``bright_contrast(reference, reference)`` is the reference's own contrast.

    Parameters
    ----------
    fused, reference : ndarray, shape (H, W)
        Fused image and the source whose bright structures must stay bright.
    mask : ndarray of bool, shape (H, W), optional
        The head; default: where ``reference`` is above 5 % of its range, holes filled.
    data_range : float, optional
        Intensity span of both images; default per image from its dtype.

    Returns
    -------
    float
        In [-1, 1]; ``nan`` when the head has no bright part or nothing else (e.g. a constant reference).
    """
    s_f, s_r = (x / 255.0 for x in _scaled_set(data_range, fused=fused, reference=reference))
    head = ndimage.binary_fill_holes(s_r > 0.05) if mask is None else np.asarray(mask, dtype=bool)
    if head.shape != s_r.shape:
        raise ValueError(f"mask has shape {head.shape}, the images {s_r.shape}")
    values = s_r[head]
    if values.size < 2 or values.min() == values.max():
        return float("nan")
    bright = head & (s_r > threshold_otsu(values))
    rest = head & ~bright
    if not bright.any() or not rest.any():
        return float("nan")
    return float(s_f[bright].mean() - s_f[rest].mean())


def fusion_metrics(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None,
                   mask: np.ndarray | None = None) -> dict[str, float]:
    """Every fusion metric of a fused image and its two sources, keyed as :data:`FUSION_METRICS`.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Source images; ``b`` is the one whose bright structures must stay bright (the CT), for POLARITY.
    fused : ndarray, shape (H, W)
        Fused image.
    data_range : float, optional
        Intensity span of all inputs; default per image from its dtype.
    mask : ndarray of bool, shape (H, W), optional
        The head, for POLARITY (:func:`bright_contrast`'s default when None).

    Returns
    -------
    dict of str to float
        The paper's five (:func:`~ivan_core.metrics.fusion.ag`, ``sf``, ``en``, ``qmi``, ``qabf``), Piella's Q
        (``qpiella``), then :func:`scd`, :func:`vif`, :func:`qy`, :func:`sd`, :func:`cc` and :func:`bright_contrast`.
    """
    return {
        "AG": ag(fused, data_range),
        "SF": sf(fused, data_range),
        "EN": en(fused, data_range),
        "Q_MI": qmi(a, b, fused, data_range),
        "Q_ABF": qabf(a, b, fused, data_range),
        "Q_PIELLA": qpiella(a, b, fused, data_range),
        "SCD": scd(a, b, fused, data_range),
        "VIF": vif(a, b, fused, data_range),
        "Q_Y": qy(a, b, fused, data_range),
        "SD": sd(fused, data_range),
        "CC": cc(a, b, fused, data_range),
        "POLARITY": bright_contrast(fused, b, mask, data_range),
    }
