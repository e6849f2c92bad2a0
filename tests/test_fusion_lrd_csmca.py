"""LRD (Li et al. 2020) and CS-MCA (Liu et al. 2019) fusion."""

import numpy as np
import pytest
from scipy import ndimage

from ivan_core.baselines.fusion.csmca import DICTIONARY_FILE, cs_mca, csmca_decompose, load_dictionaries
from ivan_core.baselines.fusion.lrd import gradient_enhance, lrd
from ivan_core.baselines.fusion.rules import average
from ivan_core.metrics import qabf

METHODS = {"lrd": lrd, "cs_mca": cs_mca}
N = 48  # CS-MCA runs 24 convolutional sparse codings per pair; keep the images small


def _complementary_pair(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """A: a bright disc on the left. B: a bright bar on the right and a stripe texture below.

    Each image's structure is absent from the other, so averaging halves every edge.
    """
    yy, xx = np.mgrid[:n, :n]
    a = np.full((n, n), 0.1)
    a[(xx - 0.3 * n) ** 2 + (yy - 0.45 * n) ** 2 < (0.17 * n) ** 2] = 0.85
    b = np.full((n, n), 0.15)
    b[int(0.15 * n):int(0.85 * n), int(0.62 * n):int(0.78 * n)] = 0.8
    b += 0.1 * np.sin(xx * 1.2) * (yy > 0.7 * n) * (xx < 0.55 * n)
    return a, np.clip(b, 0.0, 1.0)


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    return _complementary_pair()


@pytest.fixture(scope="module")
def fused(pair) -> dict[str, np.ndarray]:
    a, b = pair
    return {name: fn(a, b) for name, fn in METHODS.items()}


def _edge_strength(img: np.ndarray, region: tuple[slice, slice]) -> float:
    return float(np.hypot(ndimage.sobel(img, 0), ndimage.sobel(img, 1))[region].max())


@pytest.mark.parametrize("name", sorted(METHODS))
def test_output_contract(name, pair, fused):
    a, _ = pair
    out = fused[name]
    assert out.shape == a.shape and out.dtype == np.float64
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("name", sorted(METHODS))
def test_float32_input_gives_the_same_contract(name, pair):
    a, b = pair
    out = METHODS[name](a.astype(np.float32), b.astype(np.float32), **({"iterations": 1} if name == "cs_mca" else {}))
    assert out.shape == a.shape and out.dtype == np.float64 and 0.0 <= out.min() <= out.max() <= 1.0


@pytest.mark.parametrize("name", sorted(METHODS))
@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (np.zeros((16, 16)), np.zeros((16, 17)), "differ in shape"),
        (np.zeros((16, 16, 3)), np.zeros((16, 16, 3)), "2-D grey image"),
        (np.full((16, 16), np.nan), np.zeros((16, 16)), "NaN or inf"),
        (np.full((16, 16), 1.5), np.zeros((16, 16)), r"must be in \[0, 1\]"),
        (np.zeros((16, 16)), np.full((16, 16), -0.2), r"must be in \[0, 1\]"),
    ],
)
def test_bad_input_raises(name, a, b, match):
    with pytest.raises(ValueError, match=match):
        METHODS[name](a, b)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_too_small_images_raise(name):
    with pytest.raises(ValueError, match="smaller than"):
        METHODS[name](np.zeros((6, 6)), np.zeros((6, 6)))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_keeps_edges_of_both_sources_better_than_averaging(name, pair, fused):
    a, b = pair
    base = qabf(a, b, average(a, b))
    assert base < 0.55  # averaging halves every edge of this pair
    assert qabf(a, b, fused[name]) > base + 0.25
    # the disc edge of A and the bar edge of B each survive at >= 80% of their strength
    disc, bar = (slice(None), slice(0, N // 2)), (slice(None), slice(N // 2 + 4, None))
    for src, region in ((a, disc), (b, bar)):
        assert _edge_strength(fused[name], region) > 0.8 * _edge_strength(src, region)
        assert _edge_strength(average(a, b), region) < 0.55 * _edge_strength(src, region)


def test_lrd_of_an_image_with_itself():
    a, _ = _complementary_pair()
    np.testing.assert_allclose(lrd(a, a, gain=1.0), a, atol=1e-12)
    out = lrd(a, a)  # the default enhancement sharpens the image a little
    np.testing.assert_allclose(out, np.clip(gradient_enhance(a), 0, 1), atol=1e-12)
    assert np.abs(out - a).mean() < 0.01


def test_cs_mca_of_an_image_with_itself_is_close_to_it(pair):
    a, _ = pair
    out = cs_mca(a, a)
    assert np.abs(out - a).mean() < 0.01 and np.abs(out - a).max() < 0.06


@pytest.mark.parametrize("name", sorted(METHODS))
def test_deterministic(name, pair, fused):
    a, b = pair
    assert np.array_equal(METHODS[name](a, b), fused[name])


def test_lrd_is_symmetric_up_to_ties():
    a, b = _complementary_pair()
    np.testing.assert_allclose(lrd(a, b), lrd(b, a), atol=1e-2)


def test_gradient_enhance_is_the_screened_poisson_filter():
    # A DCT-II basis image is an eigenvector: its amplitude is scaled by (mu + gain k) / (mu + k).
    n, gain, mu = 40, 1.5, 0.1
    x = np.arange(n) + 0.5
    for p in (1, 4, 30):
        img = 0.5 + 0.2 * np.cos(np.pi * p * x / n)[None, :] * np.ones((n, 1))
        k = 2.0 - 2.0 * np.cos(np.pi * p / n)
        expected = 0.5 + (mu + gain * k) / (mu + k) * (img[0] - 0.5)
        np.testing.assert_allclose(gradient_enhance(img, gain, mu), np.broadcast_to(expected, img.shape), atol=1e-12)
    a, _ = _complementary_pair()
    assert gradient_enhance(a, gain, mu).mean() == pytest.approx(a.mean(), abs=1e-12)
    np.testing.assert_array_equal(gradient_enhance(a, gain=1.0), a)


def test_shipped_dictionaries():
    cartoon, texture, info = load_dictionaries()
    assert DICTIONARY_FILE.is_file()
    for d in (cartoon, texture):
        assert d.shape == (8, 8, 32) and d.dtype == np.float32
        flat = d.reshape(64, 32)
        np.testing.assert_allclose(np.linalg.norm(flat, axis=0), 1.0, atol=1e-4)
        np.testing.assert_allclose(flat.mean(axis=0), 0.0, atol=1e-4)
    assert info["n_filters"] == 32 and info["filter_size"] == 8
    assert not np.allclose(cartoon, texture)


def test_csmca_decomposition_reconstructs_the_high_pass():
    from sporco.signal import tikhonov_filter

    from ivan_core.baselines.fusion.csmca import _synthesise

    a, b = _complementary_pair(32)
    _, high = tikhonov_filter(((a + b) / 2).astype(np.float32), 60.0, 16)
    cartoon, texture, _ = load_dictionaries()
    xc, xt = csmca_decompose(high, cartoon, texture)
    parts = _synthesise(cartoon, xc), _synthesise(texture, xt)
    assert np.linalg.norm(high - parts[0] - parts[1]) < 0.1 * np.linalg.norm(high)
    assert all(np.linalg.norm(p) > 0.05 * np.linalg.norm(high) for p in parts)  # both components used


def test_cs_mca_rejects_a_malformed_dictionary(pair):
    a, b = pair
    cartoon, texture, _ = load_dictionaries()
    with pytest.raises(ValueError, match="dictionary must be"):
        cs_mca(a, b, dictionaries=(cartoon[..., 0], texture))
    with pytest.raises(ValueError, match="NaN or inf"):
        cs_mca(a, b, dictionaries=(cartoon, np.full_like(texture, np.nan)))
