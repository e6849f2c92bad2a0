"""Trivial synthesis baselines that iVAN has to beat.

* :func:`copy_input` - "the output is the input": the first input modality, copied.
* :class:`LinearBaseline` - per-pixel linear regression from the input modalities'
  channels (plus a constant) to each output channel, fitted by least squares on the
  head pixels of the training subjects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ivan_core.data import Subject, is_colour
from ivan_core.tasks import Task, modality_channels


def _as_modality(image: np.ndarray, source: str, target: str) -> np.ndarray:
    """Convert ``(S, H, W)`` grey / ``(S, H, W, 3)`` colour to the target's layout."""
    if is_colour(source) == is_colour(target):
        return image
    if is_colour(target):
        return np.repeat(image[..., None], 3, axis=-1)
    return image.mean(axis=-1)


def copy_input(task: Task, subject: Subject) -> dict[str, np.ndarray]:
    """Predict every output of ``task`` as a copy of the first input modality."""
    source = task.inputs[0]
    return {m: _as_modality(subject[source], source, m).astype(np.float32) for m in task.outputs}


def _features(task: Task, subject: Subject) -> np.ndarray:
    """``(N, F)`` design matrix: input channels per pixel, plus a constant column."""
    cols = [subject[m].reshape(-1, modality_channels(m)) for m in task.inputs]
    flat = np.concatenate(cols, axis=1).astype(np.float64)
    return np.concatenate([flat, np.ones((len(flat), 1))], axis=1)


class LinearBaseline:
    """Per-pixel linear regression from the task's inputs to its outputs.

    Examples
    --------
    >>> model = LinearBaseline(task).fit(train_subjects)  # doctest: +SKIP
    >>> model.predict(test_subject)["T2"].shape           # doctest: +SKIP
    (12, 128, 128)
    """

    def __init__(self, task: Task):
        self.task = task
        self.coef: dict[str, np.ndarray] = {}

    def fit(self, subjects: Sequence[Subject]) -> LinearBaseline:
        """Least squares on the head pixels of ``subjects``."""
        feats = np.concatenate([_features(self.task, s)[s.mask.reshape(-1)] for s in subjects])
        for m in self.task.outputs:
            target = np.concatenate([s[m].reshape(-1, modality_channels(m))[s.mask.reshape(-1)] for s in subjects])
            self.coef[m], *_ = np.linalg.lstsq(feats, target.astype(np.float64), rcond=None)
        return self

    def predict(self, subject: Subject) -> dict[str, np.ndarray]:
        """Outputs of ``task`` for every slice of ``subject`` (unclipped; :func:`ivan_core.evaluate.score` clips)."""
        if not self.coef:
            raise RuntimeError("call fit() before predict()")
        feats = _features(self.task, subject)
        shape = subject.mask.shape
        out = {}
        for m, coef in self.coef.items():
            pred = (feats @ coef).astype(np.float32)
            out[m] = pred.reshape(shape + ((3,) if is_colour(m) else ()))
        return out
