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
    assert psnr(ref + 0.25, 0.5 * est + 0.25, mask=mask) == float("inf")
    assert nmse(ref + 0.25, 0.5 * est + 0.25, mask=mask) == 0.0
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


def test_integer_images_use_their_dtype_range(pair):
    """The trap of a fixed data_range=1: uint8 images gave -21.8 dB instead of 26.4 dB."""
    ref, est = pair
    ref8, est8 = (np.round(ref * 255).astype(np.uint8), np.round(est * 255).astype(np.uint8))
    expected = skm.peak_signal_noise_ratio(ref8, est8, data_range=255)
    assert psnr(ref8, est8) == pytest.approx(expected)
    assert psnr(ref8, est8) == pytest.approx(psnr(ref8 / 255.0, est8 / 255.0))
    assert ssim(ref8, est8) == pytest.approx(ssim(ref8 / 255.0, est8 / 255.0))
    ref16 = ref8.astype(np.uint16) * 257
    assert psnr(ref16, est8.astype(np.uint16) * 257) == pytest.approx(expected)


@pytest.mark.parametrize("metric", [psnr, ssim, nmse])
def test_float_images_outside_unit_range_need_data_range(pair, metric):
    ref, est = pair
    with pytest.raises(ValueError, match="data_range="):
        metric(ref * 255, est * 255)
    assert metric(ref * 255, est * 255, data_range=255) == pytest.approx(metric(ref, est))


def test_mixed_scales_are_refused(pair):
    ref, est = pair
    with pytest.raises(ValueError, match="different intensity scales"):
        psnr(np.round(ref * 255).astype(np.uint8), est)


def test_a_0_1_integer_mask_means_the_same_as_a_boolean_one(pair):
    ref, est = pair
    mask = np.zeros(ref.shape, bool)
    mask[4:20, 6:28] = True
    for metric in (psnr, ssim, nmse):
        assert metric(ref, est, mask=mask.astype(np.uint8)) == pytest.approx(metric(ref, est, mask=mask))
