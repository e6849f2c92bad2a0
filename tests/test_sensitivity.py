"""inverse_layer_gains: how much each layer's inverse amplifies a rounding-sized error."""

import math

import pytest
import torch

from ivan_core.core.model import IVAN, perturb_
from ivan_core.evaluation.sensitivity import ROUNDING_RMS_8BIT, inverse_layer_gains


def test_a_new_network_amplifies_nothing():
    torch.manual_seed(0)
    rows = inverse_layer_gains(IVAN(2, n_blocks=2, hidden=4, levels=1), torch.rand(2, 2, 16, 16))
    assert [r["layer"] for r in rows] == ["inverse Haar transform", "coupling 2", "1x1 convolution 2", "coupling 1",
                                          "1x1 convolution 1", "Haar transform", "whole inverse pass"]
    assert all(r["gain"] == pytest.approx(1.0, abs=1e-4) for r in rows)  # rotations and identity couplings
    assert all(r["bound"] == pytest.approx(1.0, abs=1e-4) for r in rows)


def test_gains_are_measured_and_the_linear_bounds_hold():
    torch.manual_seed(1)
    net = perturb_(IVAN(4, n_blocks=3, hidden=4), scale=0.5)
    with torch.no_grad():
        net.blocks[0].mix.log_s.add_(-1.0)  # W's diagonal shrinks, so W^-1 stretches
    rows = inverse_layer_gains(net, torch.rand(1, 4, 12, 12), seed=3)
    convs = [r for r in rows if r["layer"].startswith("1x1")]
    assert all(r["gain"] <= r["bound"] * (1 + 1e-4) and r["condition"] >= 1 for r in convs)
    assert max(r["gain"] for r in convs) > 1.2
    couplings = [r for r in rows if r["layer"].startswith("coupling")]
    assert all(1.0 <= r["bound"] <= math.exp(net.config["clamp"]) + 1e-4 for r in couplings)
    assert rows[-1]["layer"] == "whole inverse pass" and rows[-1]["gain"] > 1


def test_rounding_rms():
    steps = torch.rand(200_000, dtype=torch.float64)
    error = torch.round(steps * 255) / 255 - steps
    assert float(error.pow(2).mean().sqrt()) == pytest.approx(ROUNDING_RMS_8BIT, rel=0.01)
