"""Does a scan look like a network's training data? Intensity histogram, slice size and plane, compared.

A network's card keeps :func:`describe_inputs` of its training subjects; :func:`unfamiliar` compares new slices
(scaled to [0, 1] as for the network) against it and says, in words, what differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ivan_core.core.grid import block_size
from ivan_core.data.activity import COLOUR_SCALES, activity_percentiles

#: Histogram bins over (0, 1] of the voxels above a volume's minimum.
BINS = 20
#: Mean over the input modalities of :func:`histogram_distance` above which a scan is called unlike the training data
#: (calibrated on the shipped networks and the phantom and Harvard data: ``scripts/describe_shipped_inputs.py``).
HISTOGRAM_LIMIT = 0.35
#: A slice side this many times smaller or larger than every training side is called unlike.
SIZE_RATIO_LIMIT = 1.5
#: Plane names of the RAS+ axes slices are cut along.
PLANES = {0: "sagittal", 1: "coronal", 2: "axial"}


def histogram(images: np.ndarray) -> list[float]:
    """Share of the voxels above the minimum of ``images`` (values in [0, 1], any shape) in each of :data:`BINS` bins."""
    values = images[images > images.min()]
    counts, _ = np.histogram(values, bins=BINS, range=(0.0, 1.0))
    return (counts / max(counts.sum(), 1)).round(5).tolist()


def describe_inputs(subjects: Iterable[Any], modalities: Iterable[str]) -> dict[str, Any]:
    """What a card keeps about the training inputs: ``{"histogram": {modality: shares}, "sizes": [[H, W], ...],
    "planes": [...], "blocks": {modality: b}}`` over ``subjects`` (:class:`~ivan_core.core.subject.Subject`, slices
    ``(S, H, W[, 3])`` in [0, 1]); ``blocks`` names the modalities enlarged by pixel repetition in every subject
    (:func:`~ivan_core.core.grid.block_size` > 1); ``activity``, only where a modality is colour-mapped
    (:data:`~ivan_core.data.activity.COLOUR_SCALES`), holds its :func:`~ivan_core.data.activity.activity_percentiles`
    inside the heads, what ``ivan synthesise --match-range`` matches a prediction to."""
    subjects = list(subjects)
    hist = {m: histogram(np.concatenate([s.images[m].ravel() for s in subjects]))
            for m in modalities if subjects and all(m in s.images for s in subjects)}
    sizes = sorted({tuple(int(v) for v in next(iter(s.images.values())).shape[1:3]) for s in subjects})
    planes = sorted({s.meta.get("plane", "axial") for s in subjects})
    blocks = {m: block_size(s.images[m] for s in subjects) for m in hist}
    activity = {m: activity_percentiles(subjects, m) for m in hist if m in COLOUR_SCALES}
    return {"histogram": hist, "sizes": [list(s) for s in sizes], "planes": planes,
            "blocks": {m: b for m, b in blocks.items() if b > 1}, **({"activity": activity} if activity else {})}


def histogram_distance(a: list[float], b: list[float]) -> float:
    """Half the L1 distance of two :func:`histogram` results: 0 the same, 1 no overlap."""
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def unfamiliar(description: Mapping[str, Any], slices: Mapping[str, np.ndarray], axis: int) -> list[str]:
    """How ``slices`` (``{modality: (S, H, W[, 3])}`` scaled as the network's inputs) differ from ``description``
    (:func:`describe_inputs` of its training data), one sentence each; empty when nothing stands out."""
    found = []
    distances = {m: histogram_distance(histogram(slices[m]), trained)
                 for m, trained in description.get("histogram", {}).items() if m in slices}
    if distances and np.mean(list(distances.values())) > HISTOGRAM_LIMIT:
        found.append("its intensities differ from the training data's (histogram distance "
                     + ", ".join(f"{m} {d:.2f}" for m, d in distances.items())
                     + f" of 1; a mean above {HISTOGRAM_LIMIT} is unlike)")
    sizes = description.get("sizes", [])
    if sizes and slices:
        h, w = next(iter(slices.values())).shape[1:3]
        near = [s for s in sizes if all(1 / SIZE_RATIO_LIMIT <= a / b <= SIZE_RATIO_LIMIT for a, b in zip((h, w), s))]
        if not near:
            found.append(f"its slices are {h} x {w}; it was trained on {' and '.join(f'{a} x {b}' for a, b in sizes)}")
    planes = description.get("planes", [])
    if planes and PLANES[axis] not in planes:
        found.append(f"you cut {PLANES[axis]} slices (--axis {axis}); it was trained on {', '.join(planes)} slices")
    return found
