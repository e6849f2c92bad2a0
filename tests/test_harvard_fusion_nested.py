"""scripts/harvard_fusion_nested.py on a tiny fake atlas folder: the choice on validation, the tables, the card."""

import json

import pytest

from conftest import load_script, write_fake_atlas
from ivan_core.metrics import FUSION_METRICS
from ivan_core.store import find_card
from ivan_core.tutorial.fusion_cv import shipped_cross_validation


@pytest.fixture(scope="module")
def nested():
    return load_script("harvard_fusion_nested")


def row(method, value, **changed):
    return {"subject": "v", "method": method, **{m: value for m in FUSION_METRICS}, "CHECKERBOARD": 1.0, **changed}


def test_the_choice_ranks_polarity_and_checkerboard_then_dominance_then_q_abf(nested):
    classical = [row("maximum", 0.5)]
    sharp_but_dominated = row("a", 0.4, Q_ABF=0.9)
    undominated = row("b", 0.6, Q_ABF=0.7)
    assert nested.choose([sharp_but_dominated, undominated], classical) == "b"
    checkered = row("c", 0.6, Q_ABF=0.8, CHECKERBOARD=3.0)
    dark_bone = row("d", 0.6, Q_ABF=0.8, POLARITY=-0.1)
    assert nested.choose([checkered, dark_bone, sharp_but_dominated], classical) == "a"
    assert nested.choose([row("e", 0.6, Q_ABF=0.6), row("f", 0.6, Q_ABF=0.7)], classical) == "f"


def test_nested_cross_validation_chooses_on_validation_then_ships(nested, tmp_path):
    atlas = write_fake_atlas(tmp_path / "atlas", cases=(3, 5, 7, 9), slices=2)
    common = ["--aanlib", str(atlas), "--profile", "smoke", "--k", "2", "--models", str(tmp_path / "models"),
              "--fused-cache", str(tmp_path / "fused"), "--methods", "average", "maximum", "--cs-mca-slices", "0"]
    assert nested.main([*common, "--fold", "0", "--fold", "1"]) == 0
    assert len(list((tmp_path / "models" / "fold0").glob("*/model.pt"))) == len(nested.CANDIDATES)
    assert nested.main([*common, "--report", "--results", str(tmp_path / "results")]) == 0
    result = json.loads((tmp_path / "results" / "harvard_fusion_nested.json").read_text())
    for fold, choice in zip(result["folds"], result["choices"]):
        assert [choice["val"]] == fold["val"] and choice["val"] not in fold["test"]  # tests never choose
        assert choice["picked"] in nested.CANDIDATES and set(choice["val_scores"]) == set(nested.CANDIDATES)
    assert sorted({r["subject"] for r in result["table"]}) == [f"aanlib-CT-MRI-{c}" for c in (3, 5, 7, 9)]
    assert {r["method"] for r in result["table"]} == {"average", "maximum", nested.OURS}
    assert "--k 2" in (tmp_path / "results" / "harvard_fusion_nested.md").read_text()
    assert nested.main([*common, "--results", str(tmp_path / "results"), "--ship", "--dest",
                        str(tmp_path / "weights")]) == 0
    card = find_card("t2ct_fusion", "smoke", "harvard", tmp_path / "weights")
    assert card["method"] == nested.OURS and card["recipe"] in nested.CANDIDATES and len(card["data"]["train"]) == 4
    assert shipped_cross_validation("harvard", "smoke", tmp_path / "weights").table == result["table"]


def test_one_candidate_is_a_frozen_recipe_cross_validated_under_its_own_name(nested, tmp_path):
    atlas = write_fake_atlas(tmp_path / "atlas", cases=(3, 5, 7, 9), slices=2)
    label = "teacher: maximum, fine term"
    assert nested.main(["--aanlib", str(atlas), "--profile", "smoke", "--k", "2", "--models", str(tmp_path / "models"),
                        "--fused-cache", str(tmp_path / "fused"), "--methods", "maximum", "--cs-mca-slices", "0",
                        "--candidates", label, "--name", "frozen", "--fold", "0", "--fold", "1", "--report",
                        "--results", str(tmp_path / "results")]) == 0
    result = json.loads((tmp_path / "results" / "frozen.json").read_text())
    assert list(result["candidates"]) == [label] and {c["picked"] for c in result["choices"]} == {label}
    assert len(list((tmp_path / "models" / "fold0").glob("*/model.pt"))) == 1
    assert "--candidates 'teacher: maximum, fine term' --name frozen" in (tmp_path / "results" / "frozen.md").read_text()

