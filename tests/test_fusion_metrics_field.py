"""The field's fusion metrics (SCD, VIF, Q_Y, SD, CC, polarity) against independent computations."""

import numpy as np
import pytest
from scipy import stats

from ivan_core.metrics import bright_contrast, cc, fusion_metrics, qy, scd, sd, vif


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    return rng.random((2, 64, 64))


def test_scd_matches_scipy_pearson(pair):
    a, b = pair
    f = np.clip(0.6 * a + 0.3 * b + 0.05, 0, 1)
    expected = stats.pearsonr((f - b).ravel(), a.ravel())[0] + stats.pearsonr((f - a).ravel(), b.ravel())[0]
    assert scd(a, b, f) == pytest.approx(expected, abs=1e-12)


def test_scd_of_averaging_is_sqrt2_and_inversion_is_negative():
    rng = np.random.default_rng(1)
    a, b = rng.random((2, 256, 256))
    assert scd(a, b, (a + b) / 2) == pytest.approx(np.sqrt(2), abs=0.02)  # corr((A - B) / 2, A) = 1 / sqrt(2) twice
    assert scd(a, b, (a + 1 - b) / 2) < 0  # B drawn inverted


def test_cc_and_sd_match_numpy(pair):
    a, b = pair
    expected = (np.corrcoef(a.ravel(), a.ravel())[0, 1] + np.corrcoef(b.ravel(), a.ravel())[0, 1]) / 2
    assert cc(a, b, a) == pytest.approx(expected, abs=1e-12)
    f8 = (a * 255).astype(np.uint8)
    assert sd(f8) == pytest.approx(np.std(f8.astype(np.float64)))
    assert sd(a) == pytest.approx(255 * np.std(a))


def test_vif_is_one_per_source_kept_whole_and_falls_with_noise(pair):
    a, b = pair
    assert vif(a, a, a) == pytest.approx(2.0)
    noisy = np.clip(a + np.random.default_rng(2).normal(0, 0.1, a.shape), 0, 1)
    assert vif(a, a, noisy) < vif(a, a, a)


def _ssim_window(x, y):
    """SSIM of two 7x7 windows with sample (co)variances, 0..255 constants (Wang et al. 2004)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(ddof=1), y.var(ddof=1)
    cxy = ((x - mx) * (y - my)).sum() / (x.size - 1)
    return (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))


def test_qy_matches_a_window_by_window_computation():
    rng = np.random.default_rng(3)
    a = rng.random((14, 14)) * 255
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    b[:, 7:] = rng.random((14, 7)) * 255  # redundant on the left, different on the right
    f = 0.5 * a + 0.5 * b
    scores = []
    for i in range(3, 11):
        for j in range(3, 11):
            wa, wb, wf = (x[i - 3:i + 4, j - 3:j + 4] for x in (a, b, f))
            s_af, s_bf, s_ab = _ssim_window(wa, wf), _ssim_window(wb, wf), _ssim_window(wa, wb)
            va, vb = wa.var(), wb.var()
            lam = va / (va + vb)
            scores.append(lam * s_af + (1 - lam) * s_bf if s_ab >= 0.75 else max(s_af, s_bf))
    assert qy(a, b, f, data_range=255) == pytest.approx(np.mean(scores), abs=1e-6)
    assert qy(a, a, a, data_range=255) == pytest.approx(1.0)


def test_polarity_sign_follows_the_bright_structure():
    yy, xx = np.mgrid[:64, :64]
    head = (yy - 32) ** 2 + (xx - 32) ** 2 < 28**2
    ring = head & ((yy - 32) ** 2 + (xx - 32) ** 2 > 22**2)  # a bright skull
    ct = np.where(ring, 0.9, np.where(head, 0.2, 0.0))
    t2 = np.where(ring, 0.05, np.where(head, 0.6, 0.0))
    assert bright_contrast(ct, ct) == pytest.approx(0.7)
    assert bright_contrast((ct + t2) / 2, ct, head) == pytest.approx(0.075)
    assert bright_contrast(t2, ct, head) == pytest.approx(-0.55)  # the T2 draws the bone dark
    assert np.isnan(bright_contrast(ct, np.zeros_like(ct)))
    with pytest.raises(ValueError, match="mask"):
        bright_contrast(ct, ct, head[:10])
    assert fusion_metrics(t2, ct, ct, mask=head)["POLARITY"] == pytest.approx(0.7)
