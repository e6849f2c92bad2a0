"""Colour-mapped functional images (the atlas PET and SPECT) read as activity, and a prediction's activity range.

A network trained with an L1 or L2 loss predicts something near the conditional mean, so its activity spans a
narrower range than the truth's: hot spots come out lukewarm. :func:`match_activity` gives a prediction the
activity distribution of reference images (histogram matching, :func:`skimage.exposure.match_histograms`), keeping
the prediction's order of pixels; it widens the colour range and, like any move away from the mean, may cost PSNR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.colors import Colormap
from skimage.exposure import match_histograms

from ivan_core.core.subject import Subject
from ivan_core.data.sequences import HARVARD_PET, HARVARD_SPECT, rgb_to_pet, rgb_to_spect

#: Colour modality -> (its colour scale, the scale's inverse: colours ``(..., 3)`` to activity ``(...)``).
COLOUR_SCALES: dict[str, tuple[Colormap, Callable[[np.ndarray], np.ndarray]]] = {
    "SPECT_rgb": (HARVARD_SPECT, rgb_to_spect),
    "PET_rgb": (HARVARD_PET, rgb_to_pet),
}


def _scale(modality: str) -> tuple[Colormap, Callable[[np.ndarray], np.ndarray]]:
    if modality not in COLOUR_SCALES:
        raise ValueError(f"no colour scale for {modality!r}; expected one of {sorted(COLOUR_SCALES)}")
    return COLOUR_SCALES[modality]


def head_activity(subjects: Sequence[Subject], modality: str = "SPECT_rgb") -> np.ndarray:
    """Every activity inside the heads (``subject.mask``) of the subjects' ``modality`` images, pooled: ``(N,)`` float32."""
    if not subjects:
        raise ValueError("need at least one subject to read activities from")
    _, to_activity = _scale(modality)
    return np.concatenate([to_activity(np.clip(s[modality], 0.0, 1.0))[s.mask] for s in subjects]).astype(np.float32)


def activity_percentiles(subjects: Sequence[Subject], modality: str = "SPECT_rgb") -> list[float]:
    """The 0th to 100th percentiles of :func:`head_activity`: 101 values, a compact reference for
    :func:`match_activity` that a network's card keeps (``training_inputs.activity``)."""
    return np.percentile(head_activity(subjects, modality), np.arange(101)).round(5).tolist()


def match_activity(colour: np.ndarray, reference: np.ndarray, mask: np.ndarray,
                   modality: str = "SPECT_rgb") -> np.ndarray:
    """``colour`` with its activity inside ``mask`` given the distribution of ``reference``.

    The activity is read back through the modality's colour scale, its values inside the mask are histogram-matched
    to ``reference`` (equal activities stay equal, so a prediction constant on pixel blocks stays so), and the scale
    is applied again; pixels outside the mask are returned unchanged.

    Parameters
    ----------
    colour : ndarray, shape (..., 3)
        A colour-mapped image or stack in [0, 1], e.g. a predicted ``(S, H, W, 3)`` SPECT.
    reference : ndarray
        Activities whose distribution to take, e.g. :func:`head_activity` of the training cases.
    mask : ndarray of bool, shape ``colour.shape[:-1]``
        The pixels to match (the head).
    modality : str
        A key of :data:`COLOUR_SCALES`.

    Returns
    -------
    ndarray, float32, the shape of ``colour``
    """
    cmap, to_activity = _scale(modality)
    colour = np.asarray(colour)
    mask = np.asarray(mask, dtype=bool)
    reference = np.asarray(reference, dtype=np.float64).ravel()
    if colour.ndim < 3 or colour.shape[-1] != 3:
        raise ValueError(f"expected colour images of shape (..., 3), got {colour.shape}")
    if mask.shape != colour.shape[:-1]:
        raise ValueError(f"mask of shape {mask.shape} does not match the images {colour.shape[:-1]}")
    if not np.isfinite(colour).all():
        raise ValueError("the colour images contain NaN or inf")
    if reference.size == 0 or not np.isfinite(reference).all():
        raise ValueError("reference activities must be a non-empty set of finite values")
    out = np.array(colour, dtype=np.float32)
    if not mask.any():
        return out
    activity = to_activity(np.clip(out, 0.0, 1.0))[mask]
    matched = match_histograms(activity.astype(np.float64), reference)
    out[mask] = cmap(np.clip(matched, 0.0, 1.0))[:, :3]
    return out
