"""Training iVAN: Adam with a step schedule, atomic per-epoch checkpoints, deterministic resume.

``out_dir`` holds ``checkpoint.pt``, ``history.json`` and the final ``model.pt``. Batches, crops and augmentation
depend only on ``(seed, epoch)``, so a resumed run ends with an uninterrupted run's weights (same device).
Under :mod:`torch.distributed` each process takes a shard of every global batch; rank 0 alone writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler
from tqdm.auto import tqdm

from ivan_core.core.io import write_json
from ivan_core.core.model import IVAN, ModelConfig
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training.checkpoint import atomic_save, safe_load, save_model, task_to_dict
from ivan_core.core.training.device import pick_device
from ivan_core.core.training.distributed import ShardedBatches, process_group
from ivan_core.core.training.losses import InverseFrom, Norm, bidirectional_loss


class NonFiniteLossError(RuntimeError):
    """Raised when the training loss becomes NaN or infinite."""


_FLOAT_FIELDS = ("lr", "lr_gamma", "lam", "ema")
#: Fields that may change between a checkpoint and its resumption.
_RESUMABLE_CHANGES = ("val_every", "epochs", "reversible", "channels_last", "compile")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the data (floats normalised, ranges checked).

    Parameters
    ----------
    lr, lr_step, lr_gamma : float, int, float
        Adam learning rate, times ``lr_gamma`` every ``lr_step`` epochs (the paper: 1e-4, halved every 50, 300 epochs).
    lam : float
        Weight of the forward term.
    inverse_from : {"target", "forward", "repacked"}
        See :data:`ivan_core.core.training.losses.InverseFrom`.
    amp : bool
        bfloat16 autocast of the training steps; the network stays float32.
    ema : float in [0, 1)
        Decay of a per-step weight average used for validation and the result (0: off).
    reversible, channels_last, compile : bool
        Memory-flat backprop, channels-last layout (on by default: faster on CPU, ``scripts/profile_training_step.py``),
        :func:`torch.compile`; same weights up to rounding.
    max_grad_norm : float > 0, optional
        Clip each step's gradient to this L2 norm.
    val_every : int >= 1
        Validate after every ``val_every``-th epoch and the last.
    aligned_crops : bool
        Start training crops at multiples of the network's ``size_multiple``, so its Haar cells sit on the
        slices' pixel grid in training as in inference.
    """

    epochs: int = 300
    batch_size: int = 4
    lr: float = 1e-4
    lr_step: int = 50
    lr_gamma: float = 0.5
    lam: float = 1.0
    norm: Norm = "l2"
    inverse_from: InverseFrom = "target"
    seed: int = 0
    max_steps_per_epoch: int | None = None
    amp: bool = False
    ema: float = 0.0
    reversible: bool = False
    channels_last: bool = True
    compile: bool = False
    max_grad_norm: float | None = None
    val_every: int = 1
    aligned_crops: bool = False

    def __post_init__(self) -> None:
        for name in _FLOAT_FIELDS:  # lam=4 and lam=4.0 are one setting (and one model key)
            object.__setattr__(self, name, float(getattr(self, name)))
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema is a decay in [0, 1), got {self.ema}")
        if self.val_every < 1:
            raise ValueError(f"val_every must be a positive number of epochs, got {self.val_every}")
        if self.max_grad_norm is not None:
            if not self.max_grad_norm > 0:
                raise ValueError(f"max_grad_norm must be positive (or None for no clipping), got {self.max_grad_norm}")
            object.__setattr__(self, "max_grad_norm", float(self.max_grad_norm))



@dataclass
class TrainResult:
    """What :func:`train` returns; ``pretrained`` and ``source`` are set for shipped weights."""

    net: IVAN
    task: Task
    config: TrainConfig
    history: list[dict[str, float]]
    out_dir: Path | None
    seconds: float
    pretrained: bool = False
    source: str | None = None


def loader(dataset: Dataset, config: TrainConfig, epoch: int) -> DataLoader:
    """Batches of epoch ``epoch`` for this process; order, crops and augmentation depend only on ``(seed, epoch)``."""
    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)
    generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
    batches = BatchSampler(RandomSampler(dataset, generator=generator), config.batch_size,
                           drop_last=len(dataset) > config.batch_size)
    return DataLoader(dataset, batch_sampler=ShardedBatches(batches, *process_group()))


def steps_per_epoch(n_samples: int, config: TrainConfig) -> int:
    """Optimiser steps in one epoch: full batches of the data, capped by ``max_steps_per_epoch``."""
    steps = n_samples // config.batch_size if n_samples > config.batch_size else 1
    return min(steps, config.max_steps_per_epoch) if config.max_steps_per_epoch else steps


