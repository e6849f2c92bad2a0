"""LP-CNN fusion: the fusion contract, the shipped weight-map network and its card."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy import ndimage

from ivan_core.baselines.fusion.lpcnn import (
    HELD_OUT_IMAGE,
    LPCNN_WEIGHTS,
    TRAIN_IMAGES,
    SiameseFocusNet,
    _fuse_level,
    held_out_pairs,
    load_lpcnn,
    lp_cnn,
    patch_accuracy,
    weight_map,
)
from ivan_core.baselines.fusion.rules import average
from ivan_core.store import sha256


@pytest.fixture(scope="module")
def net() -> SiameseFocusNet:
    return load_lpcnn()


def _texture(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A sharp synthetic texture in [0, 1] (not one of the training images)."""
    x = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), 0.8)
    return (x - x.min()) / np.ptp(x)


def _blur(img: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    return ndimage.gaussian_filter(img, sigma, mode="reflect")


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    a = _texture((64, 72), 0)
    return a, _blur(_texture((64, 72), 1), 1.0)


def test_output_shape_and_range(pair, net):
    a, b = pair
    fused = lp_cnn(a, b, model=net)
    assert fused.shape == a.shape and fused.dtype == np.float64
    assert fused.min() >= 0.0 and fused.max() <= 1.0
    assert not np.allclose(fused, a) and not np.allclose(fused, b)


def test_default_uses_the_shipped_network(pair, net):
    a, b = pair
    np.testing.assert_allclose(lp_cnn(a, b), lp_cnn(a, b, model=net))


@pytest.mark.parametrize("bad", [
    (np.zeros(32), np.zeros(32)),                              # not 2-D
    (np.zeros((32, 32)), np.zeros((32, 33))),                  # shapes differ
    (np.full((32, 32), 1.5), np.zeros((32, 32))),              # out of range
    (np.full((32, 32), np.nan), np.zeros((32, 32))),           # not finite
    (np.zeros((8, 32)), np.zeros((8, 32))),                    # smaller than a 16 x 16 window
])
def test_bad_input_raises(bad, net):
    with pytest.raises(ValueError):
        lp_cnn(*bad, model=net)


def test_bad_levels_raise(pair, net):
    with pytest.raises(ValueError, match="levels"):
        lp_cnn(*pair, levels=0, model=net)


def test_missing_weights_name_the_file_and_the_rebuild_command(tmp_path):
    missing = tmp_path / "lp_cnn.pt"
    with pytest.raises(FileNotFoundError, match=r"lp_cnn\.pt.*scripts/train_lpcnn\.py"):
        load_lpcnn(missing)


def test_fusing_an_image_with_itself_returns_it(pair, net):
    a, _ = pair
    np.testing.assert_allclose(lp_cnn(a, a, model=net), a, atol=1e-9)


def test_held_out_patch_accuracy_is_well_above_chance(net):
    assert HELD_OUT_IMAGE not in TRAIN_IMAGES
    assert patch_accuracy(net, *held_out_pairs(400, seed=7)) > 0.9
    # the mildest blur (one 7x7 Gaussian of sigma 2) is the hardest case
    assert patch_accuracy(net, *held_out_pairs(400, seed=8, blur_levels=1)) > 0.8


def test_weight_map_prefers_the_sharp_source(net):
    sharp = _texture((96, 96), 2)
    blurred = _blur(sharp)
    assert weight_map(sharp, blurred, net).mean() > 0.8
    assert weight_map(blurred, sharp, net).mean() < 0.2
    # sharp on the left in a, on the right in b (a multi-focus pair): W follows it
    a = np.where(np.arange(96) < 48, sharp, blurred)
    b = np.where(np.arange(96) < 48, blurred, sharp)
    w = weight_map(a, b, net)
    assert w.shape == a.shape and 0.0 <= w.min() and w.max() <= 1.0
    assert w[:, :32].mean() > 0.8 and w[:, 64:].mean() < 0.2


def test_fusing_a_sharp_image_with_its_blurred_copy_keeps_the_detail(net):
    sharp = _texture((96, 96), 3)
    blurred = _blur(sharp)
    err = np.abs(lp_cnn(sharp, blurred, model=net) - sharp).mean()
    assert err < 0.25 * np.abs(average(sharp, blurred) - sharp).mean()


def test_fusion_rule_blends_similar_and_selects_dissimilar_levels():
    la = np.random.default_rng(0).standard_normal((12, 12))
    w = np.full_like(la, 0.3)
    # similarity 2 * 0.5 / 1.25 = 0.8 >= 0.6: weighted average with the weight map
    np.testing.assert_allclose(_fuse_level(la, 0.5 * la, w, 0.6), 0.3 * la + 0.7 * 0.5 * la)
    # similarity 2 * 0.1 / 1.01 < 0.6: the larger local energy wins, whatever the weight
    np.testing.assert_allclose(_fuse_level(la, 0.1 * la, w, 0.6), la)
    np.testing.assert_allclose(_fuse_level(0.1 * la, la, w, 0.6), la)
    # threshold above 1 always selects, at or below -1 always blends
    np.testing.assert_allclose(_fuse_level(la, 0.5 * la, w, 1.01), la)
    np.testing.assert_allclose(_fuse_level(la, -la, w, -1.0), 0.3 * la - 0.7 * la)


def test_score_map_matches_the_patch_classifier():
    torch.manual_seed(0)
    small = SiameseFocusNet((4, 8, 8), 6).eval()
    a, b = torch.rand(5, 1, 16, 16), torch.rand(5, 1, 16, 16)
    with torch.no_grad():
        expected = torch.softmax(small(a, b).flatten(1), 1)[:, 1]
    torch.testing.assert_close(small.score_map(a, b).flatten(), expected)
    # whole image: one score per 16 x 16 window at stride 2
    assert small.score_map(torch.rand(1, 1, 40, 37), torch.rand(1, 1, 40, 37)).shape == (1, 1, 13, 12)


def test_card_matches_the_shipped_weights():
    card = json.loads(LPCNN_WEIGHTS.with_suffix(".json").read_text())
    assert card["sha256"] == sha256(LPCNN_WEIGHTS)
    assert f"skimage.data.{HELD_OUT_IMAGE}" not in card["training_data"]["images"]
    assert card["held_out_accuracy"]["accuracy"] > 0.9
    state = torch.load(LPCNN_WEIGHTS, map_location="cpu", weights_only=True)
    assert set(state) == set(SiameseFocusNet().state_dict())
    assert sum(v.numel() for v in state.values()) == card["architecture"]["parameters"]
