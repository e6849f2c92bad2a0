"""Classical fusion baselines and the unsupervised fusion loss."""

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.color import rgb2ycbcr

from ivan_core.baselines.fusion import METHODS, average, fuse, fuse_colour, lp_sr
from ivan_core.core.training.fusion_losses import (
    difference_magnitude,
    edge_loss,
    fine_excess_loss,
    signed_edge_loss,
    sobel_magnitude,
    teacher_fusion_loss,
    unsupervised_fusion_loss,
)

# LP-SR rebuilds the low-pass band from OMP codes, exact only to the coding tolerance; CS-MCA
# from convolutional sparse codes; LRD enhances gradients first (exact only at gain=1, its own test).
_IDEMPOTENCE_TOL = {"lp_sr": 5e-3, "cs_mca": 1e-2}
_ENHANCES = {"lrd"}


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a = ndimage.gaussian_filter(rng.random((64, 64)), 2)
    b = ndimage.gaussian_filter(rng.random((64, 64)), 1)
    return (a - a.min()) / np.ptp(a), (b - b.min()) / np.ptp(b)


def _edge(img: np.ndarray) -> float:
    return float(np.hypot(ndimage.sobel(img, 0), ndimage.sobel(img, 1)).max())


@pytest.mark.parametrize("name", sorted(METHODS))
def test_output_shape_and_range(name, pair):
    a, b = pair
    fused = fuse(name, a, b)
    assert fused.shape == a.shape
    assert fused.min() >= 0.0 and fused.max() <= 1.0
    assert not np.allclose(fused, a) and not np.allclose(fused, b)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_fusing_an_image_with_itself_returns_it(name, pair):
    if name in _ENHANCES:
        pytest.skip(f"{name} sharpens its inputs by design")
    a, _ = pair
    np.testing.assert_allclose(fuse(name, a, a), a, atol=_IDEMPOTENCE_TOL.get(name, 1e-9))


@pytest.mark.parametrize("name", ["laplacian_pyramid", "dwt", "lp_sr"])
def test_max_abs_detail_keeps_an_edge_of_one_source(name):
    a = np.full((64, 64), 0.5)
    a[24:40, 24:40] = 0.9
    b = np.full((64, 64), 0.5)
    assert _edge(average(a, b)) == pytest.approx(0.5 * _edge(a))
    assert _edge(fuse(name, a, b)) > 0.9 * _edge(a)


def test_lp_sr_caps_the_pyramid_for_small_images(pair):
    a, b = pair
    assert np.array_equal(lp_sr(a, b, levels=9), lp_sr(a, b, levels=int(np.log2(min(a.shape) / 8)) + 1))
    with pytest.raises(ValueError, match="smaller than the 8x8 patch"):
        lp_sr(a[:6, :6], b[:6, :6])


def test_fuse_colour_replaces_luminance_and_keeps_chroma():
    rng = np.random.default_rng(2)
    grey = rng.uniform(0.3, 0.7, (32, 32))
    rgb = np.clip(rng.uniform(0.35, 0.65, (32, 32, 1)) + rng.uniform(-0.1, 0.1, (32, 32, 3)), 0, 1)
    fused = fuse_colour(average, grey, rgb)
    assert fused.shape == rgb.shape
    assert 0.0 < fused.min() and fused.max() < 1.0  # no clipping, so YCbCr round-trips exactly
    before, after = rgb2ycbcr(rgb), rgb2ycbcr(fused)
    np.testing.assert_allclose(after[..., 1:], before[..., 1:], atol=1e-6)
    expected_luma = average(grey, (before[..., 0] - 16) / 219)
    np.testing.assert_allclose((after[..., 0] - 16) / 219, expected_luma, atol=1e-6)


def test_fuse_colour_of_a_grey_rgb_stays_grey(pair):
    a, b = pair
    fused = fuse_colour(METHODS["dwt"], a, np.repeat(b[..., None], 3, axis=-1))
    np.testing.assert_allclose(fused[..., 0], fused[..., 1], atol=1e-6)
    np.testing.assert_allclose(fused[..., 0], fused[..., 2], atol=1e-6)


