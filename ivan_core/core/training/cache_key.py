"""The key of a trained network: everything its weights depend on, as plain data.

It names the folder a trained model is cached in (:func:`ivan_core.tutorial.experiment.model_dir`)
and is stored on the card of every shipped network (:mod:`ivan_core.store`), so a
cached or shipped network is reused only for exactly the data and settings it was trained on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task
from ivan_core.core.training.loop import TrainConfig
from ivan_core.core.training.losses import ForwardTerm

#: TrainConfig fields that do not change the trained weights, so not part of a model's key.
_NOT_IN_WEIGHTS = ("val_every", "reversible", "channels_last", "compile")

#: TrainConfig fields added after networks were shipped, with the value that reproduces those
#: networks: a field at that value stays out of the key, so the keys (and shipped weights) stay valid.
_ADDED_LATER = {"max_grad_norm": None}


def model_key(task: Task, config: TrainConfig, train: Sequence[Subject], val: Sequence[Subject], patch: int | None,
              forward_loss: ForwardTerm | None = None) -> dict[str, Any]:
    """Everything a trained network's weights depend on, as plain data.

    The task's layouts, every :class:`~ivan_core.core.training.TrainConfig` field that changes
    the weights (one added later only when set away from its old behaviour), the training crop
    size, the forward term with its parameters, and the training and validation subjects by
    name and fingerprint (:meth:`ivan_core.data.Subject.fingerprint` of the task's modalities: the pixels
    of real data; a simulated phantom subject's draw and image statistics, so the same phantom simulated
    under other library versions keeps its key; a fusion label from another teacher is other data).
    Two calls with equal keys train the same network.
    """
    if forward_loss is not None and not isinstance(forward_loss, ForwardTerm):
        raise TypeError("forward_loss must be an ivan_core.core.training.losses.ForwardTerm, whose key names the loss and its "
                        f"parameters (so the model is cached under them); got {type(forward_loss).__name__}")
    settings = {k: v for k, v in asdict(config).items()
                if k not in _NOT_IN_WEIGHTS and not (k in _ADDED_LATER and v == _ADDED_LATER[k])}
    return {"task": {"name": task.name, "x": list(task.x_layout), "y": list(task.y_layout)},
            "config": settings, "patch": patch, "augment": True,
            "forward_loss": None if forward_loss is None else dict(forward_loss.key),
            "train": [[s.name, s.fingerprint(task.modalities)] for s in train],
            "val": [[s.name, s.fingerprint(task.modalities)] for s in val]}


def key_hash(key: dict[str, Any]) -> str:
    """Short stable hash of a :func:`model_key` (the folder suffix and the card's ``key_sha``)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


