"""Trained networks and fusion rules over whole scan volumes, slice by slice.

Each input is scaled to the network's training intensities (its card's ``intensity_scaling``), cut into radiological
slices along an RAS+ axis, run in batches, and put back into the first input's voxel order, on its grid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ivan_core.core.inference import recover, synthesise
from ivan_core.core.model import IVAN
from ivan_core.core.subject import is_colour
from ivan_core.core.tasks import Task
from ivan_core.data.activity import match_activity
from ivan_core.data.errors import DataError
from ivan_core.data.loaders import head_mask
from ivan_core.data.scaling import PERCENTILE, match_reference, to_unit
from ivan_core.data.volumes import Volume, check_same_grid, from_slices, to_slices

Images = dict[str, np.ndarray]


def card_scaling(card: Mapping[str, Any]) -> dict[str, Any]:
    """A card's training intensities ``{"percentile": p, "reference": {modality: r}}``; none stored: no references."""
    stored = card.get("intensity_scaling", {})
    return {"percentile": float(stored.get("percentile", PERCENTILE)), "reference": dict(stored.get("reference", {}))}


def check_modalities(volumes: Mapping[str, Volume], expected: tuple[str, ...], what: str) -> None:
    """DataError unless ``volumes`` holds exactly the ``expected`` modalities."""
    missing, extra = sorted(set(expected) - set(volumes)), sorted(set(volumes) - set(expected))
    if missing or extra:
        raise DataError(f"{what} needs the modalities {list(expected)}; missing {missing}, not used {extra}")


def scaled_slices(volumes: Mapping[str, Volume], scaling: Mapping[str, Any], axis: int = 2) -> Images:
    """Every volume scaled to [0, 1] and cut into radiological slices ``(S, H, W[, 3])`` along RAS+ ``axis``.

    :func:`~ivan_core.data.scaling.match_reference` where ``scaling`` has the modality's reference, else
    :func:`~ivan_core.data.scaling.to_unit`: by the values, whatever the storage type. DataError when the grids differ
    or a volume's channels do not fit its modality.
    """
    check_same_grid(volumes)
    references, percentile = scaling.get("reference", {}), scaling.get("percentile", PERCENTILE)
    out = {}
    for modality, vol in volumes.items():
        colour = is_colour(modality)
        if colour != (vol.data.ndim == 4):
            raise DataError(f"{vol.path}: modality {modality!r} needs a "
                            f"{'(X, Y, Z, 3) colour' if colour else '3-D grey'} volume, got {vol.data.shape}")
        scaled = (match_reference(vol.data, references[modality], percentile) if modality in references
                  else to_unit(vol.data))
        out[modality] = to_slices(Volume(scaled, vol.affine, vol.header, vol.path), axis)
    return out


def _in_chunks(fn: Callable[[Images], Images], slices: Images, chunk: int, desc: str, progress: bool) -> Images:
    """``fn`` over consecutive chunks of slices, with a progress bar; results concatenated per modality."""
    n = len(next(iter(slices.values())))
    parts: list[Images] = []
    with tqdm(total=n, desc=desc, unit="slice", disable=not progress) as bar:
        for start in range(0, n, chunk):
            parts.append(fn({m: v[start : start + chunk] for m, v in slices.items()}))
            bar.update(len(next(iter(parts[-1].values()))))
    return {m: np.concatenate([p[m] for p in parts]) for m in parts[0]}


def _finish(slices: Images, like: Volume, axis: int) -> Images:
    """Clip to [0, 1] (as the scores do) and put back on ``like``'s grid."""
    return {m: from_slices(np.clip(v, 0.0, 1.0).astype(np.float32), like, axis) for m, v in slices.items()}


def synthesise_volumes(net: IVAN, task: Task, volumes: Mapping[str, Volume], scaling: Mapping[str, Any],
                       axis: int = 2, batch_size: int = 8, device: str | torch.device | None = None,
                       progress: bool = True, inspect: Callable[[Images], None] | None = None,
                       activity: Mapping[str, Sequence[float]] | None = None) -> Images:
    """The forward pass over whole volumes: ``{output modality: (X, Y, Z[, 3])}`` float32 in [0, 1], first input's voxel order.

    ``volumes`` are exactly the task's inputs, registered on one grid (else DataError); ``scaling`` is :func:`card_scaling`
    of the network's card; ``axis`` the RAS+ axis to cut along (2 axial, 1 coronal, 0 sagittal); ``inspect`` sees
    the scaled slices ``{modality: (S, H, W[, 3])}`` before the network runs (e.g. to warn about unlike data).
    ``activity`` maps colour-mapped outputs to reference activities (a card's ``training_inputs.activity``): their
    activity inside the head, found on the inputs (:func:`~ivan_core.data.loaders.head_mask`), is given that
    distribution (:func:`~ivan_core.data.match_activity`).
    """
    check_modalities(volumes, task.inputs, f"task {task.name!r}")
    unknown = sorted(set(activity or {}) - set(task.outputs))
    if unknown:
        raise ValueError(f"activity given for {unknown}, which task {task.name!r} does not output")
    slices = scaled_slices(volumes, scaling, axis)
    if inspect is not None:
        inspect(slices)
    out = _in_chunks(lambda part: synthesise(net, task, part, batch_size=batch_size, device=device), slices,
                     batch_size, f"synthesise {task.name}", progress)
    if activity:
        mask = head_mask(list(slices.values()))
        out |= {m: match_activity(out[m], reference, mask, m) for m, reference in activity.items()}
    return _finish(out, next(iter(volumes.values())), axis)


def recover_volumes(net: IVAN, task: Task, volumes: Mapping[str, Volume], scaling: Mapping[str, Any],
                    axis: int = 2, batch_size: int = 8, device: str | torch.device | None = None,
                    progress: bool = True, inspect: Callable[[Images], None] | None = None) -> Images:
    """The inverse pass over whole volumes (e.g. T1 and PD from a T2 scan), as :func:`synthesise_volumes`."""
    check_modalities(volumes, task.outputs, f"the inverse of task {task.name!r}")
    slices = scaled_slices(volumes, scaling, axis)
    if inspect is not None:
        inspect(slices)
    out = _in_chunks(lambda part: recover(net, task, part, batch_size=batch_size, device=device), slices,
                     batch_size, f"recover {task.name}", progress)
    return _finish(out, next(iter(volumes.values())), axis)


def fuse_volumes(fuse_slice: Callable[[np.ndarray, np.ndarray], np.ndarray], volumes: Mapping[str, Volume],
                 sources: tuple[str, str] = ("T2", "CT"), axis: int = 2, progress: bool = True,
                 scaling: Mapping[str, Any] | None = None) -> np.ndarray:
    """Fuse two registered volumes slice by slice with ``fuse_slice(a, b) -> fused`` on ``(H, W)`` images in [0, 1]
    (the second source may be a colour modality, its slices ``(H, W, 3)``, and then ``fused`` is too).

    Each volume is scaled by :func:`scaled_slices` with ``scaling`` (a network's :func:`card_scaling`; default none:
    :func:`~ivan_core.data.scaling.to_unit`); the fused volume lies on the first source's grid.
    """
    check_modalities(volumes, sources, "fusion")
    slices = scaled_slices({m: volumes[m] for m in sources}, scaling or {}, axis)
    a, b = slices[sources[0]], slices[sources[1]]
    fused = np.stack([fuse_slice(x, y) for x, y in tqdm(zip(a, b, strict=True), total=len(a), desc="fuse",
                                                         unit="slice", disable=not progress)])
    return _finish({"FUSED": fused}, volumes[sources[0]], axis)["FUSED"]
