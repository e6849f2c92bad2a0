"""PSNR, SSIM and NMSE against closed forms and scikit-image."""

import numpy as np
import pytest
from skimage import metrics as skm

from ivan_core.metrics import nmse, psnr, ssim


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    ref = rng.random((32, 32))
    return ref, np.clip(ref + 0.05 * rng.standard_normal(ref.shape), 0, 1)


def test_psnr_closed_form():
    ref = np.zeros((8, 8))
    est = np.full((8, 8), 0.1)
    assert psnr(ref, est) == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert psnr(ref, ref) == float("inf")


def test_masked_metrics_only_see_the_mask():
    ref = np.zeros((8, 8))
    est = ref.copy()
    est[:, 4:] = 1.0  # errors only outside the mask
    mask = np.zeros((8, 8), bool)
    mask[:, :4] = True
    assert psnr(ref + 0.5, est + 0.5, mask=mask) == float("inf")
    assert nmse(ref + 0.5, est + 0.5, mask=mask) == 0.0
    assert psnr(ref, est) < 10


def test_nmse_closed_form_and_skimage(pair):
    ref, est = pair
    assert nmse(ref, 0.5 * ref) == pytest.approx(0.25)
    assert nmse(ref, est) == pytest.approx(skm.normalized_root_mse(ref, est) ** 2)


def test_ssim_matches_skimage_and_orders(pair):
    ref, est = pair
    assert ssim(ref, ref) == pytest.approx(1.0)
    assert ssim(ref, est) == pytest.approx(skm.structural_similarity(ref, est, data_range=1.0))
    assert ssim(ref, est) > ssim(ref, np.random.default_rng(1).random(ref.shape))


def test_colour_and_stacks(pair):
    ref, est = pair
    rgb_ref, rgb_est = np.stack([ref] * 3, -1), np.stack([est] * 3, -1)
    assert ssim(rgb_ref, rgb_est) == pytest.approx(ssim(ref, est))
    assert psnr(rgb_ref, rgb_est) == pytest.approx(psnr(ref, est))
    stack_ref, stack_est = np.stack([ref, ref]), np.stack([est, est])
    assert ssim(stack_ref, stack_est) == pytest.approx(ssim(ref, est))


def test_input_errors(pair):
    ref, est = pair
    with pytest.raises(ValueError, match="shape"):
        psnr(ref, est[:-1])
    bad = est.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ssim(ref, bad)
    with pytest.raises(ValueError, match="empty"):
        nmse(ref, est, mask=np.zeros(ref.shape, bool))
