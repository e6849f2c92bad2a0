"""Images enlarged by pixel repetition: their block size is found, and predictions of them are put on those blocks."""

import json

import numpy as np
import pytest

from conftest import make_subject
from ivan_core import IVAN, get_task
from ivan_core.core.grid import block_size, on_blocks, project_to_blocks
from ivan_core.core.inference import synthesise
from ivan_core.core.subject import Subject
from ivan_core.data.familiarity import describe_inputs
from ivan_core.metrics import nyquist_power
from ivan_core.store import IvanModel, load_card, ship
from ivan_core.tutorial.experiment import Splits, baseline_predictors, fit


def enlarged(volume: np.ndarray, b: int = 2) -> np.ndarray:
    return np.repeat(np.repeat(volume, b, axis=1), b, axis=2)


def with_enlarged_pet(subject: Subject) -> Subject:
    """``subject`` with a PET_rgb enlarged by pixel repetition from its own top-left pixels (the atlas case)."""
    pet = enlarged(subject["PET_rgb"][:, ::2, ::2])
    return Subject(subject.name, {**subject.images, "PET_rgb": pet}, subject.mask)


def test_block_size_finds_pixel_repetition():
    rng = np.random.default_rng(0)
    small = rng.random((2, 8, 8)).astype(np.float32)
    assert block_size([small]) == 1
    assert block_size([enlarged(small)]) == 2
    assert block_size([enlarged(small, 4)]) == 4
    assert block_size([enlarged(small), small.repeat(2, axis=1)[:, :, :8]]) == 1  # one volume rules it out
    assert block_size([enlarged(rng.random((1, 8, 8, 3)))]) == 2  # colour
    assert block_size([enlarged(small)[:, :15, :15]]) == 1  # the size must divide
    assert block_size([]) == 1


def test_on_blocks_leaves_a_volume_of_another_size_alone():
    volume = np.random.default_rng(2).random((1, 15, 16)).astype(np.float32)
    assert on_blocks(volume, 2) is volume
    assert block_size([on_blocks(volume[:, :14], 2)]) == 2


def test_projecting_onto_blocks_removes_two_pixel_power_and_never_moves_away_from_a_block_truth():
    rng = np.random.default_rng(1)
    truth = enlarged(rng.random((2, 16, 16)).astype(np.float32))
    checker = 0.1 * (np.indices(truth.shape[1:]).sum(axis=0) % 2)
    guess = truth + checker + 0.05 * rng.standard_normal(truth.shape).astype(np.float32)
    projected = project_to_blocks(guess, 2)
    assert projected.shape == guess.shape and projected.dtype == guess.dtype
    assert block_size([projected]) >= 2
    assert nyquist_power(projected) < 1e-9 * nyquist_power(guess)
    assert np.abs(projected - truth).sum() < np.abs(guess - truth).sum()
    assert np.allclose(project_to_blocks(projected, 2), projected)  # a projection
    assert project_to_blocks(guess, 1) is guess
    assert project_to_blocks(rng.random((1, 4, 4, 3)), 2).shape == (1, 4, 4, 3)
    with pytest.raises(ValueError, match="divisible by 2"):
        project_to_blocks(guess[:, :15], 2)


def test_synthesise_puts_the_outputs_on_the_networks_blocks():
    task = get_task("t1_to_pet")
    subject = make_subject(size=16)
    net = IVAN(task.channels, n_blocks=2, hidden=8)
    free = synthesise(net, task, subject)["PET_rgb"]
    assert block_size([free]) == 1
    net.output_blocks = {"PET_rgb": 2}
    on_blocks = synthesise(net, task, subject)["PET_rgb"]
    assert block_size([on_blocks]) == 2
    assert np.allclose(on_blocks, project_to_blocks(free, 2), atol=1e-6)
    assert block_size([synthesise(net, task, subject, raw=True)[:, 0]]) == 1  # raw: as the network gives it
    odd = Subject("odd", {"T1": subject["T1"][:, :15, :15]}, subject.mask[:, :15, :15])
    assert synthesise(net, task, odd)["PET_rgb"].shape == (3, 15, 15, 3)  # left as it is where 2 does not divide


def test_the_training_data_gives_the_blocks_from_training_to_a_run_folder_and_a_card(tmp_path):
    subjects = [with_enlarged_pet(make_subject(f"s{i}", size=32, seed=i)) for i in range(2)]
    assert describe_inputs(subjects, ("T1", "PET_rgb"))["blocks"] == {"PET_rgb": 2}
    result = fit("t1_to_pet", Splits(subjects, [], []), "smoke", tmp_path / "runs", progress=False)
    assert result.net.output_blocks == {"PET_rgb": 2}
    again = fit("t1_to_pet", Splits(subjects, [], []), "smoke", tmp_path / "runs", progress=False)  # from its folder
    assert again.net.output_blocks == {"PET_rgb": 2} and again.out_dir == result.out_dir
    model = IvanModel.from_architecture("t1_to_pet", result.net.config).load(result.out_dir / "model.pt")
    key = json.loads((result.out_dir / "key.json").read_text())
    card = ship(model, key, tmp_path / "weights", "smoke", "enlarged", "test",
                extra={"training_inputs": json.loads((result.out_dir / "inputs.json").read_text())})
    (path,) = (tmp_path / "weights").glob("*.pt")
    loaded = load_card({**card, "path": str(path)})
    assert block_size([loaded.predict(make_subject("new", size=32, seed=7))["PET_rgb"]]) == 2


def test_the_fitted_baselines_are_put_on_the_blocks_too():
    subjects = [with_enlarged_pet(make_subject(f"s{i}", size=32, seed=i)) for i in range(2)]
    methods = baseline_predictors("t1_to_pet", Splits(subjects, [], []))
    new = make_subject("new", size=32, seed=7)
    assert block_size([methods["linear regression"](new)["PET_rgb"]]) == 2
    assert block_size([methods["lookup table"](new)["PET_rgb"]]) == 2
