"""Tables and summary rows of the notebooks (ivan_core.tutorial.reporting)."""

import pytest

from ivan_core.tutorial.paper import paper_lookup
from ivan_core.tutorial.reporting import gain_rows, metric_values, metrics_table, summary_rows

ROWS = [{"method": m, "subject": s, "modality": "T2", "region": r, "psnr": p + (r == "full") * 10,
         "ssim": 0.5, "nmse": 0.01} for m, p0 in (("iVAN", 26.0), ("U-Net", 25.0))
        for s, p in (("a", p0 - 1), ("b", p0 + 1)) for r in ("head", "full")]


def test_metrics_table_shows_mean_and_std_with_the_decimals_asked_for():
    table = metrics_table(ROWS)
    first = table.iloc[0].to_dict()
    assert first["method"] == "iVAN" and first["subjects"] == 2
    assert first["PSNR"] == "26.00 ± 1.00" and first["SSIM"] == "0.5000 ± 0.0000"
    assert metrics_table(ROWS, decimals={"psnr": 1}).iloc[0]["PSNR"] == "26.0 ± 1.0"


def test_summary_rows_name_every_metric_and_carry_the_paper():
    rows = summary_rows("03", "t1_to_t2", ROWS, region="head", paper={("iVAN", "PSNR"): 24.7})
    by_name = {r["metric"]: r for r in rows}
    assert by_name["PSNR_head T2 (iVAN)"]["value"] == pytest.approx(26.0)
    assert by_name["PSNR_head T2 (iVAN)"]["paper"] == 24.7
    assert by_name["PSNR_head T2 (U-Net)"]["paper"] is None
    assert len(rows) == 6 and all(r["task"] == "t1_to_t2" for r in rows)
    full = summary_rows("03", "t1_to_t2", ROWS, region="full", metrics=("psnr",))
    assert [r["metric"] for r in full] == ["PSNR_full T2 (iVAN)", "PSNR_full T2 (U-Net)"]


def test_summary_rows_report_both_regions_with_the_spread_over_subjects():
    rows = summary_rows("03", "t1_to_t2", ROWS, metrics=("psnr",), paper=paper_lookup("t1_to_t2", {"iVAN": "iVAN"}))
    by_name = {r["metric"]: r for r in rows}
    assert list(by_name) == ["PSNR_head T2 (iVAN)", "PSNR_head T2 (U-Net)", "PSNR_full T2 (iVAN)", "PSNR_full T2 (U-Net)"]
    head, full = by_name["PSNR_head T2 (iVAN)"], by_name["PSNR_full T2 (iVAN)"]
    assert (head["value"], head["std"], head["n"]) == (26.0, 1.0, 2)  # subjects at 25 and 27 dB
    assert (full["value"], full["std"], full["n"]) == (36.0, 1.0, 2)
    for row in (head, full):  # the paper's Table I number, beside both regions
        assert (row["paper"], row["paper_std"]) == (39.4183, 2.2150)
    assert by_name["PSNR_full T2 (U-Net)"]["paper"] is None and by_name["PSNR_full T2 (U-Net)"]["paper_std"] is None


def test_gain_rows_pair_subjects_and_carry_the_paper_gain():
    better = [r for r in ROWS if r["method"] == "iVAN"]
    worse = [{**r, "psnr": r["psnr"] - (2.0 if r["subject"] == "a" else 4.0)} for r in better]
    head, full = gain_rows("04", "t1pd_to_t2", "over T1 only", better, worse, paper=3.9)
    assert head["metric"] == "PSNR_head gain over T1 only (dB)" and full["metric"] == "PSNR_full gain over T1 only (dB)"
    assert (head["value"], head["std"], head["n"], head["paper"]) == (3.0, 1.0, 2, 3.9)


def test_summary_rows_group_by_any_keys_and_without_region():
    fusion = [{"method": "LP", "subject": s, "AG": v} for s, v in (("a", 4.0), ("b", 6.0))]
    (row,) = summary_rows("06", "t2ct_fusion", fusion, region=None, metrics=("AG",), by=("method",))
    assert (row["metric"], row["value"]) == ("AG (LP)", 5.0)
    kinds = [{**r, "kind": "round trip"} for r in ROWS if r["method"] == "iVAN"]
    (row, _) = summary_rows("07", "t1_to_t2", kinds, metrics=("psnr",), by=("kind", "modality"), prefix="inv ")
    assert row["metric"] == "inv PSNR_head T2 (round trip)"


def test_metric_values_filter_rows():
    assert list(metric_values(ROWS, "psnr", method="U-Net", region="head")) == [24.0, 26.0]


