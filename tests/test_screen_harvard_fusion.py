"""scripts/screen_harvard_fusion.py on a tiny fake atlas folder: one JSON line per screen."""

import json

import numpy as np
import pytest
import torch

from conftest import load_script, write_fake_atlas


@pytest.fixture
def screen():
    return load_script("screen_harvard_fusion")


@pytest.fixture
def atlas(tmp_path):
    return write_fake_atlas(tmp_path / "atlas", cases=range(1, 9))


def test_difference_magnitude_is_the_forward_difference(screen):
    img = torch.zeros(1, 1, 4, 4)
    img[..., 2:] = 1.0  # a vertical step: |dx| = 1 in column 1 only
    assert screen.difference_magnitude(img)[0, 0].tolist() == [[0.0, 1.0, 0.0, 0.0]] * 4


def test_screens_append_their_scores(screen, atlas, tmp_path):
    out = tmp_path / "screens.jsonl"
    common = ["--aanlib", str(atlas), "--profile", "smoke", "--models", str(tmp_path / "models"), "--out", str(out)]
    assert screen.main(["sharper", '{"overshoot": 0.5, "gradient": "differences", "epochs": 1}', *common]) == 0
    assert screen.main(["brighter base", '{"teacher": "lp_max_base", "epochs": 1}', *common]) == 0
    assert screen.main(["sharpest", '{"teacher": "lrd|laplacian_pyramid", "epochs": 1}', *common]) == 0
    first, second, third = (json.loads(line) for line in out.read_text().splitlines())
    assert (first["overshoot"], first["gradient"], first["overrides"]) == (0.5, "differences", {"epochs": 1})
    assert second["teacher"] == "lp_max_base" and second["overshoot"] == 1.0
    assert third["teacher"] == "lrd|laplacian_pyramid"
    assert set(first["test"]) == {"AG", "SF", "EN", "Q_MI", "Q_ABF", "Q_PIELLA"}
    assert set(first["separation_psnr"]) == {"T2", "CT"}


def test_sharpest_label_takes_the_sharper_candidate_per_region(screen):
    flat = np.full((16, 16), 0.5, np.float32)
    edge = flat.copy()
    edge[:, 8:] = 1.0
    out = screen.sharpest_label([flat, edge])
    np.testing.assert_array_equal(out[:, 5:11], edge[:, 5:11])
    np.testing.assert_array_equal(out[:, :2], flat[:, :2])
