"""Fusion metrics on images with known answers."""

import numpy as np
import pytest

from ivan_core.metrics import FUSION_METRICS, ag, en, fusion_metrics, qabf, qmi, qpiella, sf


def _sigmoid_product_at_perfect() -> float:
    q_g = 0.9994 / (1 + np.exp(-15 * (1 - 0.5)))
    q_a = 0.9879 / (1 + np.exp(-22 * (1 - 0.8)))
    return float(q_g * q_a)


@pytest.fixture()
def pair() -> tuple[np.ndarray, np.ndarray]:
    """Two sources with different structures: a bright disc and a shaded square."""
    yy, xx = np.mgrid[:64, :64]
    a = np.where((yy - 24) ** 2 + (xx - 24) ** 2 < 144, 0.8, 0.1)
    b = np.full((64, 64), 0.2)
    b[30:56, 30:56] = 0.4 + 0.02 * (xx[30:56, 30:56] - 30)
    return a, b


def test_constant_image_has_no_gradient_and_no_entropy():
    flat = np.full((32, 40), 0.37)
    assert ag(flat) == 0.0
    assert sf(flat) == 0.0
    assert en(flat) == 0.0


def test_ramp_matches_analytic_slope():
    slope = 3.0  # grey levels per pixel on the [0, 255] scale
    width = 50
    ramp = np.tile(np.arange(width) * slope / 255.0, (30, 1))
    assert ag(ramp) == pytest.approx(slope / np.sqrt(2))
    assert sf(ramp) == pytest.approx(slope * np.sqrt((width - 1) / width))
    # the same ramp along the other axis scores the same
    assert ag(ramp.T) == pytest.approx(slope / np.sqrt(2))


def test_ag_in_the_form_of_the_papers_eq14_is_sqrt2_larger():
    slope = 3.0
    ramp = np.tile(np.arange(50) * slope / 255.0, (30, 1))
    assert ag(ramp, form="eq14") == pytest.approx(slope)  # sqrt(X_h^2 + X_w^2) with X_h = 0, X_w = slope
    noise = np.random.default_rng(5).random((24, 24))
    assert ag(noise, form="eq14") == pytest.approx(np.sqrt(2) * ag(noise))
    with pytest.raises(ValueError, match="eq14"):
        ag(noise, form="paper")


def test_entropy_of_uniform_256_levels_is_8_bits():
    levels = np.tile(np.arange(256, dtype=np.uint8), (16, 1))
    assert en(levels) == pytest.approx(8.0)
    assert en(levels.astype(np.float64) / 255.0) == pytest.approx(8.0)
    two_levels = np.repeat([[0, 255]], 8, axis=0).astype(np.uint8)
    assert en(two_levels) == pytest.approx(1.0)


def test_integer_and_float_conventions_agree(pair):
    a, b = pair
    a8, b8 = np.rint(a * 255).astype(np.uint8), np.rint(b * 255).astype(np.uint8)
    f8 = ((a8.astype(np.uint16) + b8) // 2).astype(np.uint8)
    as_float = fusion_metrics(a8 / 255.0, b8 / 255.0, f8 / 255.0)
    as_uint8 = fusion_metrics(a8, b8, f8)
    explicit = fusion_metrics(a8 * 2.0, b8 * 2.0, f8 * 2.0, data_range=510.0)
    for key in as_float:
        assert as_uint8[key] == pytest.approx(as_float[key])
        assert explicit[key] == pytest.approx(as_float[key])


def test_identical_sources_score_the_maximum(pair):
    a, _ = pair
    assert qmi(a, a, a) == pytest.approx(2.0)
    assert qabf(a, a, a) == pytest.approx(_sigmoid_product_at_perfect())
    assert qabf(a, a, a) > 0.97


def test_independent_fused_image_has_zero_mutual_information():
    a = np.zeros((16, 16))
    a[:, 8:] = 1.0  # left/right halves
    f = np.zeros((16, 16))
    f[8:, :] = 1.0  # top/bottom halves: joint histogram is uniform over 4 cells
    assert qmi(a, a, f) == pytest.approx(0.0, abs=1e-12)


def test_metrics_are_symmetric_in_the_sources(pair):
    a, b = pair
    f = np.clip(0.6 * a + 0.5 * b, 0, 1)
    assert qmi(a, b, f) == pytest.approx(qmi(b, a, f))
    assert qabf(a, b, f) == pytest.approx(qabf(b, a, f))
    assert qmi(a, b, f) != pytest.approx(qmi(a, b, a))


def test_averaging_beats_noise_on_edge_transfer(pair):
    a, b = pair
    noise = np.random.default_rng(0).random(a.shape)
    assert qabf(a, b, (a + b) / 2) > qabf(a, b, noise) + 0.2
    assert qmi(a, b, (a + b) / 2) > qmi(a, b, noise)


def test_contrast_inversion_keeps_edge_orientation(pair):
    a, _ = pair
    assert qabf(a, a, 1.0 - a) == pytest.approx(_sigmoid_product_at_perfect())


def test_orientation_is_compared_modulo_pi():
    yy, xx = np.mgrid[:32, :32].astype(np.float64)
    tilted = 0.1 + 0.02 * xx + 0.0004 * yy  # gradient (1, 0.02): about 1 degree off the x-axis
    mirrored = 0.1 + 0.02 * (31 - xx) + 0.0004 * yy  # gradient (-1, 0.02): the same line 2 degrees away
    assert qabf(tilted, tilted, mirrored) > 0.95


def test_ranges_on_random_images():
    rng = np.random.default_rng(1)
    a, b, f = rng.random((3, 32, 32))
    scores = fusion_metrics(a, b, f)
    assert tuple(scores) == FUSION_METRICS
    assert 0 <= scores["Q_MI"] <= 2
    assert -1 <= scores["Q_PIELLA"] <= 1
    assert 0 <= scores["Q_ABF"] < 1
    assert 0 < scores["EN"] <= 8


def test_undefined_cases_are_nan():
    flat = np.zeros((8, 8))
    assert np.isnan(qabf(flat, flat, flat))
    assert np.isnan(qmi(flat, flat, flat))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((8, 8)), np.zeros((8, 9)), np.zeros((8, 8))), "differ in shape"),
        ((np.zeros((8, 8)), np.full((8, 8), np.nan), np.zeros((8, 8))), "NaN"),
        ((np.zeros((8, 8, 3)), np.zeros((8, 8, 3)), np.zeros((8, 8, 3))), "2-D"),
    ],
)
def test_pairwise_metrics_validate_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        qmi(*args)
    with pytest.raises(ValueError, match=message):
        qabf(*args)