def evaluate_loss(net: IVAN, task: Task, dataset: Dataset, config: TrainConfig, device: torch.device,
                  forward_loss: Callable | None = None) -> dict[str, float]:
    """Mean loss terms over ``dataset`` without gradients, ``{"loss", "forward", "inverse"}``."""
    net.eval()
    totals = {"loss": 0.0, "forward": 0.0, "inverse": 0.0}
    n = 0
    with torch.no_grad():
        for x, y in DataLoader(dataset, batch_size=config.batch_size):
            x, y = x.to(device), y.to(device)
            loss, parts = bidirectional_loss(net, x, y, task, config.lam, config.norm,
                                             config.inverse_from, forward_loss)
            totals["loss"] += float(loss) * len(x)
            totals["forward"] += parts["forward"] * len(x)
            totals["inverse"] += parts["inverse"] * len(x)
            n += len(x)
    return {k: v / n for k, v in totals.items()}


def build_model(task: Task, model: ModelConfig, config: TrainConfig) -> IVAN:
    """The untrained :class:`~ivan_core.core.model.IVAN` of ``model`` for ``task`` (``config.reversible`` backprop)."""
    return model.build(task.channels, reversible=config.reversible)


class _Objective(torch.nn.Module):
    """The training loss as one module call, so :class:`DistributedDataParallel` sees both passes."""

    def __init__(self, net: IVAN, task: Task, config: TrainConfig, forward_loss: Callable | None) -> None:
        super().__init__()
        self.net, self.task, self.config, self.forward_loss = net, task, config, forward_loss

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        c = self.config
        return bidirectional_loss(self.net, x, y, self.task, c.lam, c.norm, c.inverse_from, self.forward_loss)


@dataclass
class _State:
    """What a training run carries from epoch to epoch (and through a checkpoint)."""

    net: IVAN
    optimiser: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    history: list[dict[str, float]]
    epoch: int = 0
    average: AveragedModel | None = None

    @property
    def result(self) -> IVAN:
        """The network training hands out: the weight average when there is one."""
        return self.average.module if self.average is not None else self.net


def _start(task: Task, model: ModelConfig, config: TrainConfig, device: torch.device, ckpt_path: Path | None,
           resume: bool) -> _State:
    """A fresh run, or the one saved at ``ckpt_path`` when it exists and ``resume`` is set."""
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)  # noqa: NPY002 (any legacy global-state randomness downstream)
    net = build_model(task, model, config).to(device)
    optimiser = torch.optim.Adam(net.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=config.lr_step, gamma=config.lr_gamma)
    average = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(config.ema), use_buffers=True) if config.ema else None
    state = _State(net, optimiser, schedule, [], average=average)
    if ckpt_path is None or not resume or not ckpt_path.exists():
        return state
    saved = safe_load(ckpt_path, map_location=device)
    if saved["task"] != task_to_dict(task) or saved["model_config"] != net.config:
        raise ValueError(
            f"{ckpt_path} was made for task {saved['task']['name']!r} with model "
            f"{saved['model_config']}, not {task.name!r} with {net.config}; "
            "use another out_dir or pass resume=False to start over"
        )
    before = {k: v for k, v in saved.get("train_config", {}).items() if k not in _RESUMABLE_CHANGES}
    now = {k: v for k, v in asdict(config).items() if k not in _RESUMABLE_CHANGES}
    changed = sorted(k for k in now if k in before and before[k] != now[k])
    if changed:
        diffs = ", ".join(f"{k}: {before[k]!r} -> {now[k]!r}" for k in changed)
        raise ValueError(f"{ckpt_path} was trained with other settings ({diffs}); "
                         "use another out_dir or pass resume=False to start over")
    net.load_state_dict(saved["model"])
    optimiser.load_state_dict(saved["optimiser"])
    schedule.load_state_dict(saved["schedule"])
    if average is not None:
        average.module.load_state_dict(saved["average_model"])
        average.n_averaged.fill_(int(saved["n_averaged"]))
    state.history, state.epoch = list(saved["history"]), int(saved["epoch"])
    return state


def _save_checkpoint(state: _State, task: Task, config: TrainConfig, out: Path) -> None:
    """Write ``checkpoint.pt`` and ``history.json`` into ``out``, each atomically."""
    atomic_save({"model": state.net.state_dict(), "optimiser": state.optimiser.state_dict(),
                 "schedule": state.schedule.state_dict(), "epoch": state.epoch, "history": state.history,
                 "task": task_to_dict(task), "model_config": dict(state.net.config),
                 "train_config": asdict(config),
                 **({} if state.average is None else {"average_model": state.average.module.state_dict(),
                                                     "n_averaged": int(state.average.n_averaged)})},
                out / "checkpoint.pt")
    write_json(out / "history.json", state.history)


