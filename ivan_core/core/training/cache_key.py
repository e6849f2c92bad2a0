"""The key of a trained network: everything its weights depend on, as plain data.
It names a cached model's folder and is stored on every shipped network's card (:mod:`ivan_core.store`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ivan_core.core.model import ModelConfig
from ivan_core.core.model.network import MODEL_DEFAULTS
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task
from ivan_core.core.training.loop import TrainConfig
from ivan_core.core.training.losses import ForwardTerm

#: TrainConfig fields that do not change the trained weights, so not part of a model's key.
_NOT_IN_WEIGHTS = ("val_every", "reversible", "channels_last", "compile")

#: Fields added after networks were shipped: at this value a field stays out of the key.
_ADDED_LATER = {"max_grad_norm": None, "aligned_crops": False, **MODEL_DEFAULTS}


def model_key(task: Task, config: TrainConfig, train: Sequence[Subject], val: Sequence[Subject], patch: int | None,
              forward_loss: ForwardTerm | None = None, model: ModelConfig | None = None) -> dict[str, Any]:
    """Everything a trained network's weights depend on; equal keys train the same network.

    Holds the task's layouts, the weight-changing :class:`~ivan_core.core.training.TrainConfig` fields and the
    ``model``'s fields in one flat ``config``, the crop size, the forward term's key, and the subjects by name and
    :meth:`~ivan_core.core.subject.Subject.fingerprint`.
    A ``forward_loss`` that is not a :class:`ForwardTerm` raises TypeError.
    """
    if forward_loss is not None and not isinstance(forward_loss, ForwardTerm):
        raise TypeError("forward_loss must be an ivan_core.core.training.losses.ForwardTerm, whose key names the loss and its "
                        f"parameters (so the model is cached under them); got {type(forward_loss).__name__}")
    settings = {k: v for k, v in {**asdict(config), **(asdict(model) if model is not None else {})}.items()
                if k not in _NOT_IN_WEIGHTS and not (k in _ADDED_LATER and v == _ADDED_LATER[k])}
    return {"task": {"name": task.name, "x": list(task.x_layout), "y": list(task.y_layout)},
            "config": settings, "patch": patch, "augment": True,
            "forward_loss": None if forward_loss is None else dict(forward_loss.key),
            "train": [[s.name, s.fingerprint(task.modalities)] for s in train],
            "val": [[s.name, s.fingerprint(task.modalities)] for s in val]}


def key_hash(key: dict[str, Any]) -> str:
    """Short stable hash of a :func:`model_key` (the folder suffix and the card's ``key_sha``)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


