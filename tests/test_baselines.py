"""The trivial synthesis baselines."""

import numpy as np
import pytest

from ivan_core.baselines import LinearBaseline, copy_input
from ivan_core.tasks import Task, get_task


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
