"""TaskDataset: packing subjects into (X, Y) pairs."""

import numpy as np
import pytest
import torch

from ivan_core.core.tasks import TASKS
from ivan_core.core.training.pairs import TaskDataset, channels_first, channels_last

ATLAS_ONLY = ("t2ct_fusion", "t2_to_spect", "t2spect_fusion")  # tasks of modalities the test subjects lack


@pytest.mark.parametrize("name", sorted(t for t in TASKS if t not in ATLAS_ONLY))
def test_pairs_have_task_shape(subjects, name):
    ds = TaskDataset(subjects, name)
    x, y = ds[0]
    assert len(ds) == 4 * 3
    assert x.shape == y.shape == (TASKS[name].channels, 16, 16) and x.dtype == torch.float32


def test_pair_matches_subject(subjects):
    ds = TaskDataset(subjects, "t1pd_to_t2")
    x, y = ds[4]  # subject 1, slice 1
    assert np.array_equal(x[0].numpy(), subjects[1]["T1"][1])
    assert np.array_equal(x[1].numpy(), subjects[1]["PD"][1])
    assert np.array_equal(y[1].numpy(), subjects[1]["T2"][1])


def test_augmentation_transforms_x_and_y_together(subjects):
    ds = TaskDataset(subjects, "t1_to_t2", augment=True, seed=3)
    for item in range(len(ds)):
        x, y = ds[item]
        assert torch.allclose(x[0] + y[0], torch.ones_like(x[0]), atol=1e-6)  # T2 = 1 - T1 survives


def test_crops_are_reproducible_per_epoch(subjects):
    ds = TaskDataset(subjects, "t1_to_pet", patch=8, seed=0)
    x1, _ = ds[2]
    assert x1.shape == (3, 8, 8)
    assert torch.equal(ds[2][0], x1)
    ds.set_epoch(1)
    assert not torch.equal(ds[2][0], x1)


def test_missing_modality_names_subject(subjects):
    with pytest.raises(KeyError, match="s0.*FUSED"):
        TaskDataset(subjects, "t2ct_fusion")


def test_patch_larger_than_image(subjects):
    with pytest.raises(ValueError, match="patch 32"):
        TaskDataset(subjects, "t1_to_t2", patch=32)


def test_channel_helpers_round_trip():
    rgb = np.random.default_rng(0).random((5, 6, 3))
    assert channels_first(rgb, "PET_rgb").shape == (3, 5, 6)
    assert np.array_equal(channels_last(channels_first(rgb, "PET_rgb"), "PET_rgb"), rgb)
    grey = rgb[..., 0]
    assert np.array_equal(channels_last(channels_first(grey, "T1"), "T1"), grey)


def test_crops_on_a_grid_start_at_its_multiples(subjects):
    """A crop's top-left pixel is found by its values: each subject slice holds distinct T1 values."""
    ramp = [s.take(slice(0, 1)) for s in subjects[:1]]
    ramp[0].images["T1"] = np.arange(16 * 16, dtype=np.float32).reshape(1, 16, 16) / 256
    starts = {1: set(), 2: set()}
    for grid in starts:
        ds = TaskDataset(ramp, "t1_to_pet", patch=6, seed=0, grid=grid)
        for epoch in range(40):
            ds.set_epoch(epoch)
            corner = int(round(float(ds[0][0][0, 0, 0]) * 256))
            starts[grid].add(divmod(corner, 16))
    assert all(top % 2 == 0 and left % 2 == 0 for top, left in starts[2]) and len(starts[2]) > 5
    assert any(top % 2 or left % 2 for top, left in starts[1])
    with pytest.raises(ValueError, match="grid"):
        TaskDataset(ramp, "t1_to_pet", patch=6, grid=0)
