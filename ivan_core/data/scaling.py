"""Intensity scaling of scans to [0, 1]: one percentile rule for training and for inference.

A volume is mapped by ``(v - min) / (p - min) * reference``, clipped to [0, 1], where ``p`` is
its ``percentile``-th percentile over the voxels above its minimum. ``reference = 1``
(:func:`to_unit`) is how the loaders scale scans for training; a trained network's card stores,
per modality, the same percentile of its own training data (:func:`reference_value`), so a new
scan is brought to the intensities the network saw (:func:`match_reference`), whatever its units.

A deviation from the paper: it scales each volume linearly to [-1, 1] (Section IV-A). Here images
live in [0, 1] (the range the metrics' ``data_range`` of 1 and 8-bit saving assume), and the upper
end is a high percentile rather than the maximum, so one bright voxel does not darken a scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

#: Percentile of the above-minimum voxels that fixes a volume's scale.
PERCENTILE = 99.5


def _upper(v: np.ndarray, percentile: float) -> tuple[float, float]:
    low = float(v.min())
    above = v[v > low]
    return low, (float(np.percentile(above, percentile)) if above.size else low + 1.0)


def match_reference(volume: np.ndarray, reference: float, percentile: float = PERCENTILE) -> np.ndarray:
    """Scale one volume so its minimum goes to 0 and its ``percentile`` to ``reference``, clipped to [0, 1].

    Parameters
    ----------
    volume : ndarray
        Any shape and numeric type (one modality of one subject).
    reference : float
        Where the percentile lands, in (0, 1].

    Returns
    -------
    ndarray of float32, same shape
    """
    if not 0.0 < reference <= 1.0:
        raise ValueError(f"reference must lie in (0, 1], got {reference}")
    v = volume.astype(np.float32)
    low, high = _upper(v, percentile)
    return np.clip((v - low) / max(high - low, 1e-12) * reference, 0.0, 1.0).astype(np.float32)


def to_unit(volume: np.ndarray) -> np.ndarray:
    """Scale one volume to float32 in [0, 1]: ``uint8`` divided by 255, anything else by
    :func:`match_reference` with reference 1 (the loaders' rule).

    Parameters
    ----------
    volume : ndarray
        Any shape.

    Returns
    -------
    ndarray of float32, same shape
    """
    if volume.dtype == np.uint8:
        return volume.astype(np.float32) / 255.0
    return match_reference(volume, 1.0)


def reference_value(volumes: Iterable[np.ndarray], percentile: float = PERCENTILE) -> float:
    """The ``percentile`` of the above-minimum voxels of training volumes already in [0, 1], pooled:
    the ``reference`` that :func:`match_reference` gives a new scan of that modality.

    Parameters
    ----------
    volumes : iterable of ndarray
        One modality's training images, each in [0, 1] (e.g. ``subject.images["T1"]``).
    """
    above = [v[v > v.min()].ravel() for v in volumes]
    pooled = np.concatenate(above) if above else np.empty(0)
    if not pooled.size:
        raise ValueError("the training volumes are constant; no intensity scale to learn")
    return float(np.percentile(pooled, percentile))


def intensity_scaling(subjects: Iterable[Any], modalities: Iterable[str], percentile: float = PERCENTILE) -> dict[str, Any]:
    """What a trained network's card stores about its training intensities: ``{"rule", "percentile",
    "reference": {modality: reference_value}}`` over ``subjects`` (:class:`~ivan_core.data.Subject`
    records), for each of ``modalities`` they hold."""
    subjects = list(subjects)
    reference = {m: reference_value((s.images[m] for s in subjects), percentile)
                 for m in modalities if subjects and all(m in s.images for s in subjects)}
    return {"rule": "v -> clip((v - min) / (p - min) * reference, 0, 1), p the percentile of the voxels above min",
            "percentile": percentile, "reference": reference}
