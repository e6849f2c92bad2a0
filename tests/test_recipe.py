"""Notebook 10's study helpers: measured curves and runs where they apply, training otherwise; every recipe
choice scored on the validation subjects, never on the test subjects."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import load_script
from ivan_core.tutorial import recipe
from ivan_core.tutorial.experiment import Splits, phantom_splits
from ivan_core.tutorial.profiles import get_profile

MEASURED = {"scored_on": "test subjects (before)",
            "variants": {"Haar": {"overrides": {"levels": 1}, "points": [{"steps": 200, "psnr": 21.0}]}},
            "references": {"U-Net": 25.0}}
SHIPPED = Path(__file__).resolve().parents[1] / "results" / "tutorial_cpu" / "recipe_curves.json"


@pytest.fixture
def trained(monkeypatch):
    """Stand-ins for the phantom and for training; the list records what trained."""
    calls = []
    monkeypatch.setattr(recipe, "recipe_splits", lambda profile, seed=0, progress=True: "splits")

    def fake_curve(task, splits, profile, progress=True):
        calls.append(profile)
        return [{"steps": 40, "psnr": 10.0}]

    monkeypatch.setattr(recipe, "learning_curve", fake_curve)
    return calls


def test_study_curves_take_measured_points_and_train_only_what_is_new(trained):
    variants = {"Haar": {"levels": 1}, "wider": {"levels": 1, "hidden": 32}}
    curves, references = recipe.study_curves(variants, MEASURED, "tutorial")
    assert curves["Haar"] == [{"steps": 200, "psnr": 21.0, "scored_on": "test subjects (before)"}]  # labelled
    assert references == {"U-Net": 25.0}
    assert trained == [get_profile("tutorial").changed(levels=1, hidden=32)]  # only the new variant trained


def test_study_curves_retrain_changed_or_rerun_variants_and_drop_references(trained):
    _, references = recipe.study_curves({"Haar": {"levels": 1, "lam": 4.0}}, MEASURED, "tutorial")
    assert trained == [get_profile("tutorial").changed(levels=1, lam=4.0)]  # same name, other settings: trained
    curves, references = recipe.study_curves({"Haar": {"levels": 1}}, MEASURED, "tutorial", rerun=True)
    assert curves["Haar"] == [{"steps": 40, "psnr": 10.0}] and references == {}


def test_study_curves_are_short_in_the_smoke_profile(trained):
    recipe.study_curves({"Haar": {"levels": 1}}, MEASURED, "smoke")
    assert trained == [get_profile("smoke").changed(levels=1, **get_profile("smoke").curve)]


def test_study_runs_return_the_measured_runs_unless_rerun(monkeypatch):
    runs = [{"task": "t1_to_t2", "recipe": "L1", "overrides": {"norm": "l1"}, "test_psnr": 25.0, "test_ssim": 0.9,
             "test_scored_on": "test subjects (before)", "val_psnr": 26.0, "val_ssim": 0.8},
            {"task": "t1_to_t2", "recipe": "L2", "overrides": {"norm": "l2"}, "test_psnr": 24.0, "test_ssim": 0.7,
             "test_scored_on": "test subjects (before)"}]
    shown = recipe.study_runs(runs, "tutorial", None)
    assert [(r["psnr"], r["ssim"], r["scored_on"]) for r in shown] == [(26.0, 0.8, recipe.VALIDATION),
                                                                       (24.0, 0.7, "test subjects (before)")]
    assert shown[0]["test_psnr"] == 25.0  # the old test number stays, labelled
    monkeypatch.setattr(recipe, "recipe_splits", lambda profile, seed=0, progress=True: "splits")
    monkeypatch.setattr(recipe, "finished_run", lambda task, splits, profile, root, name, progress, o:
                        {"task": task, "recipe": name, "overrides": o, "psnr": 1.0})
    again = recipe.study_runs(runs[:1], "tutorial", None, rerun=True)
    assert again == [{"task": "t1_to_t2", "recipe": "L1", "overrides": {"norm": "l1"}, "psnr": 1.0}]


def test_recipe_functions_refuse_test_subjects():
    splits = phantom_splits("smoke", progress=False)
    assert splits.test  # the full split has a test subject ...
    for call in (lambda s: recipe.learning_curve("t1_to_t2", s, "smoke", progress=False),
                 lambda s: recipe.finished_run("t1_to_t2", s, "smoke", None, "x", progress=False)):
        with pytest.raises(ValueError, match="scored on validation subjects"):
            call(splits)  # ... which the recipe functions refuse before training
        with pytest.raises(ValueError, match="validation subjects"):
            call(Splits(splits.train, [], []))  # and nothing to score on is an error too
    dropped = recipe.validation_splits(splits)
    assert dropped.test == [] and dropped.val == splits.val and dropped.train == splits.train


def test_curve_points_report_validation_scores_only():
    history = [{"epoch": 1, "steps": 2, "seconds": 1.0, "test_psnr": 30.0, "test_ssim": 0.9},  # an old row: not a point
               {"epoch": 2, "steps": 2, "seconds": 1.0, "val_psnr": 20.0, "val_ssim": 0.5}]
    assert recipe.curve_points(history) == [{"epoch": 2, "steps": 4, "seconds": 2.0, "psnr": 20.0, "ssim": 0.5,
                                             "scored_on": recipe.VALIDATION}]


def test_the_smoke_study_scores_only_validation_subjects(monkeypatch):
    full = phantom_splits("smoke", progress=False)
    val, test = {s.name for s in full.val}, {s.name for s in full.test}
    scored = []
    real_score = recipe.score

    def spy(subject, *args, **kwargs):
        scored.append(subject.name)
        return real_score(subject, *args, **kwargs)

    monkeypatch.setattr(recipe, "score", spy)
    curves, _ = recipe.study_curves({"Haar": {"levels": 1}}, MEASURED, "smoke", progress=False)
    runs = recipe.study_runs([{"task": "t1_to_t2", "recipe": "default", "overrides": {}}], "smoke", None, progress=False)
    assert scored and set(scored) <= val and not set(scored) & test
    assert {p["scored_on"] for p in curves["Haar"]} == {recipe.VALIDATION} and runs[0]["scored_on"] == recipe.VALIDATION


def test_the_shipped_study_says_what_it_was_scored_on():
    measured = json.loads(SHIPPED.read_text())
    assert "test subjects" in measured["scored_on"] and "test subjects" in measured["full_run_references_scored_on"]
    assert all("test subjects" in v["scored_on"] for v in measured["variants"].values())
    for row in measured["full_runs"]:
        assert "psnr" not in row and "test subjects" in row["test_scored_on"] and "test_psnr" in row
        assert ("val_psnr" in row) != ("val_note" in row)  # re-scored on validation, or says why not
    shown = recipe.study_runs(measured["full_runs"], "tutorial", None)
    assert any(r["scored_on"] == recipe.VALIDATION for r in shown)
    assert all(r["psnr"] == r.get("val_psnr", r["test_psnr"]) for r in shown)


def test_rescoring_keeps_test_numbers_and_refuses_test_subjects(monkeypatch):
    script = load_script("rescore_recipe_runs")
    measured = {"variants": {"a": {"overrides": {}, "points": []}},
                "full_runs": [{"task": "t1_to_t2", "recipe": "shipped", "overrides": {}, "psnr": 25.0, "ssim": 0.9},
                              {"task": "t1_to_t2", "recipe": "gone", "overrides": {"lam": 4.0}, "psnr": 24.0, "ssim": 0.8}]}
    splits = Splits([], [phantom_splits("smoke", progress=False).val[0]], [])
    monkeypatch.setattr(script, "shipped_network", lambda task, s, overrides, folder=None:
                        ({"path": "/w/card.pt"}, "exact model key") if not overrides else (None, ""))
    monkeypatch.setattr(script, "load_card", lambda card: SimpleNamespace(net="net"))
    seen = []
    monkeypatch.setattr(script, "score_probe", lambda task, subjects: seen.append([s.name for s in subjects])
                        or (lambda epoch, net: {"val_psnr": 30.0, "val_ssim": 0.95}))
    out = script.rescore(measured, splits)
    shipped, gone = out["full_runs"]
    assert (shipped["test_psnr"], shipped["val_psnr"], shipped["val_network"]) == (25.0, 30.0, "card")
    assert gone["test_psnr"] == 24.0 and "val_psnr" not in gone and gone["val_note"] == script.NOT_SHIPPED
    assert seen == [[splits.val[0].name]] and out["variants"]["a"]["scored_on"] == script.TEST_LABEL
    assert script.rescore(out, splits)["full_runs"] == out["full_runs"]  # a second pass changes nothing
    with pytest.raises(ValueError, match="validation"):
        script.rescore(measured, Splits([], splits.val, splits.val))
