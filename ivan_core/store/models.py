"""The protocol the model store keeps models by, and iVAN and the synthesis baselines under it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ivan_core.baselines.synthesis.gans import GAN_SETTINGS, AdversarialBaseline, from_describe, make_baseline
from ivan_core.baselines.synthesis.unet import UNET_SETTINGS, UNetBaseline
from ivan_core.core.inference import synthesise
from ivan_core.core.io import write_json
from ivan_core.core.model import IVAN, ModelConfig
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training import TrainConfig, train
from ivan_core.core.training.cache_key import key_hash, model_key
from ivan_core.core.training.checkpoint import atomic_save, load_model, safe_load
from ivan_core.core.training.losses import ForwardTerm
from ivan_core.core.training.pairs import TaskDataset
from ivan_core.data.familiarity import describe_inputs
from ivan_core.data.scaling import intensity_scaling


class Storable(Protocol):
    """A trainable model the store can fit, keep in a run folder, ship and load back.

    ``kind`` names it on cards, ``filename`` is its finished file in a run folder, ``name`` its method name.
    """

    kind: str
    filename: str
    name: str
    task: Task
    steps: int
    seconds: float
    history: list[dict]
    source: str | None  # the shipped weights it was loaded from, if any

    def key(self, train: Sequence[Subject], val: Sequence[Subject]) -> dict[str, Any]:
        """Everything the trained weights depend on (plain data; its hash names the run folder)."""

    def folder_name(self, key: dict[str, Any]) -> str:
        """The run folder's name for ``key``."""

    def describe(self) -> dict[str, Any]:
        """The architecture, as plain data (a card's ``architecture``)."""

    def fit(self, train: Sequence[Subject], val: Sequence[Subject], out_dir: Path | None, progress: bool) -> None:
        """Train on ``train`` (resuming from ``out_dir`` where the model can)."""

    def save(self, path: Path) -> Path:
        """Write the weights file a card ships."""

    def load(self, path: Path) -> Storable:
        """Read a file of :meth:`save` (or the run folder's ``filename``); returns self."""

    def predict(self, subject: Subject) -> dict[str, np.ndarray]:
        """``{output modality: (S, H, W[, 3])}`` for one subject."""


class IvanModel:
    """iVAN of ``model`` trained by :func:`~ivan_core.core.training.train` with ``config`` on ``patch`` crops and
    ``forward_loss``."""

    kind = "ivan"
    filename = "model.pt"
    name = "iVAN"

    def __init__(self, task: Task | str, model: ModelConfig, config: TrainConfig, patch: int | None = None,
                 forward_loss: ForwardTerm | None = None):
        self.task, self.model, self.config = get_task(task), model, config
        self.patch, self.forward_loss = patch, forward_loss
        self.net: IVAN | None = None
        self.history: list[dict] = []
        self.steps, self.seconds, self.out_dir, self.source = 0, 0.0, None, None

    @classmethod
    def from_architecture(cls, task: Task | str, architecture: dict[str, Any]) -> IvanModel:
        """An untrained model of a card's ``architecture`` (``IVAN.config``), for loading weights."""
        names = {f.name for f in fields(ModelConfig)}
        return cls(task, ModelConfig(**{k: v for k, v in architecture.items() if k in names}), TrainConfig())

    def key(self, train: Sequence[Subject], val: Sequence[Subject]) -> dict[str, Any]:
        return model_key(self.task, self.config, train, val, self.patch, self.forward_loss, self.model)

    def folder_name(self, key: dict[str, Any]) -> str:
        return f"{key['task']['name']}-{key_hash(key)}"

    def describe(self) -> dict[str, Any]:
        if self.net is not None:
            return dict(self.net.config)
        return {"channels": self.task.channels, **asdict(self.model)}

    def fit(self, train_: Sequence[Subject], val: Sequence[Subject], out_dir: Path | None, progress: bool) -> None:
        inputs = describe_inputs(train_, self.task.modalities)
        if out_dir is not None:
            write_json(out_dir / "scaling.json", intensity_scaling(train_, self.task.modalities))
            write_json(out_dir / "inputs.json", inputs)
        grid = 2 ** self.model.levels if self.config.aligned_crops else 1
        train_set = TaskDataset(train_, self.task, augment=True, patch=self.patch, seed=self.config.seed, grid=grid)
        val_set = TaskDataset(val, self.task) if val else None
        result = train(self.task, train_set, val_set, self.config, out_dir=out_dir, progress=progress,
                       forward_loss=self.forward_loss, model=self.model)
        self.net, self.out_dir = result.net, result.out_dir
        self.set_blocks(inputs)
        self._set_history(result.history)

    def set_blocks(self, inputs: dict[str, Any]) -> None:
        """Give the network the output blocks of its training data (``inputs``, :func:`describe_inputs`)."""
        self.net.output_blocks = {m: int(b) for m, b in inputs.get("blocks", {}).items() if m in self.task.outputs}

    def _set_history(self, history: list[dict]) -> None:
        self.history = list(history)
        self.steps = int(sum(row.get("steps", 0) for row in self.history))
        self.seconds = float(sum(row.get("seconds", 0.0) for row in self.history))

    def save(self, path: Path) -> Path:
        return atomic_save({k: v.detach().cpu() for k, v in self.net.state_dict().items()}, path)

    def load(self, path: Path) -> IvanModel:
        path = Path(path)
        data = safe_load(path)
        if "config" in data or "model_config" in data:  # a run folder's model.pt (or a checkpoint)
            self.net = load_model(path)[0]
            self.out_dir = path.parent
            inputs = path.parent / "inputs.json"
            self.set_blocks(json.loads(inputs.read_text()) if inputs.is_file() else {})
            history = path.parent / "history.json"
            self._set_history(json.loads(history.read_text()) if history.is_file() else [])
        else:  # a shipped weights-only file
            self.net = IVAN(**self.describe())
            self.net.load_state_dict(data)
            self.net.eval()
        return self

    def predict(self, subject: Subject) -> dict[str, np.ndarray]:
        return synthesise(self.net, self.task, subject)


