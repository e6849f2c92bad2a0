"""The field's fusion metrics beside the paper's five (SCD, VIF, Q_Y, SD, CC, POLARITY) and :func:`fusion_metrics`.

Inputs follow :mod:`~ivan_core.metrics.ranges`, scored on 0..255. Only SCD, CC and POLARITY see inverted contrast.
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
    """Sum of the correlations of differences ``corr(F - B, A) + corr(F - A, B)``, in [-2, 2].

    Low or negative when ``fused`` inverts a source's structures; ``nan`` when a difference or a source is constant.

    References
    ----------
    Aslantas, V. & Bendes, E. (2015), "A new image quality metric for image fusion: the sum of the correlations of
    differences", AEU Int. J. Electron. Commun. 69(12), 1890-1896.
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
    """Visual information fidelity summed over the sources, ``VIFP(A, F) + VIFP(B, F)`` (``sewar``'s ``vifp``).

    Each term is 1 when ``F`` equals that source and 0 when it carries none of it (above 1 for contrast enhancement).

    References
    ----------
    Sheikh, H. R. & Bovik, A. C. (2006), "Image information and visual quality", IEEE TIP 15(2), 430-444.
    """
    from sewar.full_ref import vifp  # here: sewar imports scipy.signal and scipy.stats, which scoring does not need

    s_a, s_b, s_f = _scaled_set(data_range, a=a, b=b, fused=fused)
    return float(vifp(s_a, s_f) + vifp(s_b, s_f))


def qy(a: np.ndarray, b: np.ndarray, fused: np.ndarray, data_range: float | None = None) -> float:
    """Yang et al.'s SSIM-based fusion index Q_Y, in [-1, 1].

    Per 7x7 window: where ``SSIM(A, B) >= 0.75`` the variance-weighted mean of ``SSIM(A, F)`` and ``SSIM(B, F)``,
    else their maximum; averaged over the windows inside the image (scikit-image's local SSIM).

    References
    ----------
    Yang, C., Zhang, J.-Q., Wang, X.-R. & Liu, X. (2008), "A novel similarity based quality metric for image fusion",
    Information Fusion 9(2), 156-160.
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
    """Polarity: ``mean(F | R) - mean(F | head without R)`` on [0, 1], ``R`` the reference's bright structures.

    ``R`` is where ``reference`` exceeds its Otsu threshold inside the head, ``mask`` (bool ``(H, W)``, else
    ValueError; default ``reference`` above 5 % of its range, holes filled). In [-1, 1], positive when ``R`` stays
    bright; ``nan`` when the head has no bright part or nothing else.
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
    """Every fusion metric of ``fused`` and its sources ``a``, ``b`` ``(H, W)``, keyed as :data:`FUSION_METRICS`.

    ``b`` is the source whose bright structures must stay bright (the CT) and ``mask`` the head, both for POLARITY.
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
