"""The steps every synthesis notebook repeats: data for a profile, training, scoring.

>>> splits = phantom_splits("smoke")                       # doctest: +SKIP
>>> result = fit("t1_to_t2", splits, "smoke", "runs/x")   # doctest: +SKIP
>>> rows = compare("t1_to_t2", splits, {"iVAN": ivan_predictor(result)})  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ivan_core.baselines import LinearBaseline, copy_input
from ivan_core.data import Subject, make_phantom, split_subjects
from ivan_core.datasets import TaskDataset
from ivan_core.evaluate import score, synthesise
from ivan_core.losses import ForwardTerm
from ivan_core.profiles import Profile, get_profile
from ivan_core.tasks import Task, get_task
from ivan_core.training import TrainConfig, TrainResult, train

Predictor = Callable[[Subject], Mapping[str, np.ndarray]]
#: TrainConfig fields that do not change the trained weights, so not part of a model's key.
_NOT_IN_WEIGHTS = ("val_every",)


@dataclass
class Splits:
    """Subjects for training, validation and testing (split by subject, never by slice)."""

    train: list[Subject]
    val: list[Subject]
    test: list[Subject]


def phantom_splits(profile: str | Profile, seed: int = 0, progress: bool = True) -> Splits:
    """The phantom at the profile's size, split by subject into ``profile.split`` counts."""
    p = get_profile(profile)
    subjects = make_phantom(p.n_subjects, seed=seed, size=p.size, n_slices=p.n_slices, progress=progress)
    return Splits(*split_subjects(subjects, p.split, seed=seed))


def model_key(task: Task, config: TrainConfig, splits: Splits, patch: int | None,
              forward_loss: ForwardTerm | None = None) -> dict[str, Any]:
    """Everything a trained network's weights depend on, as plain data.

    The task's layouts, every :class:`~ivan_core.training.TrainConfig` field that changes
    the weights, the training crop size, the forward term with its parameters, and the
    training and validation subjects by name and pixel fingerprint
    (:meth:`ivan_core.data.Subject.fingerprint` of the task's modalities, so a fusion
    label from another teacher is other data). Two calls with equal keys train the same network.
    """
    if forward_loss is not None and not isinstance(forward_loss, ForwardTerm):
        raise TypeError("forward_loss must be an ivan_core.losses.ForwardTerm, whose key names the loss and its "
                        f"parameters (so the model is cached under them); got {type(forward_loss).__name__}")
    settings = {k: v for k, v in asdict(config).items() if k not in _NOT_IN_WEIGHTS}
    return {"task": {"name": task.name, "x": list(task.x_layout), "y": list(task.y_layout)},
            "config": settings, "patch": patch, "augment": True,
            "forward_loss": None if forward_loss is None else dict(forward_loss.key),
            "train": [[s.name, s.fingerprint(task.modalities)] for s in splits.train],
            "val": [[s.name, s.fingerprint(task.modalities)] for s in splits.val]}


def key_hash(key: dict[str, Any]) -> str:
    """Short stable hash of a :func:`model_key` (the folder suffix and the card's ``key_sha``)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def model_dir(models_root: str | Path, key: dict[str, Any]) -> Path:
    """Folder of one trained model: ``<models_root>/<task>-<hash of its model_key>``.

    Notebooks that train the same task on the same data with the same settings share it, so
    a model trained in one notebook is reused (not retrained) by the next; any change to the
    data, the configuration or the loss gives another folder.
    """
    return Path(models_root) / f"{key['task']['name']}-{key_hash(key)}"


def fit(task: Task | str, splits: Splits, profile: str | Profile, models_root: str | Path | None,
        progress: bool = True, forward_loss: ForwardTerm | None = None, **overrides: Any) -> TrainResult:
    """Train iVAN on ``splits.train`` with the profile's settings, or load it if already trained.

    ``overrides`` change any :class:`~ivan_core.training.TrainConfig` field. The run lives in
    :func:`model_dir` of its :func:`model_key` under ``models_root`` and resumes from its
    last checkpoint; None keeps nothing on disk. ``forward_loss`` replaces the forward term
    (see :func:`ivan_core.losses.bidirectional_loss`).
    """
    p = get_profile(profile)
    task = get_task(task)
    config = TrainConfig.from_profile(p, **overrides)
    train_set = TaskDataset(splits.train, task, augment=True, patch=p.patch, seed=config.seed)
    val_set = TaskDataset(splits.val, task) if splits.val else None
    out = None
    if models_root is not None:
        out = model_dir(models_root, model_key(task, config, splits, p.patch, forward_loss))
    return train(task, train_set, val_set, config, out_dir=out, progress=progress, forward_loss=forward_loss)


def ivan_predictor(result: TrainResult) -> Predictor:
    """Predictor from a trained network: the forward pass, one image per output."""
    return lambda subject: synthesise(result.net, result.task, subject)


def baseline_predictors(task: Task | str, splits: Splits) -> dict[str, Predictor]:
    """``{"copy input": ..., "linear regression": ...}`` for ``task``, fitted on the training subjects."""
    task = get_task(task)
    linear = LinearBaseline(task).fit(splits.train)
    return {"copy input": lambda s: copy_input(task, s), "linear regression": linear.predict}


def compare(task: Task | str, subjects: list[Subject], predictors: Mapping[str, Predictor]) -> list[dict]:
    """Score every predictor on every subject: rows of :func:`ivan_core.evaluate.score` plus ``method``."""
    task = get_task(task)
    rows = []
    for method, predict in predictors.items():
        for subject in subjects:
            rows += [{"method": method, **row} for row in score(subject, predict(subject), task.outputs)]
    return rows


def variant_rows(label: str, task: Task | str, splits: Splits, profile: str | Profile,
                 models_root: str | Path | None, progress: bool = True, **overrides: Any) -> list[dict]:
    """Train (or load) one ablation variant and score it on ``splits.test``; rows carry ``method=label``."""
    result = fit(task, splits, profile, models_root, progress, **overrides)
    return [{**r, "method": label} for r in compare(task, splits.test, {"iVAN": ivan_predictor(result)})]
