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


#: ``meta`` items that define a phantom subject's draw; part of its :meth:`Subject.fingerprint`.
PHANTOM_DRAW = ("seed", "index", "pixel_mm")


#: Significant digits of a phantom fingerprint's numbers: coarse enough to ignore last-bit differences.
DIGITS = 4


def _summary_number(value: Any) -> str:
    """A meta value as fingerprint text: ints exactly, other numbers to :data:`DIGITS` significant digits."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.{DIGITS - 1}e}"


def _summary(arr: np.ndarray) -> str:
    """Mean and std of ``arr`` (float64) to :data:`DIGITS` significant digits."""
    values = np.asarray(arr, dtype=np.float64)
    return f"mean={values.mean():.{DIGITS - 1}e},std={values.std():.{DIGITS - 1}e}"


@dataclass
class Subject:
    """Registered slices of one subject (one phantom, one atlas case, one scan); shapes and finiteness are checked.

    Parameters
    ----------
    name : str
        Unique name, used for subject-level splits.
    images : dict of str to ndarray
        Float32 in [0, 1]: grey ``(S, H, W)``, colour (``*_rgb``) ``(S, H, W, 3)``.
    mask : ndarray of bool, shape (S, H, W)
        Head mask; metrics are computed inside it.
    labels : ndarray of uint8, shape (S, H, W), optional
        Tissue labels (phantom only).
    meta : dict
        Free-form provenance.
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
        """SHA-256 identity of the data in ``modalities`` (default all); model keys hold it.

        Phantom subjects: name, :data:`PHANTOM_DRAW`, ``meta["fusion_label"]`` and per modality shape, mean and std
        to :data:`DIGITS` digits (blind to last-bit float differences). Other subjects: name and every float32 pixel.
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
