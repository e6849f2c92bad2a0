"""The record every data source returns: one subject's registered slices."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Modalities whose arrays carry a trailing colour axis, ``(S, H, W, 3)``.
COLOUR_SUFFIX = "_rgb"


def is_colour(modality: str) -> bool:
    """Return True for colour modalities (name ends in ``_rgb``), stored as ``(S, H, W, 3)``."""
    return modality.endswith(COLOUR_SUFFIX)


#: ``meta`` items of a simulated phantom subject (:func:`ivan_core.data.make_phantom`) that define its draw;
#: part of its :meth:`Subject.fingerprint`.
PHANTOM_DRAW = ("seed", "index", "pixel_mm")


#: Significant digits of the numbers in a phantom subject's fingerprint: few enough that last-bit
#: differences in the pixels (other numpy / scipy versions) do not reach a rounding boundary.
DIGITS = 4


def _summary_number(value: Any) -> str:
    """A meta value as fingerprint text: ints exactly, other numbers to :data:`DIGITS` significant digits."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.{DIGITS - 1}e}"


def _summary(arr: np.ndarray) -> str:
    """Mean and standard deviation of ``arr`` (in float64) to :data:`DIGITS` significant digits: what tells
    one simulated image from another, blind to last-bit floating-point differences."""
    values = np.asarray(arr, dtype=np.float64)
    return f"mean={values.mean():.{DIGITS - 1}e},std={values.std():.{DIGITS - 1}e}"


@dataclass
class Subject:
    """Registered slices of one subject (one phantom, one atlas case, one scan).

    Parameters
    ----------
    name : str
        Unique name, used for subject-level splits (``"phantom-007"``, ``"aanlib-CT-MRI-16"``).
    images : dict of str to ndarray
        Modality name to slices, float32 in [0, 1]: grey ``(S, H, W)``, colour
        (name ending in ``_rgb``) ``(S, H, W, 3)``. All share ``S, H, W``.
    mask : ndarray of bool, shape (S, H, W)
        Head (foreground) mask, used to compute metrics inside the head.
    labels : ndarray of uint8, shape (S, H, W), optional
        Tissue labels where known (the phantom); None for real scans.
    meta : dict
        Free-form provenance (source, seed, slice indices, file names, affine ...).

    Examples
    --------
    >>> subject["T1"].shape  # doctest: +SKIP
    (24, 128, 128)
    """

    name: str
    images: dict[str, np.ndarray]
    mask: np.ndarray
    labels: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.images:
            raise ValueError(f"subject {self.name!r} has no images")
        shape = self.mask.shape
        if len(shape) != 3:
            raise ValueError(f"subject {self.name!r}: mask must be (S, H, W), got {shape}")
        for key, arr in self.images.items():
            want = shape + (3,) if is_colour(key) else shape
            if arr.shape != want:
                raise ValueError(
                    f"subject {self.name!r}: modality {key!r} has shape {arr.shape}, "
                    f"expected {want} to match the mask"
                )
            if not np.isfinite(arr).all():
                raise ValueError(f"subject {self.name!r}: modality {key!r} contains NaN or inf")

    def __getitem__(self, key: str) -> np.ndarray:
        """Return ``images[key]``, or the ``"mask"`` / ``"labels"`` arrays."""
        if key == "mask":
            return self.mask
        if key == "labels":
            if self.labels is None:
                raise KeyError(f"subject {self.name!r} has no tissue labels")
            return self.labels
        try:
            return self.images[key]
        except KeyError:
            raise KeyError(
                f"subject {self.name!r} has no modality {key!r}; it has {sorted(self.images)}"
            ) from None

    @property
    def modalities(self) -> list[str]:
        """Names of the modalities this subject holds."""
        return list(self.images)

    @property
    def n_slices(self) -> int:
        """Number of slices ``S``."""
        return int(self.mask.shape[0])

    def fingerprint(self, modalities: Sequence[str] | None = None) -> str:
        """SHA-256 identity of the subject's data in ``modalities`` (default all).

        The one place that decides when two subjects are the same data: model keys (cached and
        shipped networks, :func:`ivan_core.core.training.cache_key.model_key`) hold it per subject.

        * Simulated phantom subjects (``meta["source"] == "phantom"``): the name, the draw that
          made them (:data:`PHANTOM_DRAW` items of ``meta``), the teacher of a fusion label
          (``meta["fusion_label"]``) and per modality its shape, mean and std to :data:`DIGITS`
          significant digits. The same subject simulated under other numpy / scipy versions differs
          in the last float bits and keeps its identity; another draw, size, modality or label does not.
          The summary cannot see a reordering of the same pixels (a flip, slices swapped).
        * Everything else (real scans): the name and every pixel (float32) of each modality.
        """
        names = sorted(modalities if modalities is not None else self.images)
        if self.meta.get("source") == "phantom":
            draw = {k: _summary_number(self.meta.get(k)) for k in PHANTOM_DRAW}
            parts = [f"phantom|{self.name}|{draw}|fusion_label={self.meta.get('fusion_label')}"]
            parts += [f"|{m}|{self[m].shape}|{_summary(self[m])}" for m in names]
            return hashlib.sha256("".join(parts).encode()).hexdigest()
        digest = hashlib.sha256(self.name.encode())
        for m in names:
            arr = np.ascontiguousarray(self[m], dtype=np.float32)
            digest.update(f"|{m}|{arr.shape}|".encode())
            digest.update(arr.tobytes())
        return digest.hexdigest()

    def take(self, indices: Sequence[int] | slice) -> Subject:
        """A new subject holding only the given slices (e.g. ``subject.take(slice(0, None, 4))``)."""
        return Subject(self.name, {k: v[indices] for k, v in self.images.items()}, self.mask[indices],
                       None if self.labels is None else self.labels[indices], dict(self.meta))
