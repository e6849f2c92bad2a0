"""The synthesis baselines: copy, linear, lookup table and U-Net."""

import numpy as np
import pytest
import torch

from ivan_core.baselines.synthesis.lookup import LinearBaseline, LookupBaseline, copy_input
from ivan_core.baselines.synthesis.unet import UNetBaseline
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training import TrainConfig


def test_linear_baseline_recovers_a_linear_relation(subjects):
    task = get_task("t1pd_to_t2")
    pred = LinearBaseline(task).fit(subjects[:3]).predict(subjects[3])
    assert np.allclose(pred["T2"], subjects[3]["T2"], atol=1e-5)  # T2 = 1 - T1 exactly


def test_linear_baseline_colour_and_many_outputs(subjects):
    pet = LinearBaseline(get_task("t1_to_pet")).fit(subjects[:3]).predict(subjects[3])
    assert pet["PET_rgb"].shape == subjects[3]["PET_rgb"].shape
    assert np.allclose(pet["PET_rgb"], subjects[3]["PET_rgb"], atol=1e-5)
    many = LinearBaseline(get_task("t1_to_t2pd")).fit(subjects[:3]).predict(subjects[3])
    assert set(many) == {"T2", "PD"}


def test_linear_baseline_cannot_fit_a_nonlinear_relation(subjects):
    task = Task("t1_to_ct", ("T1", "T1"), ("CT", "CT"))  # CT = T1 ** 2 in the fixture
    pred = LinearBaseline(task).fit(subjects[:3]).predict(subjects[3])
    assert np.abs(pred["CT"] - subjects[3]["CT"]).max() > 0.02


def test_predict_before_fit():
    with pytest.raises(RuntimeError, match="fit"):
        LinearBaseline(get_task("t1_to_t2")).predict(None)


def test_copy_input(subjects):
    s = subjects[0]
    assert np.array_equal(copy_input(get_task("t1_to_t2"), s)["T2"], s["T1"])
    assert copy_input(get_task("t1_to_pet"), s)["PET_rgb"].shape == s["PET_rgb"].shape


def test_lookup_table_learns_any_per_pixel_function(subjects):
    """E[Y | X] by bins: T2 = 1 - T1 and PD = 0.5 + 0.4 T1 are recovered to within a bin."""
    task = get_task("t1_to_t2pd")
    model = LookupBaseline(task, bins=64).fit(subjects[:3])
    pred = model.predict(subjects[3])
    assert pred["T2"].shape == subjects[3]["T2"].shape
    assert np.abs(pred["T2"] - subjects[3]["T2"]).max() < 1.5 / 64
    assert np.abs(pred["PD"] - subjects[3]["PD"]).max() < 1.5 * 0.4 / 64


def test_lookup_table_with_two_inputs_and_unseen_bins(subjects):
    task = get_task("t1pd_to_t2")
    model = LookupBaseline(task, bins=8).fit(subjects[:1])
    assert model.tables["T2"].shape == (64, 1)
    out = model.predict(subjects[1])["T2"]
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match="bins"):
        LookupBaseline(task, bins=1)


def test_unet_trains_with_ivan_s_budget_and_predicts_whole_subjects(subjects):
    task = get_task("t1_to_pet")
    config = TrainConfig(epochs=2, batch_size=2, lr=1e-3, lr_step=1, max_steps_per_epoch=3)
    unet = UNetBaseline(task, features=(4, 4, 4, 4, 4, 4)).fit(subjects[:2], config, patch=16, progress=False)
    assert unet.steps == 6 and unet.seconds > 0
    pred = unet.predict(subjects[2])
    assert pred["PET_rgb"].shape == subjects[2]["PET_rgb"].shape


def test_unet_weights_round_trip_and_refuse_another_architecture(subjects, tmp_path):
    task = get_task("t1_to_t2")
    config = TrainConfig(epochs=1, batch_size=2, lr=1e-3, lr_step=1, max_steps_per_epoch=1)
    unet = UNetBaseline(task, features=(4, 4, 4, 4, 4, 4)).fit(subjects[:1], config, patch=16, progress=False)
    unet.save(tmp_path / "unet.pt")
    again = UNetBaseline(task, features=(4, 4, 4, 4, 4, 4)).load(tmp_path / "unet.pt")
    assert again.steps == 1 and np.array_equal(again.predict(subjects[1])["T2"], unet.predict(subjects[1])["T2"])
    with pytest.raises(ValueError, match="BasicUNet"):
        UNetBaseline(task).load(tmp_path / "unet.pt")


def test_unet_starting_weights_depend_on_the_seed_alone():
    torch.manual_seed(123)
    a = UNetBaseline("t1_to_t2", seed=0)
    torch.rand(10)
    b = UNetBaseline("t1_to_t2", seed=0)
    c = UNetBaseline("t1_to_t2", seed=1)
    pa, pb, pc = (next(u.net.parameters()) for u in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)
