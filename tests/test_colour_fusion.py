"""The colour fidelity of a colour fusion (CIEDE2000 in the functional region), on images of known colour."""

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