def test_single_image_metrics_validate_inputs():
    with pytest.raises(ValueError, match="2-D"):
        ag(np.zeros(10))
    with pytest.raises(ValueError, match="inf"):
        sf(np.array([[0.0, np.inf], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="data_range"):
        en(np.zeros((4, 4)), data_range=0)


@pytest.mark.parametrize("metric", [ag, sf, en])
def test_float_images_on_the_0_255_scale_need_data_range(metric):
    """The trap: a float image holding 0..255 scored as [0, 1] (EN 0.05 bits instead of 7.95)."""
    img = np.random.default_rng(3).integers(0, 256, (64, 64)).astype(np.float64)
    with pytest.raises(ValueError, match="data_range="):
        metric(img)
    assert metric(img, data_range=255) == pytest.approx(metric(img.astype(np.uint8)))
    assert metric(img, data_range=255) == pytest.approx(metric(img / 255))


def test_pairwise_metrics_refuse_unscaled_floats(pair):
    a, b = pair
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        qabf(a * 255, b * 255, (a + b) * 127.5)
    assert qmi(a * 255, b * 255, (a + b) * 127.5, data_range=255) == pytest.approx(qmi(a, b, (a + b) / 2))


def test_a_stated_range_starts_at_zero_for_signed_integers():
    """A CT stored as int16 in 0..4095 with data_range=4095 scores like the same values as floats."""
    ct = np.random.default_rng(4).integers(0, 4096, (64, 64)).astype(np.int16)
    assert en(ct, data_range=4095) == pytest.approx(en(ct / 4095.0))
    assert ag(ct, data_range=4095) == pytest.approx(ag(ct / 4095.0))


def test_piella_index_on_one_window_by_hand():
    """Eq. 18 with one 2x2 window: lambda = var(a) / (var(a) + var(b)), Q0 of Wang & Bovik."""
    a = np.array([[1.0, 3.0], [1.0, 3.0]])  # mean 2, variance 1
    b = np.array([[0.0, 0.0], [4.0, 4.0]])  # mean 2, variance 4
    f = np.array([[1.0, 3.0], [1.0, 2.0]])  # mean 1.75, variance 0.6875; cov(a, f) = 0.75, cov(b, f) = -0.5
    q0_af = 4 * 0.75 * 2 * 1.75 / ((1 + 0.6875) * (2**2 + 1.75**2))
    q0_bf = 4 * -0.5 * 2 * 1.75 / ((4 + 0.6875) * (2**2 + 1.75**2))
    lam = 1 / (1 + 4)
    assert qpiella(a, b, f, data_range=4, window=2) == pytest.approx(lam * q0_af + (1 - lam) * q0_bf)
    # the index is the mean over windows: three columns of 2x2 windows, the last one flat in a
    wide = np.array([[1.0, 3.0, 3.0], [1.0, 3.0, 3.0]])
    assert qpiella(wide, wide, wide, data_range=4, window=2) == pytest.approx(1.0)


def test_piella_index_of_flat_windows_and_perfect_fusion(pair):
    a, b = pair
    assert qpiella(a, a, a) == pytest.approx(1.0)
    flat_a, flat_b = np.full((16, 16), 0.3), np.full((16, 16), 0.6)
    # both sources flat: lambda = 1/2, Q0 = 1 against a, 2 * 0.6 * 0.3 / (0.6^2 + 0.3^2) = 0.8 against b
    assert qpiella(flat_a, flat_b, flat_a) == pytest.approx(0.5 * 1.0 + 0.5 * 0.8)
    # a source without structure has no weight where the other has some
    assert qpiella(a, np.full_like(a, 0.5), a) > qpiella(a, np.full_like(a, 0.5), np.full_like(a, 0.5))


def test_piella_index_is_not_xydeas_petrovic(pair):
    a, b = pair
    f = np.clip(0.6 * a + 0.5 * b, 0, 1)
    assert qpiella(a, b, f) == pytest.approx(qpiella(b, a, f))  # lambda and 1 - lambda swap with the sources
    assert qpiella(a, b, f) != pytest.approx(qabf(a, b, f), abs=1e-3)
    assert qpiella(a, b, f, data_range=1.0) == pytest.approx(qpiella(a * 255, b * 255, f * 255, data_range=255))
    with pytest.raises(ValueError, match="window"):
        qpiella(a, b, f, window=65)
