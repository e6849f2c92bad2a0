"""The two-pixel checkerboard measure against closed forms and a direct DFT."""

import numpy as np
import pytest

from ivan_core.metrics import checkerboard_ratio, nyquist_power, nyquist_share


def _direct(image: np.ndarray) -> float:
    """Power on the middle row and column by the DFT's definition, each frequency once."""
    h, w = image.shape
    image = image - image.mean()
    y, x = np.indices((h, w))
    freqs = {(h // 2, v) for v in range(w)} | {(u, w // 2) for u in range(h)}
    return sum(abs(np.sum(image * np.exp(-2j * np.pi * (u * y / h + v * x / w)))) ** 2 for u, v in freqs)


@pytest.mark.parametrize("shape", [(6, 8), (7, 5), (1, 6)])
def test_nyquist_power_matches_the_dft_definition(shape):
    image = np.random.default_rng(0).random(shape)
    assert nyquist_power(image) == pytest.approx(_direct(image), rel=1e-10)
    assert nyquist_power(np.stack([image, 2 * image])) == pytest.approx(5 * _direct(image), rel=1e-10)


@pytest.mark.parametrize("pattern", ["checker", "columns", "rows"])
def test_alternating_patterns_have_their_closed_form_power(pattern):
    h, w, a = 16, 12, 0.3
    y, x = np.indices((h, w))
    sign = {"checker": (-1.0) ** (x + y), "columns": (-1.0) ** x, "rows": (-1.0) ** y}[pattern]
    assert nyquist_power(0.5 + a * sign) == pytest.approx((a * h * w) ** 2)


def test_smooth_images_have_none_and_a_checkerboard_drives_the_ratio_up():
    smooth = np.outer(np.hanning(32), np.hanning(32))
    assert nyquist_power(smooth) < 1e-6 * nyquist_power(smooth - smooth.mean() + (np.indices((32, 32)).sum(0) % 2))
    noisy = smooth + 0.01 * np.random.default_rng(1).standard_normal(smooth.shape)
    assert checkerboard_ratio(noisy, noisy) == pytest.approx(1.0)
    checker = noisy + 0.05 * (np.indices((32, 32)).sum(axis=0) % 2)
    assert checkerboard_ratio(checker, noisy) > 50


def test_sources_count_by_the_largest_and_planes_add_up():
    rng = np.random.default_rng(2)
    quiet, loud = 0.01 * rng.random((2, 16, 16)), rng.random((16, 16))
    assert checkerboard_ratio(loud, [quiet[0], loud]) == pytest.approx(1.0)
    stack = rng.random((3, 16, 16))
    assert nyquist_power(stack) == pytest.approx(sum(nyquist_power(s) for s in stack))
    colour = rng.random((16, 16, 3))
    assert nyquist_power(colour) == pytest.approx(sum(nyquist_power(colour[..., c]) for c in range(3)))


def test_flat_references_and_bad_input():
    flat = np.full((8, 8), 0.5)
    assert checkerboard_ratio(flat, flat) == 1.0
    assert checkerboard_ratio(flat + 0.1 * (np.indices((8, 8)).sum(0) % 2), flat) == float("inf")
    with pytest.raises(ValueError, match="same size"):
        checkerboard_ratio(flat, np.zeros((8, 6)))
    with pytest.raises(ValueError, match="NaN"):
        nyquist_power(np.array([[0.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="non-empty"):
        checkerboard_ratio(flat, [])
    with pytest.raises(ValueError, match="image"):
        nyquist_power(np.zeros(5))


def test_the_share_needs_no_reference_and_pixel_repetition_has_none():
    rng = np.random.default_rng(3)
    coarse = rng.random((16, 16, 3))
    doubled = coarse.repeat(2, axis=0).repeat(2, axis=1)
    assert nyquist_power(doubled) == pytest.approx(0.0, abs=1e-9)
    assert nyquist_share(doubled) == pytest.approx(0.0, abs=1e-12)
    assert checkerboard_ratio(doubled + 0.01 * rng.random(doubled.shape), doubled) == float("inf")
    y, x = np.indices((8, 8))
    assert nyquist_share(0.5 + 0.2 * (-1.0) ** (x + y)) == pytest.approx(1.0)
    white = rng.standard_normal((64, 64))
    assert nyquist_share(white) == pytest.approx((64 + 64 - 1) / 64**2, rel=0.3)  # its share of the frequencies
    assert nyquist_share(np.full((8, 8), 0.3)) == 0.0
