"""A torch Dataset of (X, Y) pairs for any task, from phantom or real subjects."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ivan_core.core.subject import Subject, is_colour
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training.augment import augment_slice


def channels_first(image: np.ndarray, modality: str) -> np.ndarray:
    """One slice as ``(c, H, W)``: grey ``(H, W)`` -> ``(1, H, W)``, colour ``(H, W, 3)`` -> ``(3, H, W)``."""
    return np.moveaxis(image, -1, 0) if is_colour(modality) else image[None]


def channels_last(image: np.ndarray, modality: str) -> np.ndarray:
    """Inverse of :func:`channels_first` (leading batch axes allowed)."""
    return np.moveaxis(image, -3, -1) if is_colour(modality) else image[..., 0, :, :]


class TaskDataset(Dataset):
    """Every slice of every subject as a packed pair ``(X, Y)``, each ``(C, H, W)`` float32.

    Parameters
    ----------
    subjects : sequence of Subject
        Each must hold every modality of ``task`` (KeyError otherwise).
    augment : bool
        Random rotation and flip, the same for X and Y.
    patch : int, optional
        Random ``patch x patch`` crop; larger than a slice raises ValueError.
    seed : int
        Seed of augmentation and crops; :meth:`set_epoch` varies them by epoch.
    grid : int >= 1
        Crops start at multiples of ``grid`` (a network's ``size_multiple`` keeps its Haar cells on the slice's
        pixel grid, as inference sees it).
    """

    def __init__(self, subjects: Sequence[Subject], task: Task | str, augment: bool = False,
                 patch: int | None = None, seed: int = 0, grid: int = 1):
        if grid < 1:
            raise ValueError(f"grid must be a positive number of pixels, got {grid}")
        self.task = get_task(task)
        self.subjects = list(subjects)
        if not self.subjects:
            raise ValueError("no subjects given")
        for subject in self.subjects:
            missing = [m for m in self.task.modalities if m not in subject.images]
            if missing:
                raise KeyError(
                    f"subject {subject.name!r} lacks {missing} needed by task {self.task.name!r} "
                    f"(it has {subject.modalities})"
                )
            if patch is not None and min(subject.mask.shape[1:]) < patch:
                raise ValueError(f"patch {patch} is larger than subject {subject.name!r} slices "
                                 f"{subject.mask.shape[1:]}")
        self.index = [(i, s) for i, subject in enumerate(self.subjects) for s in range(subject.n_slices)]
        self.augment, self.patch, self.seed, self.epoch, self.grid = augment, patch, seed, 0, grid

    def set_epoch(self, epoch: int) -> None:
        """Vary augmentation and crops with the epoch, reproducibly."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.index)

    def images(self, item: int) -> dict[str, np.ndarray]:
        """Modalities of pair ``item`` as ``(c, H, W)`` arrays, before packing."""
        i, s = self.index[item]
        subject = self.subjects[i]
        return {m: channels_first(subject.images[m][s], m).astype(np.float32) for m in self.task.modalities}

    def __getitem__(self, item: int) -> tuple[torch.Tensor, torch.Tensor]:
        images = self.images(item)
        if self.augment or self.patch:
            rng = np.random.default_rng((self.seed, self.epoch, item))
            names = list(images)
            arrays = [images[m] for m in names]
            if self.augment:
                arrays = augment_slice(arrays, rng)
            if self.patch:
                h, w = arrays[0].shape[-2:]
                top, left = (self.grid * rng.integers(0, (n - self.patch) // self.grid + 1) for n in (h, w))
                arrays = [a[:, top : top + self.patch, left : left + self.patch] for a in arrays]
            images = dict(zip(names, arrays))
        x = self.task.pack_x(images)
        y = self.task.pack_y(images)
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))
