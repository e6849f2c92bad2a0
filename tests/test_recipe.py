"""Notebook 10's study helpers: measured curves and runs where they apply, training otherwise."""

import pytest

from ivan_core.tutorial import recipe

MEASURED = {"variants": {"Haar": {"overrides": {"levels": 1}, "points": [{"steps": 200, "psnr": 21.0}]}},
            "references": {"U-Net": 25.0}}


@pytest.fixture
def trained(monkeypatch):
    """Stand-ins for the phantom and for training; the list records what trained."""
    calls = []
    monkeypatch.setattr(recipe, "phantom_splits", lambda profile, progress=True: "splits")

    def fake_curve(task, splits, profile, progress=True, **overrides):
        calls.append(overrides)
        return [{"steps": 40, "psnr": 10.0}]

    monkeypatch.setattr(recipe, "learning_curve", fake_curve)
    return calls


def test_study_curves_take_measured_points_and_train_only_what_is_new(trained):
    variants = {"Haar": {"levels": 1}, "wider": {"levels": 1, "hidden": 32}}
    curves, references = recipe.study_curves(variants, MEASURED, "tutorial")
    assert curves["Haar"] == MEASURED["variants"]["Haar"]["points"] and references == {"U-Net": 25.0}
    assert trained == [{"levels": 1, "hidden": 32}]  # only the new variant trained


def test_study_curves_retrain_changed_or_rerun_variants_and_drop_references(trained):
    _, references = recipe.study_curves({"Haar": {"levels": 1, "lam": 4.0}}, MEASURED, "tutorial")
    assert trained == [{"levels": 1, "lam": 4.0}]  # same name, other settings: not the measured curve
    curves, references = recipe.study_curves({"Haar": {"levels": 1}}, MEASURED, "tutorial", rerun=True)
    assert curves["Haar"] == [{"steps": 40, "psnr": 10.0}] and references == {}


def test_study_curves_are_short_in_the_smoke_profile(trained):
    recipe.study_curves({"Haar": {"levels": 1}}, MEASURED, "smoke")
    assert trained == [{"levels": 1, **recipe.SMOKE_CURVE}]


def test_study_runs_return_the_measured_runs_unless_rerun(monkeypatch):
    runs = [{"task": "t1_to_t2", "recipe": "L1", "overrides": {"norm": "l1"}, "psnr": 25.0}]
    assert recipe.study_runs(runs, "tutorial", None) == runs
    monkeypatch.setattr(recipe, "phantom_splits", lambda profile, progress=True: "splits")
    monkeypatch.setattr(recipe, "finished_run", lambda task, splits, profile, root, name, progress, **o:
                        {"task": task, "recipe": name, "overrides": o, "psnr": 1.0})
    again = recipe.study_runs(runs, "tutorial", None, rerun=True)
    assert again == [{"task": "t1_to_t2", "recipe": "L1", "overrides": {"norm": "l1"}, "psnr": 1.0}]
