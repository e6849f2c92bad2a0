"""scripts/ship_harvard_fusion.py on a tiny fake atlas folder: folds, tables, the shipped card."""

import json

import pytest

from conftest import load_script, write_fake_atlas
from ivan_core.store import find_card, load_pretrained
from ivan_core.tutorial.fusion_cv import shipped_cross_validation


@pytest.fixture
def ship():
    return load_script("ship_harvard_fusion").main


@pytest.fixture
def atlas(tmp_path):
    return write_fake_atlas(tmp_path / "atlas", cases=(3, 5, 7, 9), slices=2)


def test_ship_cross_validates_then_ships_the_card_with_the_cross_validation(ship, atlas, tmp_path):
    common = ["--aanlib", str(atlas), "--profile", "smoke", "--k", "2", "--models", str(tmp_path / "models"),
              "--methods", "average", "maximum"]
    assert ship([*common, "--fold", "1"]) == 0  # one fold alone: its two networks, nothing shipped
    assert len(list((tmp_path / "models" / "aanlib-cv" / "fold1").glob("*/model.pt"))) == 2
    assert ship([*common, "--results", str(tmp_path / "results"), "--dest", str(tmp_path / "weights")]) == 0
    result = json.loads((tmp_path / "results" / "harvard_fusion_cv.json").read_text())
    assert sorted({r["subject"] for r in result["table"]}) == [f"aanlib-CT-MRI-{c}" for c in (3, 5, 7, 9)]
    assert {w["method"] for w in result["wins"]} == {"average", "maximum", "iVAN (unsupervised)"}
    assert "| iVAN (teacher: laplacian_pyramid) | 4 |" in (tmp_path / "results" / "harvard_fusion_cv.md").read_text()
    assert set(result["best_rule"]) == {"method", "polarity", "beaten_by", "best"}
    assert all("POLARITY" in r and "SCD" in r for r in result["table"])
    assert (tmp_path / "results" / "harvard_fusion_cv_cases.png").stat().st_size > 10_000
    card = find_card("t2ct_fusion", "smoke", "harvard", tmp_path / "weights")
    assert card["method"] == "iVAN (teacher: laplacian_pyramid)" and len(card["data"]["train"]) == 4
    cv = shipped_cross_validation("harvard", "smoke", tmp_path / "weights")
    assert cv.table == result["table"] and [f["test"] for f in cv.folds] == [f["test"] for f in result["folds"]]
    assert load_pretrained("t2ct_fusion", "smoke", "harvard", folder=tmp_path / "weights") is not None


def test_a_rerun_with_the_network_already_shipped_renews_only_its_card(atlas, tmp_path, monkeypatch):
    import ivan_core.store as pretrained

    weights = tmp_path / "weights"
    weights.mkdir()
    script = load_script("ship_harvard_fusion")
    monkeypatch.setattr(pretrained.cards, "WEIGHTS", weights)  # where fit() looks for shipped networks
    monkeypatch.setattr(script, "WEIGHTS", weights)  # the script's default --dest
    args = ["--aanlib", str(atlas), "--profile", "smoke", "--k", "2", "--models", str(tmp_path / "models"),
            "--methods", "average", "--cross-validate", "teacher", "--results", str(tmp_path / "results")]
    assert script.main(args) == 0  # trains the all-case network and ships it
    (shipped,) = weights.glob("*.pt")
    before = shipped.read_bytes()
    assert "cv_command" not in json.loads(shipped.with_suffix(".json").read_text())
    assert script.main(args) == 0  # the same network is shipped: only its card is renewed
    assert list(weights.glob("*.pt")) == [shipped] and shipped.read_bytes() == before
    card = json.loads(shipped.with_suffix(".json").read_text())
    assert card["cv_command"].endswith("--results " + str(tmp_path / "results")) and card["variant"] == "harvard"
