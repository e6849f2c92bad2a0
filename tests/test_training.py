"""Training: learning happens, checkpoints are atomic and resumable, NaN stops cleanly."""

import argparse
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from ivan_core import get_task
from ivan_core.core.model import ModelConfig
from ivan_core.core.training import NonFiniteLossError, TrainConfig, train
from ivan_core.core.training.checkpoint import load_model, safe_load, save_model
from ivan_core.plots.training import plot_history


@pytest.fixture(scope="module")
def data():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(16, 2, 12, 12, generator=gen)
    y = (0.3 + 0.5 * x[:, :1]).expand(-1, 2, -1, -1).contiguous()  # a learnable mapping
    return TensorDataset(x, y)


CONFIG = TrainConfig(epochs=4, batch_size=4, lr=3e-3, lr_step=2)
MODEL = ModelConfig(n_blocks=2, hidden=4)
MODEL8 = ModelConfig(n_blocks=2, hidden=8)


def test_loss_decreases_and_history_is_saved(tmp_path, data):
    result = train("t1pd_to_t2", data, data, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < losses[0]
    assert [row["lr"] for row in result.history] == pytest.approx([3e-3, 3e-3, 1.5e-3, 1.5e-3])
    saved = json.loads((tmp_path / "history.json").read_text())
    assert [row["train_loss"] for row in saved] == pytest.approx(losses)
    assert "val_loss" in result.history[-1]


def test_validation_runs_every_n_epochs_and_after_the_last(tmp_path, data):
    config = TrainConfig(**{**CONFIG.__dict__, "val_every": 3})
    result = train("t1pd_to_t2", data, data, config, out_dir=tmp_path, progress=False, model=MODEL)
    assert [row["epoch"] for row in result.history if "val_loss" in row] == [3, 4]
    assert len(plot_history(result.history).axes[0].lines) == 4  # train and val, forward and inverse
    with pytest.raises(ValueError, match="val_every"):
        TrainConfig(val_every=0)


@pytest.mark.parametrize("ema", [0.0, 0.9])
def test_resume_gives_the_same_weights(tmp_path, data, ema):
    config = TrainConfig(**{**CONFIG.__dict__, "ema": ema})
    full = train("t1pd_to_t2", data, None, config, out_dir=tmp_path / "full", progress=False, model=MODEL)
    half = TrainConfig(**{**config.__dict__, "epochs": 2})
    train("t1pd_to_t2", data, None, half, out_dir=tmp_path / "split", progress=False, model=MODEL)
    resumed = train("t1pd_to_t2", data, None, config, out_dir=tmp_path / "split", progress=False, model=MODEL)
    assert len(resumed.history) == 4
    for a, b in zip(full.net.state_dict().values(), resumed.net.state_dict().values()):
        assert torch.equal(a, b)


def test_finished_run_is_not_retrained(tmp_path, data):
    first = train("t1pd_to_t2", data, None, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)
    written = (tmp_path / "checkpoint.pt").stat().st_mtime_ns
    again = train("t1pd_to_t2", data, None, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)
    assert (tmp_path / "checkpoint.pt").stat().st_mtime_ns == written  # no epoch ran, nothing rewritten
    assert again.history == first.history


def test_checkpoint_for_another_task_is_refused(tmp_path, data):
    train("t1pd_to_t2", data, None, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)
    with pytest.raises(ValueError, match="t1pd_to_t2"):
        train("t1_to_t2", data, None, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)


def test_non_finite_loss_keeps_last_checkpoint(tmp_path, data):
    train("t1pd_to_t2", data, None, TrainConfig(**{**CONFIG.__dict__, "epochs": 1}), out_dir=tmp_path,
          progress=False, model=MODEL)
    before = safe_load(tmp_path / "checkpoint.pt")
    x, y = data.tensors
    bad = TensorDataset(x, torch.full_like(y, float("nan")))
    with pytest.raises(NonFiniteLossError, match="epoch 2.*checkpoint of epoch 1"):
        train("t1pd_to_t2", bad, None, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)
    after = safe_load(tmp_path / "checkpoint.pt")
    assert after["epoch"] == before["epoch"] == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_model_file_round_trip(tmp_path, data):
    result = train("t1pd_to_t2", data, None, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)
    net, task, meta = load_model(tmp_path / "model.pt")
    assert task == get_task("t1pd_to_t2") and meta["epochs"] == 4
    x = data.tensors[0][:2]
    with torch.no_grad():
        assert torch.equal(net(x), result.net(x))
    save_model(tmp_path / "copy.pt", net, task)
    assert torch.equal(load_model(tmp_path / "copy.pt")[0](x), net(x))


def test_untrusted_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": argparse.Namespace(payload="arbitrary object")}, path)
    with pytest.raises(ValueError, match="not a readable iVAN checkpoint"):
        load_model(path)


def test_truncated_checkpoint_is_reported(tmp_path, data):
    train("t1pd_to_t2", data, None, TrainConfig(**{**CONFIG.__dict__, "epochs": 1}), out_dir=tmp_path,
          progress=False, model=MODEL)
    raw = (tmp_path / "model.pt").read_bytes()
    (tmp_path / "model.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="model.pt"):
        load_model(tmp_path / "model.pt")


def test_load_model_reads_a_training_checkpoint(tmp_path, data):
    result = train("t1pd_to_t2", data, None, TrainConfig(**{**CONFIG.__dict__, "epochs": 2}), out_dir=tmp_path,
                   progress=False, model=MODEL)
    net, task, meta = load_model(tmp_path / "checkpoint.pt")
    assert task.name == "t1pd_to_t2" and meta["epochs"] == 2 and net.config["hidden"] == 4
    x = data.tensors[0][:2]
    with torch.no_grad():
        assert torch.equal(net(x), result.net(x))


def test_on_epoch_numbers_join_the_validated_rows(tmp_path, data):
    config = TrainConfig(**{**CONFIG.__dict__, "val_every": 2})
    seen = []
    result = train("t1pd_to_t2", data, None, config, progress=False,
                   on_epoch=lambda epoch, net: seen.append(epoch) or {"probe": float(epoch)}, model=MODEL)
    assert seen == [2, 4]
    assert [row.get("probe") for row in result.history] == [None, 2.0, None, 4.0]


def test_resuming_with_other_settings_is_refused_but_more_epochs_are_fine(tmp_path, data):
    train("t1pd_to_t2", data, None, TrainConfig(**{**CONFIG.__dict__, "epochs": 2}), out_dir=tmp_path, progress=False,
          model=MODEL)
    with pytest.raises(ValueError, match="lr: 0.003 -> 0.001"):
        train("t1pd_to_t2", data, None, TrainConfig(**{**CONFIG.__dict__, "lr": 1e-3}), out_dir=tmp_path,
              progress=False, model=MODEL)
    longer = train("t1pd_to_t2", data, None, CONFIG, out_dir=tmp_path, progress=False, model=MODEL)
    assert len(longer.history) == CONFIG.epochs


def test_a_resumed_run_says_so(tmp_path, data, capsys):
    train("t1pd_to_t2", data, None, TrainConfig(**{**CONFIG.__dict__, "epochs": 2}), out_dir=tmp_path, progress=False,
          model=MODEL)
    assert "resuming" not in capsys.readouterr().out
    train("t1pd_to_t2", data, None, CONFIG, out_dir=tmp_path, progress=True, model=MODEL)
    assert f"2 of {CONFIG.epochs} epochs done" in capsys.readouterr().out


def test_integer_and_float_settings_are_one_setting():
    assert TrainConfig(lam=4) == TrainConfig(lam=4.0) and isinstance(TrainConfig(lr=1).lr, float)


def test_the_weight_average_is_what_training_hands_out(tmp_path, data):
    config = TrainConfig(**{**CONFIG.__dict__, "ema": 0.5})
    result = train("t1pd_to_t2", data, data, config, out_dir=tmp_path, progress=False, model=MODEL)
    raw = safe_load(tmp_path / "checkpoint.pt")
    averaged = {k: v for k, v in result.net.state_dict().items()}
    assert all(torch.equal(averaged[k], v) for k, v in raw["average_model"].items())
    assert any(not torch.equal(raw["model"][k], v) for k, v in raw["average_model"].items())
    from_file, _, _ = load_model(tmp_path / "model.pt")
    from_ckpt, _, _ = load_model(tmp_path / "checkpoint.pt")
    x = data.tensors[0][:2]
    with torch.no_grad():
        assert torch.equal(from_file(x), result.net(x)) and torch.equal(from_ckpt(x), result.net(x))
    with pytest.raises(ValueError, match="ema"):
        TrainConfig(ema=1.0)


def _weights(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


@pytest.mark.parametrize("option", ["channels_last", "compile"])
def test_layout_and_compile_options_train_the_same_weights(data, option):
    config = TrainConfig(epochs=1, batch_size=4, lr=1e-3, max_steps_per_epoch=3)
    plain = _weights(train("t1pd_to_t2", data, config=config, progress=False, model=MODEL8).net)
    other = _weights(train("t1pd_to_t2", data, config=replace(config, **{option: True}), progress=False, model=MODEL8).net)
    for name, value in plain.items():
        torch.testing.assert_close(other[name], value, rtol=1e-4, atol=1e-5, msg=name)


def test_bf16_training_keeps_the_float32_round_trip_exact(data):
    config = TrainConfig(epochs=1, batch_size=4, lr=1e-3, max_steps_per_epoch=3, amp=True)
    net = train("t1pd_to_t2", data, config=config, progress=False, model=MODEL8).net.float().eval()
    x = data.tensors[0][:4]
    with torch.no_grad():
        err = float(torch.mean((net.inverse(net(x)) - x) ** 2))
    assert 10 * np.log10(1.0 / max(err, 1e-30)) > 100.0


def test_gradient_clipping_bounds_every_step(data, monkeypatch):
    real = torch.nn.utils.clip_grad_norm_
    seen = []

    def recording(parameters, max_norm, **kwargs):
        parameters = list(parameters)
        before = real(parameters, max_norm, **kwargs)
        after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in parameters if p.grad is not None]))
        seen.append((float(before), float(after)))
        return before

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording)
    config = TrainConfig(epochs=1, batch_size=4, lr=1e-3, max_steps_per_epoch=3, max_grad_norm=1e-3)
    train("t1pd_to_t2", data, config=config, progress=False, model=MODEL8)
    assert len(seen) == 3 and all(before > 1e-3 for before, _ in seen)
    assert all(after <= 1e-3 * (1 + 1e-4) for _, after in seen)
    with pytest.raises(ValueError, match="max_grad_norm"):
        TrainConfig(max_grad_norm=0)


def test_a_setting_added_later_keeps_old_keys_until_it_is_used():
    from ivan_core.core.training.cache_key import model_key

    task = get_task("t1_to_t2")
    plain = model_key(task, CONFIG, [], [], 48)["config"]
    clipped = model_key(task, replace(CONFIG, max_grad_norm=1.0), [], [], 48)["config"]
    assert "max_grad_norm" not in plain and clipped == {**plain, "max_grad_norm": 1.0}