def test_fusion_summary_rows_carry_tables_iii_and_iv():
    from types import SimpleNamespace

    from ivan_core.tutorial.reporting import fusion_summary_rows

    table = [{"subject": s, "method": m, "AG": 5.0, "Q_ABF": 0.5} for s in ("a", "b")
             for m in ("iVAN (unsupervised)", "lp_sr", "average")]
    separation = [{"subject": s, "method": "iVAN (unsupervised)", "kind": k, "modality": mod, "region": r,
                   "psnr": 50.0, "ssim": 0.9} for s in ("a", "b") for k in ("round trip (8-bit)", "inverse synthesis")
                  for mod in ("T2", "CT") for r in ("head", "full")]
    study = SimpleNamespace(table=table, separation=separation)
    rows = {r["metric"]: r for r in fusion_summary_rows("06", "t2ct_fusion (phantom)", study, metrics=("AG", "Q_ABF"))}
    assert rows["AG (iVAN (unsupervised))"]["paper"] is not None and rows["AG (lp_sr)"]["paper"] is not None
    assert rows["AG (average)"]["paper"] is None
    assert rows["separation PSNR_head T2 (iVAN (unsupervised), round trip (8-bit))"]["paper"] is not None
    assert rows["separation PSNR_full CT (iVAN (unsupervised), inverse synthesis)"]["paper"] is None
    assert all(r["task"] == "t2ct_fusion (phantom)" and r["notebook"] == "06" for r in rows.values())


def test_fusion_wins_rows_count_cases_per_metric():
    from ivan_core.tutorial.reporting import fusion_wins_rows

    wins = [{"method": "lrd", "cases": 8, "AG": 3, "Q_ABF": 7, "beaten_on": ["Q_ABF"]}]
    rows = fusion_wins_rows("06", "t2ct_fusion (Harvard, cross-validated)", "iVAN", wins)
    assert [(r["metric"], r["value"], r["n"]) for r in rows] == [("cases won AG (iVAN vs lrd)", 3.0, 8),
                                                                ("cases won Q_ABF (iVAN vs lrd)", 7.0, 8)]


def _as(method, modality="T2", shift=0.0):
    return [{**r, "method": method, "modality": modality, "psnr": r["psnr"] + shift} for r in ROWS if r["method"] == "iVAN"]


def test_pet_summary_rows_carry_table_ii_the_gain_and_the_harvard_rows():
    from ivan_core.tutorial.reporting import pet_summary_rows

    rows = {"t1_to_pet": _as("iVAN", "PET_rgb"), "t1t2_to_pet": _as("iVAN", "PET_rgb", shift=1.5)}
    by_name = {(r["task"], r["metric"]): r for r in pet_summary_rows(rows)}
    gain = by_name["t1t2_to_pet", "PSNR_head gain over T1 only (dB)"]
    assert gain["value"] == pytest.approx(1.5) and gain["paper"] == pytest.approx(1.6056)
    assert by_name["t1_to_pet", "PSNR_head PET_rgb (iVAN)"]["paper"] is not None  # Table II
    assert not any(task == "t1_to_pet (Harvard)" for task, _ in by_name)
    harvard = pet_summary_rows(rows, harvard_rows=_as("iVAN", "PET_rgb"))
    assert any(r["task"] == "t1_to_pet (Harvard)" and r["paper"] is not None for r in harvard)


def test_ablation_summary_rows_put_tables_v_and_vi_beside_their_ablations_only():
    from ivan_core.tutorial.reporting import ablation_summary_rows

    channels = _as("3 channels", "PET_rgb") + _as("6 channels", "PET_rgb")
    out = ablation_summary_rows(_as("L1") + _as("L2"), channels, _as("lambda=4"), _as("lambda=4"), _as("blocks=4"))
    with_paper = {r["task"] for r in out if r["paper"] is not None}
    assert with_paper == {"t1pd_to_t2 (loss norm)", "t1t2_to_pet (channels)"}
    assert any(r["metric"].startswith("inverse PSNR_head") for r in out)
    assert {r["notebook"] for r in out} == {"09_ablations"}


def test_recipe_summary_rows_take_the_last_point_of_each_curve():
    from ivan_core.tutorial.reporting import recipe_summary_rows

    curves = {"lr 1e-3": [{"steps": 100, "psnr": 20.0}, {"steps": 200, "psnr": 22.5}]}
    runs = [{"task": "t1_to_t2", "recipe": "L1", "steps": 3000, "psnr": 25.0}]
    first, second = recipe_summary_rows(curves, runs)
    assert (first["metric"], first["value"]) == ("PSNR_head T2 (lr 1e-3, 200 steps)", 22.5)
    assert (second["task"], second["metric"], second["value"]) == ("t1_to_t2", "PSNR_head (L1, 3000 steps)", 25.0)
