"""Per-pixel synthesis baselines: input copy, linear regression and a lookup table of ``E[Y | X]``.

The convolutional baseline is :class:`ivan_core.baselines.synthesis.unet.UNetBaseline`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ivan_core.core.subject import Subject, is_colour
from ivan_core.core.tasks import Task, modality_channels


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
    """Per-pixel linear regression (with a constant) from the task's input channels to each output channel."""

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
        """Outputs of ``task`` for every slice of ``subject``, unclipped; call :meth:`fit` first (else RuntimeError)."""
        if not self.coef:
            raise RuntimeError("call fit() before predict()")
        feats = _features(self.task, subject)
        shape = subject.mask.shape
        out = {}
        for m, coef in self.coef.items():
            pred = (feats @ coef).astype(np.float32)
            out[m] = pred.reshape(shape + ((3,) if is_colour(m) else ()))
        return out


class LookupBaseline:
    """Per-pixel lookup table of ``E[Y | X]``: the mean target in every joint bin of input intensities.

    Each input channel is cut into ``bins`` equal bins of [0, 1], so the table has ``bins ** channels`` entries (at
    most ``2**24``, else ValueError); bins unseen in training fall back to the global mean.

    Parameters
    ----------
    task : Task
    bins : int
        Bins per input channel (>= 2).
    head_only : bool
        Fit on the head pixels only, or on every pixel.
    """

    def __init__(self, task: Task, bins: int = 64, head_only: bool = False):
        if bins < 2:
            raise ValueError(f"bins must be at least 2, got {bins}")
        self.task, self.bins, self.head_only = task, bins, head_only
        self.tables: dict[str, np.ndarray] = {}

    def _index(self, subject: Subject) -> np.ndarray:
        """Joint bin index ``(N,)`` of every pixel of ``subject``."""
        cols = np.concatenate([subject[m].reshape(-1, modality_channels(m)) for m in self.task.inputs], axis=1)
        binned = np.clip((cols * self.bins).astype(np.int64), 0, self.bins - 1)
        return np.ravel_multi_index(tuple(binned.T), (self.bins,) * binned.shape[1])

    def fit(self, subjects: Sequence[Subject]) -> LookupBaseline:
        """Average every output channel within each input bin over ``subjects``."""
        channels = sum(modality_channels(m) for m in self.task.inputs)
        size = self.bins**channels
        if size > 2**24:
            raise ValueError(f"a table of {self.bins}^{channels} bins is too large; pass fewer bins")
        keep = [s.mask.reshape(-1) if self.head_only else slice(None) for s in subjects]
        index = np.concatenate([self._index(s)[k] for s, k in zip(subjects, keep)])
        counts = np.bincount(index, minlength=size)
        for m in self.task.outputs:
            target = np.concatenate([s[m].reshape(-1, modality_channels(m))[k] for s, k in zip(subjects, keep)])
            sums = np.stack([np.bincount(index, target[:, c], minlength=size) for c in range(target.shape[1])], 1)
            mean = target.mean(axis=0)
            self.tables[m] = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], mean)
        return self

    def predict(self, subject: Subject) -> dict[str, np.ndarray]:
        """Outputs of ``task`` for every slice of ``subject``; call :meth:`fit` first (else RuntimeError)."""
        if not self.tables:
            raise RuntimeError("call fit() before predict()")
        index = self._index(subject)
        shape = subject.mask.shape
        return {m: table[index].astype(np.float32).reshape(shape + ((3,) if is_colour(m) else ()))
                for m, table in self.tables.items()}