def test_unknown_method_lists_available_names(pair):
    with pytest.raises(ValueError, match="available: average, cs_mca, dwt, laplacian_pyramid, lp_cnn, lp_sr, lrd, maximum"):
        fuse("guided_filter", *pair)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (np.zeros((8, 8)), np.zeros((8, 9)), "differ in shape"),
        (np.zeros((8, 8)), np.full((8, 8), 2.0), r"in \[0, 1\]"),
        (np.zeros((8, 8, 3)), np.zeros((8, 8, 3)), "2-D"),
        (np.zeros((8, 8)), np.full((8, 8), np.nan), "NaN"),
    ],
)
def test_baselines_validate_inputs(a, b, message):
    with pytest.raises(ValueError, match=message):
        fuse("average", a, b)


def test_fuse_colour_validates_rgb(pair):
    a, b = pair
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        fuse_colour(average, a, b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_loss_is_zero_for_perfect_agreement_and_differentiable(dtype):
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(2, 3, 16, 16, generator=gen, dtype=dtype)
    b = torch.rand(2, 3, 16, 16, generator=gen, dtype=dtype)
    assert unsupervised_fusion_loss(a, a, a).item() == 0.0
    fused = ((a + b) / 2).requires_grad_()
    loss = unsupervised_fusion_loss(fused, a, b)
    loss.backward()
    assert loss.dtype == dtype and loss.item() > 0
    assert fused.grad is not None and torch.isfinite(fused.grad).all() and fused.grad.abs().sum() > 0


def test_loss_terms_have_their_stated_values():
    a = torch.full((1, 1, 8, 8), 0.6)
    zero = torch.zeros_like(a)
    # flat images: only the intensity term, |0 - max(0.6, 0)| = 0.6
    assert unsupervised_fusion_loss(zero, a, zero).item() == pytest.approx(0.6)
    step = torch.zeros(1, 1, 8, 8)
    step[..., 4:] = 1.0  # Sobel |G_x| = 4 on the two columns beside the step
    loss = unsupervised_fusion_loss(zero, step, step, w_intensity=0.0, w_gradient=1.0)
    assert loss.item() == pytest.approx(4 * 2 / 8)


def test_teacher_loss_is_label_distance_plus_stated_edge_term():
    zero = torch.zeros(1, 1, 8, 8)
    label = torch.full_like(zero, 0.5)
    step = torch.zeros(1, 1, 8, 8)
    step[..., 4:] = 1.0  # Sobel |G_x| = 4 on the two columns beside the step: edge_loss(0, step, step) = 1
    assert edge_loss(zero, step, step).item() == pytest.approx(1.0)
    assert teacher_fusion_loss(zero, label, zero, zero).item() == pytest.approx(0.25)  # (0 - 0.5)^2
    assert teacher_fusion_loss(zero, label, zero, zero, norm="l1").item() == pytest.approx(0.5)
    assert teacher_fusion_loss(zero, zero, step, step, w_edge=3.0).item() == pytest.approx(3.0)
    assert teacher_fusion_loss(step, step, step, zero).item() == 0.0


def test_signed_edge_term_charges_an_inverted_edge_twice_and_the_magnitude_term_nothing():
    step = torch.zeros(1, 1, 8, 8)
    step[..., 4:] = 1.0
    flat, inverted = torch.zeros_like(step), 1.0 - step
    assert signed_edge_loss(step, step, flat).item() == 0.0
    assert signed_edge_loss(flat, step, flat).item() == pytest.approx(edge_loss(flat, step, flat).item())  # a missed edge
    assert signed_edge_loss(inverted, step, flat).item() == pytest.approx(2.0)  # |-4 - 4| on two of eight columns
    assert edge_loss(inverted, step, flat).item() == 0.0  # the magnitude term cannot tell
    dark = 0.3 * inverted  # a weaker edge of the other source's sign: the stronger source decides per pixel
    assert signed_edge_loss(step, step, dark).item() == 0.0
    assert unsupervised_fusion_loss(inverted, step, flat, signed=True).item() > unsupervised_fusion_loss(step, step, flat,
                                                                                                       signed=True).item()
    assert teacher_fusion_loss(inverted, inverted, step, flat, signed=True).item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="signed edge term"):
        teacher_fusion_loss(step, step, step, flat, overshoot=0.5, signed=True)


