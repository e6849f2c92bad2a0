"""Variable augmentation: modalities stacked as channels of X and Y, repeated until both sides match.

>>> get_task("t1pd_to_t2").y_layout
('T2', 'T2')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from ivan_core.core.subject import is_colour

if TYPE_CHECKING:  # torch loads only where tensors are packed, so the task list is light to read (``ivan --help``)
    import torch

Array = TypeVar("Array", np.ndarray, "torch.Tensor")


def modality_channels(modality: str) -> int:
    """Channels one modality takes: 3 for colour (``*_rgb``), else 1."""
    return 3 if is_colour(modality) else 1


@dataclass(frozen=True)
class Task:
    """A synthesis or fusion task as two channel layouts (grey modalities take 1 channel, ``*_rgb`` 3).
    ``x_layout`` and ``y_layout`` list the modalities stacked as channels of ``X`` and ``Y``, repeats allowed;
    both sides must have the same channel count, at least 2 (ValueError otherwise)."""

    name: str
    x_layout: tuple[str, ...]
    y_layout: tuple[str, ...]
    description: str = ""

    def __post_init__(self) -> None:
        cx, cy = _layout_channels(self.x_layout), _layout_channels(self.y_layout)
        if cx != cy:
            raise ValueError(
                f"task {self.name!r}: X layout {self.x_layout} has {cx} channels but Y layout "
                f"{self.y_layout} has {cy}; repeat modalities until both sides match"
            )
        if cx < 2:
            raise ValueError(
                f"task {self.name!r}: needs at least 2 channels per side for the coupling "
                f"split, got {cx}; repeat the modalities, e.g. ('T1', 'T1')"
            )

    @property
    def channels(self) -> int:
        """Channel count ``C`` of both ``X`` and ``Y``."""
        return _layout_channels(self.x_layout)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Distinct input modalities, in order of first appearance."""
        return tuple(dict.fromkeys(self.x_layout))

    @property
    def outputs(self) -> tuple[str, ...]:
        """Distinct output modalities, in order of first appearance."""
        return tuple(dict.fromkeys(self.y_layout))

    @property
    def modalities(self) -> tuple[str, ...]:
        """Every modality a sample of this task needs."""
        return tuple(dict.fromkeys(self.inputs + self.outputs))

    def pack_x(self, images: Mapping[str, Array]) -> Array:
        """Stack input modalities into ``X``; each ``(..., c, H, W)`` -> ``(..., C, H, W)``."""
        return _pack(self.x_layout, images, self.name)

    def pack_y(self, images: Mapping[str, Array]) -> Array:
        """Stack output modalities into ``Y``; each ``(..., c, H, W)`` -> ``(..., C, H, W)``."""
        return _pack(self.y_layout, images, self.name)

    def unpack_x(self, x: Array) -> dict[str, Array]:
        """Split ``X`` of ``(..., C, H, W)`` into modalities, averaging repeated copies."""
        return _unpack(self.x_layout, x, self.name)

    def unpack_y(self, y: Array) -> dict[str, Array]:
        """Split ``Y`` of ``(..., C, H, W)`` into modalities, averaging repeated copies."""
        return _unpack(self.y_layout, y, self.name)

    def repack_y(self, y: Array) -> Array:
        """``pack_y(unpack_y(y))``: every copy of an output replaced by the copies' mean, as from a saved image."""
        return self.pack_y(self.unpack_y(y))


def _layout_channels(layout: tuple[str, ...]) -> int:
    return sum(modality_channels(m) for m in layout)


def _pack(layout: tuple[str, ...], images: Mapping[str, Array], task: str) -> Array:
    missing = [m for m in dict.fromkeys(layout) if m not in images]
    if missing:
        raise KeyError(
            f"task {task!r} needs modalities {list(dict.fromkeys(layout))}; missing {missing} "
            f"(given {sorted(images)})"
        )
    parts = []
    for modality in layout:
        arr = images[modality]
        want = modality_channels(modality)
        if arr.ndim < 3 or arr.shape[-3] != want:
            raise ValueError(
                f"task {task!r}: modality {modality!r} must have {want} channel(s) at axis -3, "
                f"shape (..., {want}, H, W); got {tuple(arr.shape)}"
            )
        parts.append(arr)
    shapes = {tuple(p.shape[-2:]) for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"task {task!r}: modalities differ in (H, W): {sorted(shapes)}")
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts, axis=-3)
    import torch

    return torch.cat(parts, dim=-3)


def _unpack(layout: tuple[str, ...], arr: Array, task: str) -> dict[str, Array]:
    channels = _layout_channels(layout)
    if arr.ndim < 3 or arr.shape[-3] != channels:
        raise ValueError(
            f"task {task!r}: expected {channels} channels at axis -3 for layout {layout}, "
            f"got shape {tuple(arr.shape)}"
        )
    copies: dict[str, list[Array]] = {}
    start = 0
    for modality in layout:
        stop = start + modality_channels(modality)
        copies.setdefault(modality, []).append(arr[..., start:stop, :, :])
        start = stop
    return {m: _mean_of_copies(c) for m, c in copies.items()}


def _mean_of_copies(copies: list[Array]) -> Array:
    """Mean of copies as ``first + mean(copy - first)``: exact when the copies are identical."""
    first = copies[0]
    if len(copies) == 1:
        return first
    return first + sum(c - first for c in copies[1:]) / len(copies)


#: The built-in tasks by name; the paper gives the T1+PD -> T2 and 6-channel T1+T2 -> PET layouts, the rest are ours
#: (``t2_to_spect`` has real data only: the Harvard SPECT-MRI pairs, ``scripts/harvard_spect_cv.py``).
TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("t1_to_t2", ("T1", "T1"), ("T2", "T2"), "T1 -> T2 (1 -> 1, both sides doubled)"),
        Task("t1pd_to_t2", ("T1", "PD"), ("T2", "T2"), "T1 + PD -> T2 (2 -> 1, output doubled)"),
        Task("t1_to_pet", ("T1", "T1", "T1"), ("PET_rgb",), "T1 -> colour PET (1 -> 3 channels)"),
        Task(
            "t1t2_to_pet",
            ("T1", "T2", "T1", "T2", "T1", "T2"),
            ("PET_rgb", "PET_rgb"),
            "T1 + T2 -> colour PET, 6 channels (the paper's layout)",
        ),
        Task(
            "t1t2_to_pet_3ch",
            ("T1", "T2", "T1"),
            ("PET_rgb",),
            "T1 + T2 -> colour PET, 3 channels (ablation; T1 fills the third channel)",
        ),
        Task("t2ct_fusion", ("T2", "CT"), ("FUSED", "FUSED"), "T2 + CT -> fused image (fusion)"),
        Task("t1_to_t2pd", ("T1", "T1"), ("T2", "PD"), "T1 -> T2 and PD (one input, two outputs)"),
        Task("t2_to_spect", ("T2", "T2", "T2"), ("SPECT_rgb",), "T2 -> colour SPECT (1 -> 3 channels; Harvard SPECT-MRI)"),
        Task("t2spect_fusion", ("T2", "SPECT_Y"), ("FUSED", "FUSED"),
             "T2 + SPECT luminance -> fused luminance (colour fusion; the SPECT's chroma is put back)"),
    )
}


def get_task(name: str | Task) -> Task:
    """Return the built-in task ``name`` (a :class:`Task` is returned unchanged)."""
    if isinstance(name, Task):
        return name
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; built-in tasks are {sorted(TASKS)}") from None
