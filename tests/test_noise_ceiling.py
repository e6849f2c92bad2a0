"""The noise ceiling of phantom synthesis: the noise-free images, their scores, and where tables and plots show them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from conftest import make_subject
from ivan_core.data import make_phantom, noise_free
from ivan_core.data.sequences import rician_mean
from ivan_core.evaluation import CEILING, ceiling_value, noise_ceiling, score
from ivan_core.plots.ablation import plot_pairs, plot_sweep, plot_tradeoff
from ivan_core.plots.training import plot_learning_curves, plot_recipe_runs
from ivan_core.tutorial.comparison import comparison_table
from ivan_core.tutorial.experiment import compare
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.reporting import metrics_table, summary_rows

SMOKE = get_profile("smoke")


@pytest.fixture(scope="module")
def subjects():
    return make_phantom(2, size=SMOKE.size, n_slices=SMOKE.n_slices, cache=False, progress=False)


@pytest.fixture(scope="module")
def rows(subjects):
    """compare rows of two fake methods on T1 -> T2: the noise-free T2 with noise of its own, and the inverted T1."""
    rng = np.random.default_rng(0)
    noisy = {s.name: noise_free(s)["T2"] + 0.02 * rng.standard_normal(s["T2"].shape) for s in subjects}
    return compare("t1_to_t2", subjects, {"iVAN": lambda s: {"T2": noisy[s.name]}, "inverted T1": lambda s: {"T2": 1 - s["T1"]}})


def test_rician_mean_has_the_noise_floor_and_matches_sampling():
    assert rician_mean(np.zeros(1), 2.0)[0] == pytest.approx(2.0 * np.sqrt(np.pi / 2))
    assert rician_mean(np.array([50.0]), 1.0)[0] == pytest.approx(50.0 + 1.0 / 100, rel=1e-4)  # A + sigma^2 / (2A)
    rng = np.random.default_rng(1)
    amplitude = np.array([0.0, 0.5, 1.0, 3.0])
    draws = np.hypot(amplitude + rng.standard_normal((200_000, 4)), rng.standard_normal((200_000, 4)))
    np.testing.assert_allclose(rician_mean(amplitude, 1.0), draws.mean(axis=0), atol=0.01)


def test_noise_free_keeps_the_subject_and_drops_the_noise(subjects):
    s = subjects[0]
    clean, signal = noise_free(s), noise_free(s, mean=False)
    assert clean.name == s.name and clean.mask is s.mask and set(clean.images) == set(s.images)
    for m, image in clean.images.items():
        assert image.shape == s[m].shape and image.dtype == np.float32 and 0 <= image.min() and image.max() <= 1
    air = np.zeros(s.mask.shape, bool)
    air[:, :3], air[:, -3:], air[:, :, :3], air[:, :, -3:] = True, True, True, True  # the frame: far from the head
    assert not s.mask[air].any()
    assert np.median(signal["T2"][air]) == 0 and s["T2"][air].std() > 0.01  # the noise-free signal has no background noise
    # the mean keeps the Rician floor: ~ sigma sqrt(pi/2), the mean of the noisy background
    assert clean["T2"][air].mean() == pytest.approx(s["T2"][air].mean(), rel=0.05)
    assert np.abs(clean["T2"] - s["T2"])[s.mask].mean() < 0.05  # close to the target, but not it
    np.testing.assert_array_equal(clean["CT"], signal["CT"])  # CT and PET noise has zero mean
    np.testing.assert_array_equal(clean["PET_rgb"], signal["PET_rgb"])


def test_noise_free_refuses_what_it_cannot_reproduce(subjects):
    with pytest.raises(ValueError, match="do not reproduce"):
        noise_free(subjects[0], noise=0.05)
    with pytest.raises(ValueError, match="not a phantom"):
        noise_free(make_subject())
    with pytest.raises(ValueError, match="unknown phantom settings"):
        noise_free(subjects[0], size=64)


def test_the_noise_free_image_scores_the_ceiling_and_noisy_ones_score_below(subjects):
    s = subjects[0]
    ceiling = {(r["modality"], r["region"]): r for r in noise_ceiling(s, ["T2", "PD", "PET_rgb"])}
    assert {r["method"] for r in ceiling.values()} == {CEILING}
    exact = score(s, noise_free(s).images, ["T2", "PD", "PET_rgb"])
    for r in exact:
        assert ceiling[r["modality"], r["region"]]["psnr"] == r["psnr"]
        assert ceiling[r["modality"], r["region"]]["ssim"] == r["ssim"]
    rng = np.random.default_rng(2)
    clean = noise_free(s)
    noisy = {m: clean[m] + 0.02 * rng.standard_normal(clean[m].shape) for m in ("T2", "PET_rgb")}
    signal = noise_free(s, mean=False)  # the noise-free signal: beaten by the mean, most over the background
    for r in score(s, noisy, ["T2", "PET_rgb"]) + score(s, signal.images, ["T2", "PD"]):
        assert r["psnr"] < ceiling[r["modality"], r["region"]]["psnr"]
        assert r["ssim"] < ceiling[r["modality"], r["region"]]["ssim"]
    full = score(s, signal.images, ["T2"], regions=("full",))[0]["psnr"]
    assert ceiling["T2", "full"]["psnr"] - full > 1.0
    # a sane range on the smoke-size phantom (3% Rician MR noise, 60-count PET)
    assert 26 < ceiling["T2", "head"]["psnr"] < 35 and 0.9 < ceiling["T2", "head"]["ssim"] < 1
    assert 18 < ceiling["PET_rgb", "head"]["psnr"] < 40 and np.isfinite(ceiling["PET_rgb", "full"]["psnr"])


def test_compare_rows_carry_the_ceiling_of_their_subject(subjects, rows):
    assert {r["method"] for r in rows} == {"iVAN", "inverted T1"}
    for r in rows:
        (c,) = [c for c in noise_ceiling(next(s for s in subjects if s.name == r["subject"]), ["T2"])
                if c["region"] == r["region"]]
        assert r["ceiling_psnr"] == c["psnr"] and r["ceiling_ssim"] == c["ssim"]
        assert r["psnr"] < r["ceiling_psnr"]
    plain = compare("t1_to_t2", [make_subject()], {"copy": lambda s: {"T2": s["T1"]}})
    assert all("ceiling_psnr" not in r for r in plain)  # no ceiling where the subject is not a phantom one


def test_tables_show_the_ceiling_and_the_gap(rows):
    table = metrics_table(rows).set_index(["method", "region"])
    mean = {region: ceiling_value(rows, "psnr", region=region) for region in ("head", "full")}
    for (method, region), line in table.iterrows():
        assert line["PSNR ceiling"].startswith(f"{mean[region]:.2f} ±")
        mine = [r for r in rows if r["method"] == method and r["region"] == region]
        gap = np.mean([r["ceiling_psnr"] - r["psnr"] for r in mine])
        assert line["PSNR gap"].startswith(f"{gap:.2f} ±") and gap > 0
        assert "SSIM ceiling" in line
    assert "PSNR ceiling" not in metrics_table([{k: v for k, v in r.items() if not k.startswith("ceiling")} for r in rows])

    summary = {r["metric"]: r for r in summary_rows("03", "t1_to_t2", rows)}
    assert summary["PSNR_head T2 (noise ceiling)"]["value"] == pytest.approx(mean["head"])
    assert summary["PSNR_head T2 (noise ceiling)"]["n"] == 2
    ivan = [r for r in rows if r["method"] == "iVAN" and r["region"] == "full"]
    gap = summary["PSNR_full T2 gap to noise ceiling (iVAN)"]
    assert gap["value"] == pytest.approx(np.mean([r["ceiling_psnr"] - r["psnr"] for r in ivan]))
    assert "PSNR_full T2 gap to noise ceiling (inverted T1)" not in summary  # the distance is iVAN's
    assert "SSIM_full T2 (noise ceiling)" in summary and "NMSE_full T2 (noise ceiling)" not in summary

    markdown = comparison_table([{**r, "task": "t1_to_t2", "steps": 0, "seconds": 0.0} for r in rows])
    header, _, first, *_ = markdown.splitlines()
    assert "noise ceiling PSNR (dB)" in header and "PSNR gap (dB)" in header
    assert f"| {mean['head']:.2f} |" in first and first.count("|") == header.count("|")


def _ceiling_lines(fig):
    return [line for ax in fig.axes for line in ax.get_lines() if line.get_label().startswith(CEILING)]


def test_plots_draw_the_ceiling_as_a_dashed_line(rows):
    head = ceiling_value(rows, "psnr", region="head")
    sweep = [{**r, "method": f"blocks={v}"} for v in (2, 4) for r in rows if r["method"] == "iVAN"]
    figures = [plot_sweep({"blocks": ((2, 4), sweep)}), plot_pairs({"norm": (rows, ["iVAN", "inverted T1"])}),
               plot_tradeoff((2, 4), sweep, [{**r, "modality": "T1"} for r in sweep], param="blocks"),
               plot_learning_curves({"a": [{"steps": 1, "psnr": 20.0}, {"steps": 2, "psnr": 24.0}]}, ceiling=head),
               plot_recipe_runs([{"task": "t1_to_t2", "recipe": "a", "psnr": 24.0}], ceiling={"t1_to_t2": head})]
    for fig in figures:
        (line,) = _ceiling_lines(fig)
        assert line.get_linestyle() == "--" and np.allclose(line.get_ydata(), head)
        assert line.axes.get_ylim()[1] > head
    plain = [{k: v for k, v in r.items() if not k.startswith("ceiling")} for r in sweep]
    assert not _ceiling_lines(plot_sweep({"blocks": ((2, 4), plain)}))
    assert not _ceiling_lines(plot_learning_curves({"a": [{"steps": 1, "psnr": 20.0}]}))
