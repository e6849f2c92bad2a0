"""Whole-subject forward, inverse and scoring."""

import numpy as np
import pytest
import torch

from ivan_core import IVAN, get_task
from ivan_core.core.inference import quantise, recover, synthesise
from ivan_core.core.model import perturb_
from ivan_core.evaluation import inverse_rows, score, summarise


@pytest.fixture
def net():
    return perturb_(IVAN(2, n_blocks=2, hidden=4), 0.05)


def test_synthesise_and_recover_shapes(subjects, net):
    task = get_task("t1pd_to_t2")
    out = synthesise(net, task, subjects[0], batch_size=2)
    assert set(out) == {"T2"} and out["T2"].shape == (3, 16, 16)
    back = recover(net, task, out)
    assert set(back) == {"T1", "PD"} and back["T1"].shape == (3, 16, 16)


def test_colour_outputs_are_channels_last(subjects):
    task = get_task("t1_to_pet")
    out = synthesise(perturb_(IVAN(3, 1, 4)), task, subjects[0])
    assert out["PET_rgb"].shape == (3, 16, 16, 3)


def test_quantise():
    img = np.linspace(0, 1, 1000, dtype=np.float32)
    assert len(np.unique(quantise(img, 8))) == 256
    assert np.abs(quantise(img, 8) - img).max() <= 0.5 / 255 + 1e-7
    assert quantise(img, None) is img
    wide = np.array([-0.5, 1.5], dtype=np.float32)
    assert quantise(wide, 8).tolist() == [0.0, 1.0]
    assert np.allclose(quantise(wide, 8, clip=False), np.round(wide * 255) / 255)  # kept outside [0, 1]


class _Affine(torch.nn.Module):
    """An exactly invertible map with outputs in [0.25, 0.75] for inputs in [0, 1]."""

    def forward(self, x):
        return 0.5 * x.flip(1) + 0.25

    def inverse(self, y):
        return ((y - 0.25) / 0.5).flip(1)


def test_inverse_rows_separate_round_trip_from_inverse_synthesis(subjects):
    task = get_task("t1pd_to_t2")
    rows = [r for r in inverse_rows(_Affine(), task, subjects[0]) if r["region"] == "full"]
    psnr = {(r["kind"], r["modality"]): r["psnr"] for r in rows}
    assert {k for k, _ in psnr} == {"round trip (float32)", "round trip (8-bit)", "round trip (16-bit)",
                                    "saved synthesis (8-bit)", "inverse synthesis"}
    assert psnr[("round trip (float32)", "T1")] > 100
    # 8-bit rounding of an output that the inverse scales by 2: error <= 1/255, PSNR near 53 dB
    assert 45 < psnr[("round trip (8-bit)", "T1")] < 60 < psnr[("round trip (16-bit)", "T1")]
    # the saved synthesis averages the two output copies, which are T1 and PD here: T1 is lost
    assert psnr[("saved synthesis (8-bit)", "T1")] < 30
    assert psnr[("inverse synthesis", "T1")] < 30  # this map cannot turn the real T2 into T1


def test_score_and_summarise(subjects):
    s = subjects[0]
    rows = score(s, {"T2": s["T2"]}, ["T2"]) + score(s, {"T2": 1 - s["T2"]}, ["T2"])
    assert [r["region"] for r in rows] == ["head", "full", "head", "full"]
    assert rows[0]["psnr"] == float("inf") and rows[0]["ssim"] == pytest.approx(1.0)
    table = summarise([{**r, "method": m} for r, m in zip(rows, ["a", "a", "b", "b"])])
    assert {(t["method"], t["region"]) for t in table} == {("a", "head"), ("a", "full"), ("b", "head"), ("b", "full")}
    assert all(t["n"] == 1 for t in table)


def test_every_estimate_is_clipped_to_the_unit_range_before_scoring(subjects):
    """One scoring rule for every method: out-of-range values count as a saved image would hold them."""
    subject = subjects[0]
    wild = {"T2": subject["T2"] * 1.6 - 0.3}
    clipped = {"T2": np.clip(wild["T2"], 0, 1)}
    assert score(subject, wild) == score(subject, clipped)
