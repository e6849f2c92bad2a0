"""Intensity scaling of scans to [0, 1]: one percentile rule for training and for inference.

``(v - min) / (p - min) * reference`` clipped to [0, 1], ``p`` the :data:`PERCENTILE` of the voxels above the minimum.
The paper scales linearly to [-1, 1] (Sec. IV-A); here [0, 1], and a percentile rather than the maximum.
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
    """Scale ``volume`` (any shape) so its minimum maps to 0 and its ``percentile`` to ``reference``, clipped to [0, 1].

    Returns float32 of the same shape; ValueError unless ``reference`` lies in (0, 1].
    """
    if not 0.0 < reference <= 1.0:
        raise ValueError(f"reference must lie in (0, 1], got {reference}")
    v = volume.astype(np.float32)
    low, high = _upper(v, percentile)
    return np.clip((v - low) / max(high - low, 1e-12) * reference, 0.0, 1.0).astype(np.float32)


def to_unit(volume: np.ndarray) -> np.ndarray:
    """Scale one scan volume to float32 in [0, 1] by its values (:func:`match_reference` to 1), whatever its storage
    type: the same values stored as ``uint8`` or ``float32`` scale alike."""
    return match_reference(volume, 1.0)


def display_to_unit(image: np.ndarray) -> np.ndarray:
    """Scale an image file's pixels to [0, 1]: 8-bit display images (PNG slices) divided by 255, else :func:`to_unit`."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    return to_unit(image)


def reference_value(volumes: Iterable[np.ndarray], percentile: float = PERCENTILE) -> float:
    """The pooled ``percentile`` of the above-minimum voxels of one modality's training volumes in [0, 1].

    The ``reference`` :func:`match_reference` gives a new scan of that modality; ValueError when every volume is constant.
    """
    above = [v[v > v.min()].ravel() for v in volumes]
    pooled = np.concatenate(above) if above else np.empty(0)
    if not pooled.size:
        raise ValueError("the training volumes are constant; no intensity scale to learn")
    return float(np.percentile(pooled, percentile))


def intensity_scaling(subjects: Iterable[Any], modalities: Iterable[str], percentile: float = PERCENTILE) -> dict[str, Any]:
    """What a trained network's card stores about its training intensities.

    ``{"rule", "percentile", "reference": {modality: reference_value}}`` over ``subjects``, for each modality all of them hold.
    """
    subjects = list(subjects)
    reference = {m: reference_value((s.images[m] for s in subjects), percentile)
                 for m in modalities if subjects and all(m in s.images for s in subjects)}
    return {"rule": "v -> clip((v - min) / (p - min) * reference, 0, 1), p the percentile of the voxels above min",
            "percentile": percentile, "reference": reference}