def _run_epoch(state: _State, objective: torch.nn.Module, task: Task, train_set: Dataset, config: TrainConfig,
               device: torch.device, steps: int, bar: tqdm, ckpt_path: Path | None) -> dict[str, float]:
    """One epoch of ``steps`` optimiser steps; returns the mean loss terms ``train_*`` (over all processes)."""
    state.net.train()
    layout = torch.channels_last if config.channels_last else torch.contiguous_format
    sums = {"loss": 0.0, "forward": 0.0, "inverse": 0.0}
    for step, (x, y) in enumerate(loader(train_set, config, state.epoch)):
        if step >= steps:
            break
        x, y = x.to(device, memory_format=layout), y.to(device, memory_format=layout)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp):
            loss, parts = objective(x, y)
        if not torch.isfinite(loss):
            bar.close()
            kept = (f"the checkpoint of epoch {state.epoch} in {ckpt_path} is kept"
                    if ckpt_path and ckpt_path.exists() else "no checkpoint was written")
            raise NonFiniteLossError(
                f"loss became {float(loss.detach())} at epoch {state.epoch + 1}, step {step + 1} of task "
                f"{task.name!r}; {kept}. Lower the learning rate (now "
                f"{state.schedule.get_last_lr()[0]:g}) or check the inputs for NaN/inf."
            )
        state.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        if config.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(state.net.parameters(), config.max_grad_norm)
        state.optimiser.step()
        if state.average is not None:
            state.average.update_parameters(state.net)
        sums["loss"] += float(loss.detach())
        sums["forward"] += parts["forward"]
        sums["inverse"] += parts["inverse"]
        bar.update(1)
        bar.set_postfix(epoch=state.epoch + 1, loss=f"{sums['loss'] / (step + 1):.4g}")
    _, world = process_group()
    if world > 1:
        totals = torch.tensor(list(sums.values()), dtype=torch.float64, device=device)
        dist.all_reduce(totals)
        sums = dict(zip(sums, (totals / world).tolist()))
    return {f"train_{k}": v / steps for k, v in sums.items()}


def train(
    task: Task | str,
    train_set: Dataset,
    val_set: Dataset | None = None,
    config: TrainConfig | None = None,
    out_dir: str | Path | None = None,
    resume: bool = True,
    device: str | torch.device | None = None,
    progress: bool = True,
    forward_loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    on_epoch: Callable[[int, IVAN], dict[str, float]] | None = None,
    model: ModelConfig | None = None,
) -> TrainResult:
    """Train an :class:`~ivan_core.core.model.IVAN` on ``(X, Y)`` pairs of ``task``.

    Parameters
    ----------
    train_set, val_set : Dataset
        Yield ``(X, Y)``, each ``(C, H, W)``.
    config : TrainConfig, optional
        How to train; defaults to the paper's settings.
    out_dir : path, optional
        Checkpoints and history; None keeps nothing on disk.
    resume : bool
        Continue from ``out_dir/checkpoint.pt``; one made for another task, model or setting raises ValueError.
    forward_loss : callable, optional
        Replaces the forward term, see :func:`~ivan_core.core.training.losses.bidirectional_loss`.
    on_epoch : callable, optional
        ``on_epoch(epoch, net) -> dict`` after every validated epoch, joined to its history row.
    model : ModelConfig, optional
        The network to train; defaults to the paper's.

    Raises
    ------
    NonFiniteLossError
        When a loss is NaN or infinite; the last epoch's checkpoint is kept.
    """
    task = get_task(task)
    config, model = config or TrainConfig(), model or ModelConfig()
    device = pick_device(device)
    out = Path(out_dir) if out_dir is not None else None
    ckpt_path = out / "checkpoint.pt" if out is not None else None
    state = _start(task, model, config, device, ckpt_path, resume)
    rank, world = process_group()
    lead = rank == 0
    if state.epoch and progress and lead:
        tqdm.write(f"resuming {ckpt_path}: {state.epoch} of {config.epochs} epochs done")
    if config.channels_last:
        state.net.to(memory_format=torch.channels_last)
    objective: torch.nn.Module = _Objective(state.net, task, config, forward_loss)
    if world > 1:
        objective = DistributedDataParallel(objective, device_ids=[device.index] if device.type == "cuda" else None)
    if config.compile:
        objective = torch.compile(objective)

    steps = steps_per_epoch(len(train_set), config)
    bar = tqdm(total=(config.epochs - state.epoch) * steps, desc=f"train {task.name}",
               disable=not progress or not lead or state.epoch >= config.epochs, unit="step")
    started = time.perf_counter()
    while state.epoch < config.epochs:
        t0 = time.perf_counter()
        row = {"epoch": state.epoch + 1, "lr": state.schedule.get_last_lr()[0],
               **_run_epoch(state, objective, task, train_set, config, device, steps, bar, ckpt_path)}
        row["seconds"], row["steps"] = time.perf_counter() - t0, steps
        if lead and ((state.epoch + 1) % config.val_every == 0 or state.epoch + 1 == config.epochs):
            if val_set is not None:
                row.update({f"val_{k}": v for k, v in
                            evaluate_loss(state.result, task, val_set, config, device, forward_loss).items()})
            if on_epoch is not None:
                row.update(on_epoch(state.epoch + 1, state.result))
                state.net.train()
        state.schedule.step()
        state.epoch += 1
        state.history.append(row)
        if out is not None and lead:
            _save_checkpoint(state, task, config, out)
        if world > 1:
            dist.barrier()  # every process waits for the checkpoint of this epoch
    bar.close()
    state.result.eval().to(memory_format=torch.contiguous_format)  # handed out in the usual layout
    if out is not None and lead:
        save_model(out / "model.pt", state.result, task, {"train_config": asdict(config), "epochs": len(state.history)})
    if world > 1:
        dist.barrier()
    return TrainResult(state.result, task, config, state.history, out, time.perf_counter() - started)
