"""The colour fidelity of a colour fusion (CIEDE2000 in the functional region), on images of known colour."""

import json

import numpy as np
import pytest
from skimage.color import rgb2ycbcr, ycbcr2rgb

from ivan_core.baselines.fusion import METHODS, fuse_colour, luminance
from ivan_core.metrics import colour_fidelity, functional_region


def colour_blob(size=32, seed=0):
    """A black image with a smooth orange-to-purple blob in the middle, like an atlas SPECT."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    blob = np.exp(-((yy - 0.5) ** 2 + (xx - 0.5) ** 2) / 0.05)
    rgb = np.stack([blob, 0.5 * blob * xx, blob * (1 - xx)], axis=-1)
    return np.clip(rgb + 0.01 * rng.random(rgb.shape), 0, 1)


def with_chroma_scaled(rgb, factor):
    """``rgb`` with its chroma (Cb, Cr about grey) times ``factor``, its luminance kept."""
    ycbcr = rgb2ycbcr(rgb)
    ycbcr[..., 1:] = 128 + factor * (ycbcr[..., 1:] - 128)
    return np.clip(ycbcr2rgb(ycbcr), 0, 1)


def test_colour_fidelity_is_zero_for_the_same_colours_and_grows_as_colour_is_lost():
    rgb = colour_blob()
    assert colour_fidelity(rgb, rgb) == pytest.approx(0.0, abs=1e-9)
    half, grey = with_chroma_scaled(rgb, 0.5), with_chroma_scaled(rgb, 0.0)
    assert 0 < colour_fidelity(half, rgb) < colour_fidelity(grey, rgb)


def test_colour_fidelity_averages_over_the_functional_region():
    rgb = colour_blob()
    region = functional_region(rgb)
    assert region[16, 16] and not region[0, 0]
    changed = rgb.copy()
    changed[~region] = [0.0, 1.0, 0.0]  # outside the activity: does not count
    assert colour_fidelity(changed, rgb) == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(colour_fidelity(rgb, rgb, region=np.zeros(region.shape, bool)))
    with pytest.raises(ValueError, match="shapes differ"):
        colour_fidelity(rgb[:8], rgb)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        functional_region(rgb[..., 0])


def test_luminance_fusion_keeps_colour_where_the_mri_adds_little():
    rgb = colour_blob()
    luma = luminance(rgb)
    faint_mri = 0.5 * luma  # everywhere darker than the functional luminance: the maximum rule keeps the colour image
    assert colour_fidelity(fuse_colour(METHODS["maximum"], faint_mri, rgb), rgb) < 0.5
    bright_mri = np.full(luma.shape, 0.9)  # a bright MRI washes the colours out
    assert colour_fidelity(fuse_colour(METHODS["maximum"], bright_mri, rgb), rgb) > 5


def test_with_luminance_puts_back_the_luminance_and_keeps_the_chroma():
    from skimage.color import rgb2ycbcr

    from ivan_core.baselines.fusion import with_luminance

    rgb = colour_blob()
    np.testing.assert_allclose(with_luminance(rgb, luminance(rgb)), rgb, atol=2e-3)
    brighter = with_luminance(rgb, np.clip(luminance(rgb) + 0.2, 0, 1))
    assert luminance(brighter).mean() > luminance(rgb).mean() + 0.1
    region = functional_region(rgb)
    np.testing.assert_allclose(rgb2ycbcr(brighter)[region][:, 1:], rgb2ycbcr(rgb)[region][:, 1:], atol=25)
    with pytest.raises(ValueError, match="luminance"):
        with_luminance(rgb, luminance(rgb)[:8])


def test_the_colour_fusion_network_trains_on_the_luminance_and_fuses_like_a_rule(tmp_path):
    from conftest import make_subject
    from ivan_core.baselines.fusion import with_luminance
    from ivan_core.tutorial.colour_fusion import (
        FINE_WEIGHT,
        LUMA,
        MAX_GRAD_NORM,
        TASK,
        fit_colour_fusion,
        network_rule,
    )

    train = [make_subject(f"s{i}", slices=2, size=32, seed=i) for i in range(2)]
    result = fit_colour_fusion(train, tmp_path, "smoke", colour="PET_rgb", progress=False)
    assert result.task is TASK and TASK.inputs == ("T2", LUMA) and TASK.outputs == ("FUSED",)
    key = json.loads((result.out_dir / "key.json").read_text())
    assert key["forward_loss"]["w_fine"] == FINE_WEIGHT > 0 and key["config"]["max_grad_norm"] == MAX_GRAD_NORM
    new = make_subject("new", slices=2, size=32, seed=5)
    mri, rgb = new["T2"][1], new["PET_rgb"][1]
    fused_luma = network_rule(result.net)(mri, luminance(rgb))
    assert fused_luma.shape == mri.shape and 0 <= fused_luma.min() and fused_luma.max() <= 1
    fused = fuse_colour(network_rule(result.net), mri, rgb)
    assert fused.shape == rgb.shape
    np.testing.assert_allclose(fused, with_luminance(rgb, fused_luma), atol=1e-6)  # its luminance, the colours put back


def test_fit_fusion_refuses_a_task_that_is_not_a_fusion():
    from ivan_core.tutorial.experiment import Splits
    from ivan_core.tutorial.fusion_study import fit_fusion, fusion_profile

    with pytest.raises(ValueError, match="not a fusion task"):
        fit_fusion(Splits([], [], []), fusion_profile("smoke"), None, "unsupervised", task="t1_to_t2")
