"""Variable augmentation: packing and unpacking of every built-in task."""

import numpy as np
import pytest
import torch

from ivan_core.core.tasks import TASKS, Task, get_task, modality_channels


def images_for(task: Task, batch=(2,), h=5, w=7, seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {m: rng.random(batch + (modality_channels(m), h, w)).astype(np.float32) for m in task.modalities}


@pytest.mark.parametrize("name", sorted(TASKS))
@pytest.mark.parametrize("as_torch", [False, True])
def test_pack_unpack_lossless(name, as_torch):
    task = get_task(name)
    images = images_for(task)
    if as_torch:
        images = {k: torch.from_numpy(v) for k, v in images.items()}
    x, y = task.pack_x(images), task.pack_y(images)
    assert x.shape == y.shape == (2, task.channels, 5, 7)
    for side, packed in ((task.unpack_x(x), task.inputs), (task.unpack_y(y), task.outputs)):
        assert set(side) == set(packed)
        for m, v in side.items():
            assert (v == images[m]).all() if as_torch else np.array_equal(v, images[m])


def test_paper_layouts():
    assert get_task("t1pd_to_t2").x_layout == ("T1", "PD")
    assert get_task("t1pd_to_t2").y_layout == ("T2", "T2")
    six = get_task("t1t2_to_pet")
    assert six.x_layout == ("T1", "T2") * 3 and six.y_layout == ("PET_rgb",) * 2 and six.channels == 6
    assert get_task("t1t2_to_pet_3ch").channels == 3
    assert get_task("t1_to_t2pd").outputs == ("T2", "PD")


def test_unpack_averages_copies():
    task = get_task("t1pd_to_t2")
    y = np.stack([np.zeros((3, 3)), np.ones((3, 3))])[None]
    assert np.allclose(task.unpack_y(y)["T2"], 0.5)
    assert np.allclose(task.repack_y(y), 0.5)


def test_unknown_task_lists_names():
    with pytest.raises(ValueError, match="t1_to_t2"):
        get_task("t1_to_flair")


def test_channel_mismatch_is_rejected():
    with pytest.raises(ValueError, match="repeat modalities"):
        Task("bad", ("T1", "PD"), ("PET_rgb",))
    with pytest.raises(ValueError, match="at least 2 channels"):
        Task("one", ("T1",), ("T2",))


def test_pack_errors_name_the_modality():
    task = get_task("t1_to_pet")
    with pytest.raises(KeyError, match="T1"):
        task.pack_x({"T2": np.zeros((1, 4, 4))})
    with pytest.raises(ValueError, match="PET_rgb"):
        task.pack_y({"PET_rgb": np.zeros((1, 4, 4))})
    with pytest.raises(ValueError, match="channels at axis -3"):
        task.unpack_y(np.zeros((2, 4, 4)))
