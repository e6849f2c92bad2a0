"""Whole-subject forward, inverse and scoring."""

import numpy as np
import pytest

from ivan_core import IVAN, get_task
from ivan_core.evaluate import inverse_rows, quantise, recover, score, summarise, synthesise
from ivan_core.model import perturb_


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


def test_inverse_rows_separate_round_trip_from_inverse_synthesis(subjects, net):
    task = get_task("t1pd_to_t2")
    rows = [r for r in inverse_rows(net, task, subjects[0]) if r["region"] == "full"]
    psnr = {(r["kind"], r["modality"]): r["psnr"] for r in rows}
    assert set(k for k, _ in psnr) == {"round trip (float32)", "round trip (8-bit)", "round trip (16-bit)",
                                       "inverse synthesis"}
    assert psnr[("round trip (float32)", "T1")] > 100
    assert psnr[("round trip (8-bit)", "T1")] < psnr[("round trip (16-bit)", "T1")]
    assert psnr[("inverse synthesis", "T1")] < 60  # an untrained net cannot invert the real T2


def test_score_and_summarise(subjects):
    s = subjects[0]
    rows = score(s, {"T2": s["T2"]}, ["T2"]) + score(s, {"T2": 1 - s["T2"]}, ["T2"])
    assert [r["region"] for r in rows] == ["head", "full", "head", "full"]
    assert rows[0]["psnr"] == float("inf") and rows[0]["ssim"] == pytest.approx(1.0)
    table = summarise([{**r, "method": m} for r, m in zip(rows, ["a", "a", "b", "b"])])
    assert {(t["method"], t["region"]) for t in table} == {("a", "head"), ("a", "full"), ("b", "head"), ("b", "full")}
    assert all(t["n"] == 1 for t in table)
