"""iVAN against the baselines on one budget (python -m ivan_core compare), on tiny data."""

from conftest import make_subject
from ivan_core.tutorial.comparison import baseline_comparison, comparison_table
from ivan_core.tutorial.experiment import Splits
from ivan_core.tutorial.profiles import get_profile


def test_every_method_is_scored_with_its_budget(tmp_path):
    profile = get_profile("smoke", size=32, patch=32)  # a PatchGAN needs at least 32 x 32
    splits = Splits([make_subject(f"s{i}", size=32, seed=i) for i in range(2)], [], [make_subject("t", size=32, seed=5)])
    rows = baseline_comparison(splits, profile, tmp_path, tasks=["t1_to_t2"], progress=False, adversarial=["pix2pix"])
    methods = {r["method"]: r for r in rows}
    assert set(methods) == {"iVAN", "copy input", "linear regression", "lookup table", "U-Net", "pix2pix",
                            "U-Net (iVAN's wall-clock)"}
    assert methods["U-Net"]["steps"] == methods["iVAN"]["steps"] == methods["pix2pix"]["steps"] == 2  # 2 epochs of one batch
    assert methods["U-Net (iVAN's wall-clock)"]["steps"] >= 1
    table = comparison_table(rows)
    assert "| t1_to_t2 | iVAN |" in table and table.count("\n") == 2 + len(methods)
