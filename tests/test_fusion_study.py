"""Fusion supervision: teacher labels, the unsupervised forward term, and the fusion table."""

import json
from dataclasses import asdict, replace

import numpy as np
import pytest
import torch

from conftest import make_subject
from ivan_core.baselines.fusion.methods import add_fusion_label
from ivan_core.core.tasks import get_task
from ivan_core.core.training.fusion_losses import teacher_forward_loss, unsupervised_forward_loss
from ivan_core.metrics import FUSION_METRICS
from ivan_core.tutorial.experiment import Splits
from ivan_core.tutorial.fusion_study import evenly_spaced, fusion_profile, run_fusion_study
from ivan_core.tutorial.profiles import get_profile


def test_teacher_label_is_added_per_slice(subjects):
    labelled = add_fusion_label(subjects[:1], "maximum")[0]
    assert np.allclose(labelled["FUSED"], np.maximum(subjects[0]["T2"], subjects[0]["CT"]))
    assert "FUSED" not in subjects[0].images  # the input is not modified


def test_unsupervised_forward_term_uses_the_sources():
    task = get_task("t2ct_fusion")
    loss = unsupervised_forward_loss(task)
    x = torch.rand(2, 2, 8, 8)
    best = torch.maximum(x[:, :1], x[:, 1:]).expand(-1, 2, -1, -1)
    assert float(loss(best, None, x)) < float(loss(torch.zeros_like(x), None, x))


def test_teacher_forward_term_fits_the_label_and_the_edges():
    task = get_task("t2ct_fusion")
    loss = teacher_forward_loss(task, w_edge=1.0)
    x = torch.zeros(1, 2, 8, 8)
    x[:, 1, :, 4:] = 1.0  # CT has a vertical step edge, T2 is flat
    label = torch.full((1, 2, 8, 8), 0.5)
    assert float(loss(label, label, x)) == pytest.approx(1.0)  # label met, edge missed: edge_loss = 1
    assert float(teacher_forward_loss(task, w_edge=0.0)(label, label, x)) == 0.0
    assert float(loss(x[:, 1:].expand(-1, 2, -1, -1), x[:, 1:].expand(-1, 2, -1, -1), x)) == 0.0


def test_fusion_budget_comes_from_the_profile():
    tutorial = fusion_profile("tutorial")
    assert (tutorial.model.levels, tutorial.train.epochs, tutorial.train.lr_step, tutorial.train.ema,
            tutorial.train.norm, tutorial.train.lam, tutorial.train.val_every) == (0, 50, 20, 0.0, "l2", 1.0, 10)
    assert all(fusion_profile(p).train.inverse_from == "repacked" for p in ("smoke", "tutorial", "paper"))
    assert fusion_profile("smoke").train == replace(get_profile("smoke").train, lam=1.0, val_every=1,
                                                    inverse_from="repacked")
    assert fusion_profile("paper").train.val_every == 60


def test_run_fusion_study_smoke(tmp_path):
    subjects = [make_subject(f"s{i}", slices=2, size=40, seed=i) for i in range(3)]
    study = run_fusion_study(Splits(subjects[:1], subjects[1:2], subjects[2:]), fusion_profile("smoke"), tmp_path,
                             "average", progress=False)
    methods = {r["method"] for r in study.table}
    assert {"average", "lp_sr", "cs_mca", "iVAN (teacher: average)", "iVAN (unsupervised)"} <= methods
    assert all(set(FUSION_METRICS) <= set(r) for r in study.table)
    exact = [r for r in study.separation if r["kind"] == "round trip (float32)" and r["region"] == "full"]
    assert len(exact) == 2 * 2 and all(r["psnr"] > 90 for r in exact)


def test_evenly_spaced_slices_leave_out_the_ends_and_keep_the_rest():
    subject = make_subject("s", slices=12, size=16, seed=0)
    three = evenly_spaced(subject, 3)
    assert three.n_slices == 3
    assert [int(np.flatnonzero((subject["T2"] == s).all(axis=(1, 2)))[0]) for s in three["T2"]] == [3, 6, 8]
    assert evenly_spaced(subject, 12) is subject and evenly_spaced(subject, 40) is subject
    with pytest.raises(ValueError, match="at least one"):
        evenly_spaced(subject, 0)


def test_fusion_study_scores_the_test_slices_it_is_given(tmp_path):
    subjects = [make_subject(f"s{i}", slices=4, size=32, seed=i) for i in range(3)]
    study = run_fusion_study(Splits(subjects[:1], subjects[1:2], subjects[2:]), fusion_profile("smoke"), tmp_path,
                             "average", progress=False, methods=("average",), test_slices=2)
    assert [s.n_slices for s in study.test] == [2]
    assert all(v.shape[0] == 2 for v in study.fused["s2"].values())
    assert get_profile("tutorial").fusion_slices == 2 and get_profile("paper").fusion_slices is None


