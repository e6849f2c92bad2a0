"""The paper's numbers (ivan_core.tutorial.paper) and how result rows pick them up."""

import pytest

from ivan_core.tutorial.paper import INVERSE_KIND, PAPER, PaperNumber, paper_lookup, paper_number
from ivan_core.tutorial.reporting import summary_rows
from ivan_core.tutorial.results import result_row, to_markdown


def test_a_few_numbers_against_the_tables():
    assert paper_number("t1_to_t2", "iVAN", "PSNR", "T2") == PaperNumber(39.4183, 2.2150, "Table I")
    assert paper_number("t1pd_to_t2", "Hi-Net", "SSIM", "T2").value == 0.9981
    assert paper_number("t1_to_pet", "iVAN", "NMSE", "PET_rgb").value == 0.1073
    assert paper_number("t2ct_fusion", "iVAN", "AG").value == 11.3779
    assert paper_number("t2ct_fusion", "LP-SR", "Q_ABF").value == 0.5930
    assert paper_number("t2ct_fusion", "LP-SR", "Q_PIELLA").value == 0.5930  # Eq. 18 defines the same column
    assert paper_number("t2ct_fusion", "LP-CNN", "EN").std is None  # Table III prints no spread
    assert paper_number("t1_to_t2", "iVAN", "psnr", "T2").value == 39.4183  # metric names in any case


def test_table_iv_has_one_number_per_direction():
    expected = {("t1pd_to_t2", "T1"): 56.0053, ("t1pd_to_t2", "PD"): 58.0174, ("t1t2_to_pet", "T1"): 66.0272,
                ("t1t2_to_pet", "T2"): 68.9461, ("t2ct_fusion", "T2"): 59.8782, ("t2ct_fusion", "CT"): 64.8058}
    psnr = {(task, modality): n.value for (task, entry, modality, metric), n in PAPER.items()
            if entry == "inverse" and metric == "PSNR"}
    assert psnr == expected
    assert paper_number("t1t2_to_pet", "inverse", "SSIM", "T2") == PaperNumber(0.9995, 0.0006, "Table IV", "PET -> T2")


def test_gains_are_differences_of_table_cells():
    assert paper_number("t1pd_to_t2", "gain: T1+PD over T1", "PSNR").value == pytest.approx(3.9031)
    assert paper_number("t1t2_to_pet", "gain: T1+T2 over T1", "PSNR").value == pytest.approx(1.6056)
    assert paper_number("t1t2_to_pet", "gain: 6 over 3 channels", "PSNR").value == pytest.approx(1.1578)
    assert paper_number("t1pd_to_t2", "gain: L2 over L1", "PSNR").value == pytest.approx(1.2667)
    same = paper_number("t1pd_to_t2", "L2-norm", "PSNR", "T2"), paper_number("t1pd_to_t2", "iVAN", "PSNR", "T2")
    assert [(n.value, n.std, n.source) for n in same] == [(43.3214, 1.8446, "Table V"), (43.3214, 1.8446, "Table I")]


def _inverse_rows(modalities):
    return [{"kind": kind, "subject": s, "modality": m, "region": "head", "psnr": 50.0 + i}
            for kind in (INVERSE_KIND, "round trip (float32)") for m in modalities for i, s in enumerate("ab")]


def test_rows_without_a_counterpart_get_none():
    lookup = paper_lookup("t1pd_to_t2", {INVERSE_KIND: "inverse"}, key="kind")
    rows = summary_rows("07", "t1pd_to_t2", _inverse_rows(("T1", "PD")), region="head", metrics=("psnr",),
                        by=("kind", "modality"), paper=lookup)
    paper = {r["metric"]: r["paper"] for r in rows}
    assert paper == {"PSNR_head T1 (round trip (8-bit))": 56.0053, "PSNR_head PD (round trip (8-bit))": 58.0174,
                     "PSNR_head T1 (round trip (float32))": None, "PSNR_head PD (round trip (float32))": None}
    # T1 -> T2 has no Table IV column, one-to-many no table at all, and unlisted labels get nothing
    t1 = summary_rows("07", "t1_to_t2", _inverse_rows(("T1",)), region="head", metrics=("psnr",),
                      by=("kind", "modality"), paper=paper_lookup("t1_to_t2", {INVERSE_KIND: "inverse"}, key="kind"))
    assert [r["paper"] for r in t1] == [None, None]
    assert paper_number("t1_to_t2pd", "iVAN", "PSNR", "T2") is None
    assert paper_lookup("t1_to_t2", {"iVAN": "iVAN"})({"method": "U-Net", "modality": "T2"}, "PSNR") is None


def test_a_label_can_point_to_another_task():
    lookup = paper_lookup("t1pd_to_t2", {"iVAN (T1+PD)": "iVAN", "iVAN (T1 only)": ("t1_to_t2", "iVAN")})
    assert lookup({"method": "iVAN (T1+PD)", "modality": "T2"}, "PSNR").value == 43.3214
    assert lookup({"method": "iVAN (T1 only)", "modality": "T2"}, "PSNR").value == 39.4183


def test_result_rows_carry_the_paper_spread_and_show_it():
    row = result_row("04", "t1pd_to_t2", "PSNR_full T2 (iVAN)", 30.0, paper_number("t1pd_to_t2", "iVAN", "PSNR", "T2"),
                     std=1.5, n=4)
    assert (row["paper"], row["paper_std"], row["std"], row["n"]) == (43.3214, 1.8446, 1.5, 4)
    assert "| 04 | t1pd_to_t2 | PSNR_full T2 (iVAN) | 30 ± 1.5 | 43.32 ± 1.84 |" in to_markdown([row])
