"""scripts/screen_harvard_fusion.py on a tiny fake atlas folder: one JSON line per screen, scored on the
validation case only (the test cases are never labelled, trained with or scored)."""

import json

import numpy as np
import pytest
import torch

from conftest import load_script, write_fake_atlas
from ivan_core.core.tasks import get_task
from ivan_core.data import split_subjects
from ivan_core.metrics import FUSION_METRICS
from ivan_core.tutorial.experiment import harvard_cases


@pytest.fixture
def screen():
    return load_script("screen_harvard_fusion")


@pytest.fixture
def atlas(tmp_path):
    return write_fake_atlas(tmp_path / "atlas", cases=range(1, 9))


def test_difference_magnitude_is_the_forward_difference(screen):
    img = torch.zeros(1, 1, 4, 4)
    img[..., 2:] = 1.0  # a vertical step: |dx| = 1 in column 1 only
    assert screen.difference_magnitude(img)[0, 0].tolist() == [[0.0, 1.0, 0.0, 0.0]] * 4


def test_screens_append_their_scores(screen, atlas, tmp_path):
    out = tmp_path / "screens.jsonl"
    common = ["--aanlib", str(atlas), "--profile", "smoke", "--models", str(tmp_path / "models"), "--out", str(out)]
    assert screen.main(["sharper", '{"overshoot": 0.5, "gradient": "differences", "signed_edges": false, "epochs": 1}',
                        *common]) == 0
    assert screen.main(["brighter base", '{"teacher": "lp_max_base", "epochs": 1}', *common]) == 0
    assert screen.main(["sharpest", '{"teacher": "lrd|laplacian_pyramid", "epochs": 1}', *common]) == 0
    first, second, third = (json.loads(line) for line in out.read_text().splitlines())
    assert (first["overshoot"], first["gradient"], first["overrides"]) == (0.5, "differences", {"epochs": 1})
    assert first["signed_edges"] is False and second["signed_edges"] is True  # smoke has no recipe: signed by default
    assert second["teacher"] == "lp_max_base" and second["overshoot"] == 1.0
    assert third["teacher"] == "lrd|laplacian_pyramid"
    assert "test" not in first and set(first["validation_case"]) == set(FUSION_METRICS)
    assert set(first["separation_psnr"]) == {"T2", "CT"}


def test_screens_never_touch_the_test_cases(screen, atlas, tmp_path, monkeypatch):
    _, val, test = split_subjects(harvard_cases("CT-MRI", atlas), (5, 1, 2), seed=0)
    seen = {}

    def spy(name, fn, subjects_of):
        def wrapped(*args, **kwargs):
            seen.setdefault(name, []).extend(subjects_of(*args, **kwargs))
            return fn(*args, **kwargs)
        monkeypatch.setattr(screen, name, wrapped)

    spy("label", screen.label, lambda subjects, teacher: [s.name for s in subjects])
    spy("fit", screen.fit, lambda task, splits, *a, **k: [s.name for s in splits.train + splits.val + splits.test])
    spy("synthesise", screen.synthesise, lambda net, task, subject, **k: [subject.name])
    spy("fusion_rows", screen.fusion_rows, lambda subject, fused, *a: [subject.name])
    spy("inverse_rows", screen.inverse_rows, lambda net, task, subject, *a, **k: [subject.name])
    common = ["--aanlib", str(atlas), "--profile", "smoke", "--models", str(tmp_path / "models"),
              "--out", str(tmp_path / "screens.jsonl")]
    assert screen.main(["plain", '{"epochs": 1}', *common]) == 0
    assert set(seen) == {"label", "fit", "synthesise", "fusion_rows", "inverse_rows"}
    test_names = {s.name for s in test}
    assert all(not set(names) & test_names for names in seen.values())  # never labelled, trained or scored
    for part in ("synthesise", "fusion_rows", "inverse_rows"):
        assert set(seen[part]) == {s.name for s in val}  # scored on the validation case only


def test_the_recipes_signed_edges_is_a_loss_option(screen, atlas, tmp_path, monkeypatch):
    """The tutorial's Harvard recipe holds ``signed_edges``: it goes to the loss, not to TrainConfig."""
    from ivan_core.tutorial.fusion_study import fusion_profile

    monkeypatch.setattr(screen, "fusion_profile", lambda profile, harvard: fusion_profile(profile).changed(signed_edges=False))
    terms, fits = [], []
    real_term, real_fit = screen.screen_term, screen.fit
    monkeypatch.setattr(screen, "screen_term", lambda task, **k: terms.append(k) or real_term(task, **k))
    monkeypatch.setattr(screen, "fit", lambda *a, **k: fits.append(k) or real_fit(*a, **k))
    out = tmp_path / "screens.jsonl"
    assert screen.main(["over", '{"overshoot": 0.5, "epochs": 1}', "--aanlib", str(atlas), "--profile", "smoke",
                        "--models", str(tmp_path / "models"), "--out", str(out)]) == 0
    assert terms[0]["signed"] is False and fits[0] == {}  # everything travels in the profile
    assert json.loads(out.read_text())["signed_edges"] is False


def test_the_signed_term_refuses_what_it_cannot_do(screen):
    task = get_task("t2ct_fusion")
    assert screen.screen_term(task, "sobel", 1.0, 1.0, "l2", signed=True).key["signed"] is True
    with pytest.raises(ValueError, match="signed_edges"):
        screen.screen_term(task, "differences", 1.0, 1.0, "l2", signed=True)
    with pytest.raises(ValueError, match="overshoot"):
        screen.screen_term(task, "sobel", 0.5, 1.0, "l2", signed=True)


def test_sharpest_label_takes_the_sharper_candidate_per_region(screen):
    flat = np.full((16, 16), 0.5, np.float32)
    edge = flat.copy()
    edge[:, 8:] = 1.0
    out = screen.sharpest_label([flat, edge])
    np.testing.assert_array_equal(out[:, 5:11], edge[:, 5:11])
    np.testing.assert_array_equal(out[:, :2], flat[:, :2])