class BaselineModel:
    """A synthesis baseline (U-Net, pix2pix, CycleGAN, Hi-Net) trained with ``config`` on ``patch`` crops.

    Its key holds only the settings the baseline reads, so iVAN-only settings share one trained baseline.
    """

    def __init__(self, model: UNetBaseline | AdversarialBaseline, config: TrainConfig | None = None,
                 patch: int | None = None):
        self.model, self.config, self.patch = model, config or TrainConfig(), patch
        self.task = model.task
        unet = isinstance(model, UNetBaseline)
        self.kind, self.filename = ("unet", "unet.pt") if unet else ("gan", "gan.pt")
        self.name = "U-Net" if unet else model.name
        self.settings = UNET_SETTINGS if unet else GAN_SETTINGS
        self.source: str | None = None

    @classmethod
    def named(cls, name: str, task: Task | str, config: TrainConfig, patch: int | None = None) -> BaselineModel:
        """``"U-Net"`` or one of :data:`~ivan_core.baselines.synthesis.gans.ADVERSARIAL`, untrained."""
        model = UNetBaseline(task, seed=config.seed) if name == "U-Net" else make_baseline(name, task, seed=config.seed)
        return cls(model, config, patch)

    steps = property(lambda self: self.model.steps)
    seconds = property(lambda self: self.model.seconds)
    history = property(lambda self: getattr(self.model, "history", []))

    def key(self, train: Sequence[Subject], val: Sequence[Subject]) -> dict[str, Any]:
        key = model_key(self.task, self.config, train, [], self.patch)
        return {**key, "config": {k: key["config"][k] for k in self.settings}, "model": self.describe()}

    def folder_name(self, key: dict[str, Any]) -> str:
        prefix = "unet" if self.kind == "unet" else self.name
        return f"{prefix}-{key['task']['name']}-{key_hash(key)}"

    def describe(self) -> dict[str, Any]:
        return self.model.describe()

    def fit(self, train_: Sequence[Subject], val: Sequence[Subject], out_dir: Path | None, progress: bool) -> None:
        self.model.fit(train_, self.config, self.patch, progress=progress)

    def save(self, path: Path) -> Path:
        return self.model.save(path)

    def load(self, path: Path) -> BaselineModel:
        self.model.load(path)
        return self

    def predict(self, subject: Subject) -> dict[str, np.ndarray]:
        return self.model.predict(subject)


def model_for(kind: str, task: Task | str, architecture: dict[str, Any]) -> IvanModel | BaselineModel:
    """The untrained model of a card's or run folder's ``kind`` and ``architecture`` (ValueError if unknown)."""
    if kind == "ivan":
        return IvanModel.from_architecture(task, architecture)
    if kind == "unet":
        norm = architecture["norm"]
        return BaselineModel(UNetBaseline(task, architecture["features"], tuple(norm) if isinstance(norm, list) else norm))
    if kind == "gan":
        return BaselineModel(from_describe(task, architecture))
    raise ValueError(f"unknown model kind {kind!r}; the store keeps 'ivan', 'unet' and 'gan'")