def test_edge_term_prefers_the_sharp_edge_to_a_blurred_one():
    step = torch.zeros(1, 1, 16, 16)
    step[..., 8:] = 1.0
    blurred = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(step, (2, 2, 2, 2), mode="replicate"), 5, 1)
    flat = torch.zeros_like(step)
    assert edge_loss(step, step, flat).item() == 0.0
    assert edge_loss(blurred, step, flat).item() > 0.1


def test_fusion_losses_name_mismatched_shapes():
    a = torch.zeros(1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"label \(1, 1, 4, 4\)"):
        teacher_fusion_loss(a, torch.zeros(1, 1, 4, 4), a, a)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        edge_loss(a[0], a[0], a[0])


def test_edge_overshoot_weights_only_edges_stronger_than_the_sources():
    step = torch.zeros(1, 1, 8, 8)
    step[..., 4:] = 1.0  # Sobel |G_x| = 4 on the two columns beside the step
    zero = torch.zeros_like(step)
    steep = 2 * step  # edges twice the sources': |grad F| - T = 4 on those columns
    assert edge_loss(zero, step, step, overshoot=0.0).item() == pytest.approx(1.0)  # a missed edge always counts
    assert edge_loss(steep, step, step).item() == pytest.approx(1.0)  # overshoot 1: |excess|, both ways
    assert edge_loss(steep, step, step, overshoot=0.25).item() == pytest.approx(0.25)
    assert edge_loss(steep, step, step, overshoot=0.0).item() == 0.0
    assert teacher_fusion_loss(steep, steep, step, step, overshoot=0.5).item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="overshoot"):
        edge_loss(zero, step, step, overshoot=1.5)


def test_edge_loss_takes_another_gradient():
    step = torch.zeros(1, 1, 8, 8)
    step[..., 4:] = 1.0
    zero = torch.zeros_like(step)
    # the identity as "gradient": T = step, so a zero image misses it on half the pixels
    assert edge_loss(zero, step, step, gradient=lambda img: img).item() == pytest.approx(0.5)
    assert edge_loss(zero, step, step).item() == pytest.approx(1.0)  # Sobel: 4 on two of eight columns


def _two_pixel_patterns() -> dict[str, torch.Tensor]:
    """Patterns on the two-pixel frequencies (the checkerboard measure's): along x, along y, both."""
    i, j = torch.meshgrid(torch.arange(16), torch.arange(16), indexing="ij")
    return {"x": (-1.0) ** j, "y": (-1.0) ** i, "both": (-1.0) ** (i + j), "x, ramped": (-1.0) ** j * i / 16}


@pytest.mark.parametrize("name", ["x", "y", "both", "x, ramped"])
def test_sobel_is_blind_to_two_pixel_patterns_and_differences_are_not(name):
    pattern = _two_pixel_patterns()[name][None, None]
    inside = (..., slice(1, -1), slice(1, -1))  # away from the replicated borders
    assert sobel_magnitude(pattern)[inside].abs().max().item() == 0.0
    assert difference_magnitude(pattern)[inside].min().item() >= 1.0 / 16


def test_fine_term_charges_a_checkerboard_neither_source_has():
    smooth = torch.outer(torch.hann_window(16), torch.hann_window(16))[None, None]
    checker = smooth + 0.05 * _two_pixel_patterns()["both"][None, None]
    assert fine_excess_loss(smooth, smooth, 0.5 * smooth).item() == 0.0
    assert fine_excess_loss(checker, smooth, 0.5 * smooth).item() > 0.1 - 1e-3  # 0.2 per pixel where smooth is flat
    assert fine_excess_loss(checker, checker, smooth).item() == 0.0  # a source that has it
    without = unsupervised_fusion_loss(checker, smooth, 0.5 * smooth)
    assert unsupervised_fusion_loss(checker, smooth, 0.5 * smooth, w_fine=2.0).item() == pytest.approx(
        without.item() + 2.0 * fine_excess_loss(checker, smooth, 0.5 * smooth).item())
    taught = teacher_fusion_loss(checker, smooth, smooth, 0.5 * smooth)
    assert teacher_fusion_loss(checker, smooth, smooth, 0.5 * smooth, w_fine=1.0).item() == pytest.approx(
        taught.item() + fine_excess_loss(checker, smooth, 0.5 * smooth).item())
