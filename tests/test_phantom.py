"""The simulated phantom: tissue contrast, determinism, caching, signal models, figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from scipy import ndimage

from ivan_core.data import TISSUES, make_phantom, phantom
from ivan_core.data.anatomy import template_slice, tissue_memberships
from ivan_core.data.sequences import mr_image, pet_to_rgb, rgb_to_pet, smooth_field, spin_echo, tissue_signals
from ivan_core.data.tissue import TISSUE_PARAMS, tissue_names

CODE = {name: code for code, name in TISSUES.items()}
SMALL = {"size": 48, "n_slices": 3, "progress": False}


@pytest.fixture(scope="session")
def subjects():
    return make_phantom(3, seed=0, size=96, n_slices=6, cache=False, progress=False)


def region_mean(subject, modality, tissue):
    return float(subject[modality][subject.labels == CODE[tissue]].mean())


def test_records(subjects):
    assert [s.name for s in subjects] == ["phantom-000", "phantom-001", "phantom-002"]
    for s in subjects:
        assert set(s.images) == {"T1", "T2", "PD", "CT", "PET", "PET_rgb"}
        assert s["T1"].shape == (6, 96, 96) and s["PET_rgb"].shape == (6, 96, 96, 3)
        for a in s.images.values():
            assert a.dtype == np.float32 and a.min() >= 0.0 and a.max() <= 1.0
        assert s.labels.dtype == np.uint8 and set(np.unique(s.labels)) == set(TISSUES)
        # the mask is the head: everything but air, and a sizeable part of the image
        assert (s.mask != (s.labels != CODE["air"])).mean() < 0.01
        assert 0.2 < s.mask.mean() < 0.8


def test_mr_contrast(subjects):
    for s in subjects:
        t1 = [region_mean(s, "T1", t) for t in ("WM", "GM", "CSF")]
        assert t1[0] > t1[1] > t1[2], t1
        for modality in ("T2", "PD"):
            values = [region_mean(s, modality, t) for t in ("CSF", "GM", "WM")]
            assert values[0] > values[1] > values[2], (modality, values)


def test_ct_bone_brightest(subjects):
    for s in subjects:
        means = {t: region_mean(s, "CT", t) for t in TISSUES.values()}
        assert max(means, key=means.get) == "skull", means
        assert means["air"] < 0.05


def test_pet_grey_matter_uptake(subjects):
    # White matter away from its border (one pixel eroded): at 5 mm FWHM the
    # blur spills grey-matter uptake into the white-matter rim.
    for s in subjects:
        wm_core = ndimage.binary_erosion(s.labels == CODE["WM"], np.ones((1, 3, 3)))
        gm = region_mean(s, "PET", "GM")
        assert gm > 2.0 * float(s["PET"][wm_core].mean())
        assert gm > 2.0 * region_mean(s, "PET", "CSF")


def test_pet_rgb_is_coloured_pet(subjects):
    s = subjects[0]
    np.testing.assert_allclose(s["PET_rgb"], pet_to_rgb(s["PET"]), atol=1e-6)
    assert np.abs(rgb_to_pet(s["PET_rgb"]) - s["PET"]).max() <= 1.0 / 255 + 1e-6


def test_same_seed_same_bytes_and_subjects_differ():
    a = make_phantom(2, seed=5, cache=False, **SMALL)
    b = make_phantom(2, seed=5, cache=False, **SMALL)
    for x, y in zip(a, b):
        for key in x.images:
            assert x[key].tobytes() == y[key].tobytes()
        assert x.labels.tobytes() == y.labels.tobytes() and x.meta == y.meta
    assert np.abs(a[0]["T1"] - a[1]["T1"]).mean() > 0.01
    assert a[0].meta["transform"] != a[1].meta["transform"]
    other_seed = make_phantom(1, seed=6, cache=False, **SMALL)[0]
    assert np.abs(other_seed["T2"] - a[0]["T2"]).mean() > 0.01


def test_subject_does_not_depend_on_count():
    one = make_phantom(1, seed=1, cache=False, **SMALL)[0]
    three = make_phantom(3, seed=1, cache=False, **SMALL)[0]
    assert one["CT"].tobytes() == three["CT"].tobytes()


def test_cache_is_written_then_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("IVAN_DATA_DIR", str(tmp_path))
    first = make_phantom(2, seed=2, cache=True, **SMALL)
    files = sorted((tmp_path / "phantom").glob("*.npz"))
    assert len(files) == 2
    assert not list((tmp_path / "phantom").glob("*.tmp"))

    def fail(*args, **kwargs):
        raise AssertionError("simulated although a cache file exists")

    monkeypatch.setattr(phantom, "_simulate", fail)
    second = make_phantom(2, seed=2, cache=True, **SMALL)
    for x, y in zip(first, second):
        for key in x.images:
            assert x[key].tobytes() == y[key].tobytes()
        assert np.array_equal(x.mask, y.mask) and x.meta == y.meta
    # other arguments are another cache entry
    with pytest.raises(AssertionError, match="simulated"):
        make_phantom(2, seed=2, cache=True, noise=0.05, **SMALL)


def test_corrupt_cache_file_is_regenerated(tmp_path, monkeypatch):
    monkeypatch.setenv("IVAN_DATA_DIR", str(tmp_path))
    fresh = make_phantom(1, seed=4, cache=True, **SMALL)[0]
    path = next((tmp_path / "phantom").glob("*.npz"))
    path.write_bytes(b"not a zip file")
    again = make_phantom(1, seed=4, cache=True, **SMALL)[0]
    assert again["PD"].tobytes() == fresh["PD"].tobytes()
    assert path.stat().st_size > 1000


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("IVAN_DATA_DIR", str(tmp_path / "x"))
    assert phantom.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("IVAN_DATA_DIR")
    assert phantom.cache_dir().name in ("cache", "ivan")


def test_bad_arguments():
    with pytest.raises(ValueError, match="slab_mm"):
        make_phantom(1, slab_mm=(-150.0, -120.0), cache=False, **SMALL)
    with pytest.raises(ValueError, match="n_subjects"):
        make_phantom(0, cache=False, **SMALL)


def test_memberships_sum_to_one():
    planes = template_slice(10.0)
    assert planes.shape[0] == len(TISSUES)
    np.testing.assert_allclose(planes.sum(axis=0), 1.0, atol=1e-5)
    assert planes.min() >= 0.0
    # a point far outside is air, a point deep inside with no GM/WM is CSF
    far = tissue_memberships(np.array([0.0]), np.array([0.0]), np.array([50.0]))
    deep = tissue_memberships(np.array([0.0]), np.array([0.0]), np.array([-3.0]))
    assert far[CODE["air"], 0] == 1.0 and deep[CODE["CSF"], 0] == 1.0


def test_signal_equations():
    # spin echo by hand: CSF with BrainWeb's T2w protocol
    csf = TISSUE_PARAMS["CSF"]
    expected = csf.pd * (1 - np.exp(-3300 / csf.t1)) * np.exp(-120 / csf.t2)
    signal = spin_echo(np.array([csf.pd]), np.array([csf.t1]), np.array([csf.t2]), 3300, 120)
    assert signal[0] == pytest.approx(expected)
    params = [TISSUE_PARAMS[n] for n in tissue_names()]
    for weighting in ("T1", "T2", "PD"):
        signals = tissue_signals(params, weighting)
        assert signals[CODE["air"]] == 0.0 and signals[CODE["skull"]] == 0.0
    with pytest.raises(ValueError, match="weighting"):
        tissue_signals(params, "FLAIR")


def test_noise_and_non_uniformity():
    rng = np.random.default_rng(0)
    field = smooth_field((4, 32, 32), 0.2, rng)
    assert field.min() == pytest.approx(0.9, abs=1e-6) and field.max() == pytest.approx(1.1, abs=1e-6)
    # a flat bright tissue: Rician noise ~ Gaussian with sigma = 3% of the brightest signal
    memberships = np.zeros((2, 8, 64, 64), dtype=np.float32)
    memberships[1] = 1.0
    image = mr_image(memberships, np.array([0.0, 1.0]), rng, noise=0.03, inu=0.0)
    assert image.std() == pytest.approx(0.03, rel=0.1)
    assert image.mean() == pytest.approx(1.0, abs=0.01)


def test_figures(subjects):
    from ivan_core.plots.browser import slice_browser
    from ivan_core.plots.modalities import show_modalities

    fig = show_modalities(subjects[:2])
    assert len(fig.axes) == 2 * 6
    assert [ax.get_title() for ax in fig.axes[:6]] == subjects[0].modalities
    browser = slice_browser({k: subjects[0][k] for k in ("T1", "PET_rgb")}, title="phantom-000")
    assert (browser.slider.min, browser.slider.value, browser.slider.max) == (1, 4, 6)  # counts from 1
    assert [ax.get_title() for ax in browser.figure(1).axes] == ["T1", "PET_rgb"]
    with pytest.raises(ValueError, match="same number of slices"):
        slice_browser({"a": np.zeros((2, 4, 4)), "b": np.zeros((3, 4, 4))})
