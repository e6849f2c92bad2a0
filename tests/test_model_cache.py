"""The trained-model cache follows everything the weights depend on, and nothing else."""

from dataclasses import replace

import numpy as np
import pytest

from conftest import make_subject
from ivan_core import get_task
from ivan_core.core.subject import Subject
from ivan_core.core.training.cache_key import model_key
from ivan_core.core.training.fusion_losses import teacher_forward_loss, unsupervised_forward_loss
from ivan_core.store import IvanModel, run_folder
from ivan_core.tutorial.experiment import Splits
from ivan_core.tutorial.profiles import get_profile

TASK = get_task("t1pd_to_t2")
CONFIG, MODEL = get_profile("smoke").train, get_profile("smoke").model


def folder(splits, task=TASK, config=CONFIG, patch=32, forward_loss=None, model=MODEL):
    key = model_key(task, config, splits.train, splits.val, patch, forward_loss, model)
    return run_folder("root", IvanModel(task, model, config), key)


@pytest.fixture
def splits():
    return Splits([make_subject("a", seed=0), make_subject("b", seed=1)], [make_subject("v", seed=2)],
                  [make_subject("t", seed=3)])


def test_an_unchanged_call_reuses_the_folder(splits):
    again = Splits([make_subject("a", seed=0), make_subject("b", seed=1)], [make_subject("v", seed=2)], [])
    assert folder(splits) == folder(again)
    assert folder(splits).name.startswith("t1pd_to_t2-")


def test_test_subjects_and_validation_frequency_do_not_count(splits):
    assert folder(splits) == folder(replace(splits, test=[]))
    assert folder(splits) == folder(splits, config=replace(CONFIG, val_every=7))


@pytest.mark.parametrize("change", [
    lambda s: replace(s, train=s.train[:1]),                                  # fewer training subjects
    lambda s: replace(s, train=[make_subject("a", seed=5), s.train[1]]),     # same name, other pixels
    lambda s: replace(s, train=[make_subject("z", seed=0), s.train[1]]),     # same pixels, other name
    lambda s: replace(s, val=[make_subject("v", seed=9)]),                   # other validation subject
])
def test_other_data_gives_another_folder(splits, change):
    assert folder(splits) != folder(change(splits))


def test_only_the_task_modalities_count(splits):
    s = splits.train[0]
    extra = Subject(s.name, {**s.images, "CT": np.zeros_like(s["CT"])}, s.mask)
    assert folder(splits) == folder(replace(splits, train=[extra, splits.train[1]]))


@pytest.mark.parametrize("field, value", [("epochs", 9), ("lr", 0.5), ("lam", 3.0), ("norm", "l1"), ("seed", 1),
                                          ("inverse_from", "repacked"), ("aligned_crops", True)])
def test_any_training_setting_gives_another_folder(splits, field, value):
    assert folder(splits) != folder(splits, config=replace(CONFIG, **{field: value}))


@pytest.mark.parametrize("field, value", [("n_blocks", 3), ("hidden", 4), ("levels", 1), ("clamp", 1.0)])
def test_any_model_setting_gives_another_folder(splits, field, value):
    assert folder(splits) != folder(splits, model=replace(MODEL, **{field: value}))


def test_settings_added_later_stay_out_of_the_key_at_their_defaults(splits):
    key = model_key(TASK, CONFIG, splits.train, splits.val, 32, None, MODEL)
    assert "aligned_crops" not in key["config"] and "max_grad_norm" not in key["config"]
    assert model_key(TASK, replace(CONFIG, aligned_crops=True), splits.train, splits.val, 32)["config"]["aligned_crops"]


def test_task_and_crop_give_another_folder(splits):
    assert folder(splits) != folder(splits, task=get_task("t1_to_t2"))
    assert folder(splits) != folder(splits, patch=16)


def test_forward_loss_and_its_parameters_count(splits):
    fusion = get_task("t2ct_fusion")
    labelled = Splits(*([Subject(s.name, {**s.images, "FUSED": s["T2"]}, s.mask) for s in part]
                        for part in (splits.train, splits.val, splits.test)))
    teacher = folder(labelled, fusion, forward_loss=teacher_forward_loss(fusion, 1.0))
    assert teacher == folder(labelled, fusion, forward_loss=teacher_forward_loss(fusion, 1.0))
    assert teacher != folder(labelled, fusion, forward_loss=teacher_forward_loss(fusion, 0.5))
    assert teacher != folder(labelled, fusion, forward_loss=teacher_forward_loss(fusion, 1.0, overshoot=0.5))
    # overshoot 1 was the only edge term before the parameter existed: its key (and shipped weights) stay
    assert teacher_forward_loss(fusion, 1.0, overshoot=1.0).key == {"name": "teacher_fusion_loss", "w_edge": 1.0,
                                                                     "norm": "l2"}
    assert teacher != folder(labelled, fusion, forward_loss=unsupervised_forward_loss(fusion))
    assert teacher != folder(labelled, fusion)
    assert (folder(labelled, fusion, forward_loss=unsupervised_forward_loss(fusion))
            != folder(labelled, fusion, forward_loss=unsupervised_forward_loss(fusion, w_gradient=5.0)))


def test_another_fusion_label_is_other_data(splits):
    fusion = get_task("t2ct_fusion")
    def labelled(fn):
        return Splits(*([Subject(s.name, {**s.images, "FUSED": fn(s)}, s.mask) for s in part]
                        for part in (splits.train, splits.val, splits.test)))
    assert folder(labelled(lambda s: s["T2"]), fusion) != folder(labelled(lambda s: s["CT"]), fusion)


def test_a_bare_callable_forward_loss_is_refused(splits):
    with pytest.raises(TypeError, match="ForwardTerm"):
        folder(splits, forward_loss=lambda y_hat, y, x: (y_hat - y).pow(2).mean())