def test_fused_volumes_are_cached_by_method_and_pixels(tmp_path, monkeypatch):
    from ivan_core.tutorial import fusion_study

    a, b = np.random.default_rng(0).random((2, 2, 16, 16)).astype(np.float32)
    fresh = fusion_study.fuse_volume("average", a, b, tmp_path)
    assert np.array_equal(fresh, (a + b) / 2) and len(list(tmp_path.glob("average-*.npy"))) == 1
    monkeypatch.setattr(fusion_study, "fuse", lambda *args: pytest.fail("fused again instead of read from the cache"))
    assert np.array_equal(fusion_study.fuse_volume("average", a, b, tmp_path), fresh)
    with pytest.raises(pytest.fail.Exception):  # other pixels or another method: computed, not reused
        fusion_study.fuse_volume("average", a, b + 1e-3, tmp_path)
    with pytest.raises(pytest.fail.Exception):
        fusion_study.fuse_volume("maximum", a, b, tmp_path)


def test_cross_validation_tests_every_case_once_with_networks_that_never_saw_it(tmp_path):
    from ivan_core.tutorial.fusion_cv import FusionCrossValidation, cross_validate_fusion, paired_wins
    from ivan_core.tutorial.reporting import metrics_table

    cases = [make_subject(f"c{i}", slices=2, size=40, seed=i) for i in range(4)]
    cv = cross_validate_fusion(cases, fusion_profile("smoke"), tmp_path, k=2, teacher="average",
                               methods=("average", "lp_sr"), progress=False)
    assert sorted(r["subject"] for r in cv.table if r["method"] == "average") == [c.name for c in cases]
    for i, fold in enumerate(cv.folds):
        tested = {r["subject"] for r in cv.table if r["fold"] == i}
        assert tested == set(fold["test"]) and not tested & set(fold["train"] + fold["val"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fold0", "fold1", "fused"]
    assert len(list((tmp_path / "fused").glob("*.npy"))) == 2 * len(cases)  # each case fused once per method
    table = metrics_table(cv.table, by=("method",), metrics=FUSION_METRICS).set_index("method")
    assert table.loc["average", "subjects"] == 4 and " ± " in table.loc["average", "Q_ABF"]
    wins = {r["method"]: r for r in paired_wins(cv.table, "iVAN (teacher: average)")}
    assert set(wins) == {"average", "lp_sr", "iVAN (unsupervised)"} and all(0 <= wins[m]["AG"] <= 4 for m in wins)
    with pytest.raises(ValueError, match="no rows for 'nope'"):
        paired_wins(cv.table, "nope")
    assert FusionCrossValidation(**json.loads(json.dumps(asdict(cv)))) == cv  # what a card keeps reads back


def test_paired_wins_count_cases_per_metric():
    from ivan_core.tutorial.fusion_cv import paired_wins

    rows = [{"subject": s, "method": m, "AG": v} for s, m, v in
            [("a", "ours", 2.0), ("a", "other", 1.0), ("b", "ours", 1.0), ("b", "other", 3.0), ("c", "ours", 5.0),
             ("c", "other", 4.0)]]
    (row,) = paired_wins(rows, "ours", metrics=("AG",))
    assert row == {"method": "other", "cases": 3, "AG": 2, "beaten_on": ["AG"]}


def test_the_shipped_harvard_fusion_carries_its_cross_validation():
    from ivan_core.store import find_card
    from ivan_core.tutorial.fusion_cv import best_rule, paired_wins, shipped_cross_validation

    card = find_card("t2ct_fusion", "tutorial", "harvard")
    cv = shipped_cross_validation("harvard", "tutorial")
    cases = sorted({r["subject"] for r in cv.table})
    assert len(cases) == 8 and sorted(card["data"]["train"]) == cases  # shipped: trained on every case
    assert sorted(name for fold in cv.folds for name in fold["test"]) == cases  # each tested once
    for i, fold in enumerate(cv.folds):
        assert {r["subject"] for r in cv.table if r["fold"] == i} == set(fold["test"])
    assert {w["method"] for w in paired_wins(cv.table, card["method"])} >= {"maximum", "laplacian_pyramid", "dwt",
                                                                          "lp_sr", "lrd", "lp_cnn"}
    assert all(set(FUSION_METRICS) <= set(r) for r in cv.table)  # every metric, so the rule can judge it
    assert best_rule(cv.table, card["method"])["polarity"] > 0  # bone bright


def test_harvard_networks_train_with_the_harvard_recipe_in_the_tutorial_profile_only():
    harvard = fusion_profile("tutorial", harvard=True)
    assert (harvard.model.levels, harvard.train.epochs, harvard.train.lr_step, harvard.signed_edges) == (1, 150, 60, False)
    assert fusion_profile("smoke", harvard=True) == fusion_profile("smoke")
    with pytest.raises(ValueError, match="fusion_profile"):  # a synthesis profile would train the wrong inverse
        from ivan_core.tutorial.fusion_study import fit_fusion

        fit_fusion(Splits([], [], []), get_profile("smoke"), None, "unsupervised")


def test_fit_fusion_passes_the_edge_overshoot_to_the_teacher_loss(tmp_path):
    from ivan_core.tutorial.fusion_study import fit_fusion

    subjects = add_fusion_label([make_subject(f"s{i}", slices=2, size=40, seed=i) for i in range(2)], "average")
    unsigned = fusion_profile("smoke").changed(signed_edges=False)
    result = fit_fusion(Splits(subjects[:1], subjects[1:], []), unsigned, tmp_path, edge_overshoot=0.5, progress=False)
    key = json.loads((result.out_dir / "key.json").read_text())
    assert key["forward_loss"] == {"name": "teacher_fusion_loss", "w_edge": 1.0, "norm": "l2", "overshoot": 0.5}
    with pytest.raises(ValueError, match="signed edge term"):  # overshoot weighs magnitudes, which the signed term has not
        fit_fusion(Splits(subjects[:1], subjects[1:], []), fusion_profile("smoke"), None, edge_overshoot=0.5,
                   progress=False)


def test_fit_fusion_keeps_edge_signs_by_default(tmp_path):
    from ivan_core.tutorial.fusion_study import fit_fusion

    subjects = add_fusion_label([make_subject(f"s{i}", slices=2, size=40, seed=i) for i in range(2)], "average")
    for variant, name in (("teacher", "teacher_fusion_loss"), ("unsupervised", "unsupervised_fusion_loss")):
        result = fit_fusion(Splits(subjects[:1], subjects[1:], []), fusion_profile("smoke"), tmp_path, variant,
                            progress=False)
        key = json.loads((result.out_dir / "key.json").read_text())["forward_loss"]
        assert key["name"] == name and key["signed"] is True


def test_fit_fusion_passes_the_gradient_and_fine_weights_to_the_unsupervised_loss(tmp_path):
    from ivan_core.tutorial.fusion_study import fit_fusion

    subjects = add_fusion_label([make_subject(f"s{i}", slices=2, size=40, seed=i) for i in range(2)], "average")
    result = fit_fusion(Splits(subjects[:1], subjects[1:], []), fusion_profile("smoke"), tmp_path, "unsupervised",
                        progress=False, gradient_weight=4.0, fine_weight=0.5)
    key = json.loads((result.out_dir / "key.json").read_text())["forward_loss"]
    assert (key["w_gradient"], key["w_intensity"], key["w_fine"]) == (4.0, 1.0, 0.5)
    assert "w_fine" not in unsupervised_forward_loss(get_task("t2ct_fusion")).key  # older keys stay valid
    taught = fit_fusion(Splits(subjects[:1], subjects[1:], []), fusion_profile("smoke"), tmp_path, "teacher",
                        progress=False, fine_weight=0.5)
    assert json.loads((taught.out_dir / "key.json").read_text())["forward_loss"]["w_fine"] == 0.5
    assert "w_fine" not in teacher_forward_loss(get_task("t2ct_fusion")).key


def test_best_rule_counts_strict_wins_and_needs_a_measured_positive_polarity():
    from ivan_core.tutorial.fusion_cv import best_rule

    def rows(method, values, polarity=0.2):
        return [{"subject": f"c{i}", "method": method, "AG": v, "SF": v, "EN": v, "POLARITY": polarity}
                for i, v in enumerate(values)]

    ours = rows("ours", [1.0, 1.0, 1.0])
    tie = rows("tie", [1.0, 1.0, 1.0])
    better = rows("better", [2.0, 2.0, 0.5])  # higher on two of three cases, every metric
    undefined = rows("undefined", [float("nan")] * 3)
    verdict = best_rule(ours + tie + undefined, "ours")
    assert verdict == {"method": "ours", "polarity": pytest.approx(0.2), "beaten_by": {}, "best": True}
    assert best_rule(ours + better, "ours")["beaten_by"] == {"better": ["AG", "SF", "EN"]}
    assert best_rule(ours + better, "ours")["best"] is False
    assert best_rule(rows("ours", [1.0] * 3, polarity=-0.3) + tie, "ours")["best"] is False  # a dark skull
    no_polarity = [{k: v for k, v in r.items() if k != "POLARITY"} for r in ours + tie]
    assert best_rule(no_polarity, "ours")["best"] is None  # measured before POLARITY existed
    with pytest.raises(ValueError, match="no rows"):
        best_rule(tie, "ours")
