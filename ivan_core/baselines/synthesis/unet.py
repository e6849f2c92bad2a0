"""A plain, non-invertible convolutional baseline: MONAI's ``BasicUNet`` trained like iVAN.

Same subjects, crops, augmentation, batches, steps and lr schedule as iVAN, so tables compare networks, not budgets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task, get_task, modality_channels
from ivan_core.core.training import TrainConfig, loader, steps_per_epoch
from ivan_core.core.training.checkpoint import atomic_save, safe_load
from ivan_core.core.training.device import pick_device
from ivan_core.core.training.losses import distance
from ivan_core.core.training.pairs import TaskDataset, channels_first, channels_last

#: Normalisation layers of the U-Net (see :func:`monai.networks.layers.factories.Norm`).
NORM: str | tuple = "batch"
#: BasicUNet feature widths (a small "plain U-Net").
FEATURES = (8, 8, 16, 32, 64, 8)


#: The :class:`~ivan_core.core.training.TrainConfig` fields :meth:`UNetBaseline.fit` reads (all its cache key holds).
UNET_SETTINGS = ("epochs", "batch_size", "lr", "lr_step", "lr_gamma", "seed", "max_steps_per_epoch", "norm")


def predict_slices(generate: Callable[[torch.Tensor], torch.Tensor], task: Task, subject: Subject,
                   device: torch.device, batch_size: int = 8) -> dict[str, np.ndarray]:
    """Run ``generate`` (packed inputs ``(B, C_x, H, W)`` to stacked distinct outputs) over every slice of ``subject``.

    Returns ``{modality: (S, H, W)}``, ``(S, H, W, 3)`` for a colour output.
    """
    packed = task.pack_x({m: np.stack([channels_first(s, m) for s in subject[m]]).astype(np.float32)
                          for m in task.inputs})
    with torch.no_grad():
        out = np.concatenate([generate(torch.from_numpy(packed[k:k + batch_size]).to(device)).cpu().numpy()
                              for k in range(0, len(packed), batch_size)])
    result, start = {}, 0
    for m in task.outputs:
        stop = start + modality_channels(m)
        result[m] = channels_last(out[:, start:stop], m)
        start = stop
    return result


class UNetBaseline:
    """Train a U-Net from the task's packed inputs to its outputs; predict whole subjects.

    Parameters
    ----------
    task : Task or str
    features : tuple of int
        Widths of :class:`monai.networks.nets.BasicUNet`; sides must be multiples of 16.
    norm : str or tuple
        Its normalisation; batch norm, as a crop's instance statistics differ from a whole slice's.
    seed : int
        Seed of the starting weights (the training seed is ``TrainConfig.seed``).

    Attributes
    ----------
    steps, seconds : int, float
        Optimiser steps taken and their wall-clock seconds (after :meth:`fit`).
    """

    def __init__(self, task: Task | str, features: Sequence[int] = FEATURES, norm: str | tuple = NORM, seed: int = 0):
        from monai.networks.nets import BasicUNet

        self.task = get_task(task)
        self.out_channels = sum(modality_channels(m) for m in self.task.outputs)
        self.features, self.norm = tuple(features), norm
        with torch.random.fork_rng():  # the starting weights depend on ``seed`` alone
            torch.manual_seed(seed)
            self.net = BasicUNet(spatial_dims=2, in_channels=self.task.channels, out_channels=self.out_channels,
                                 features=self.features, norm=norm)
        self.steps, self.seconds = 0, 0.0

    def describe(self) -> dict:
        """The architecture as plain data (part of the cache key)."""
        return {"name": "monai.BasicUNet", "features": list(self.features), "norm": json.loads(json.dumps(self.norm))}

    def save(self, path: str | Path) -> Path:
        """Write the weights, ``steps`` and ``seconds`` atomically (weights-only file)."""
        return atomic_save({"model": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
                            "steps": self.steps, "seconds": self.seconds, "describe": self.describe()}, path)

    def load(self, path: str | Path) -> UNetBaseline:
        """Read a file of :meth:`save` (``torch.load(..., weights_only=True)``) into this U-Net."""
        data = safe_load(path)
        if data["describe"] != self.describe():
            raise ValueError(f"{path} holds a U-Net {data['describe']}, not {self.describe()}")
        self.net.load_state_dict(data["model"])
        self.net.eval()
        self.steps, self.seconds = int(data["steps"]), float(data["seconds"])
        return self

    def _target(self, y: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` packed targets to ``(B, out_channels, H, W)``, one copy of each output."""
        return torch.cat(list(self.task.unpack_y(y).values()), dim=1)

    def fit(self, subjects: Sequence[Subject], config: TrainConfig, patch: int | None,
            device: str | torch.device | None = None, progress: bool = True) -> UNetBaseline:
        """Train with ``config``'s :data:`UNET_SETTINGS` on random ``patch`` crops (None: whole slices)."""
        device = pick_device(device)
        torch.manual_seed(config.seed)
        dataset = TaskDataset(subjects, self.task, augment=True, patch=patch, seed=config.seed)
        net = self.net.to(device).train()
        optimiser = torch.optim.Adam(net.parameters(), lr=config.lr)
        schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=config.lr_step, gamma=config.lr_gamma)
        steps = steps_per_epoch(len(dataset), config)
        started = time.perf_counter()
        with tqdm(total=config.epochs * steps, desc=f"U-Net {self.task.name}", disable=not progress) as bar:
            for epoch in range(config.epochs):
                for step, (x, y) in enumerate(loader(dataset, config, epoch)):
                    if step >= steps:
                        break
                    x, y = x.to(device), y.to(device)
                    loss = distance(net(x), self._target(y), config.norm)
                    optimiser.zero_grad(set_to_none=True)
                    loss.backward()
                    optimiser.step()
                    self.steps += 1
                    bar.update(1)
                schedule.step()
        self.seconds = time.perf_counter() - started
        net.eval()
        return self

    def predict(self, subject: Subject, batch_size: int = 8) -> dict[str, np.ndarray]:
        """Every output of the task for every slice of ``subject`` (unclipped)."""
        return predict_slices(self.net, self.task, subject, next(self.net.parameters()).device, batch_size)
