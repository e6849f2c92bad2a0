"""The one input convention of every metric: ``data_range`` if stated, else by dtype (integers: theirs, floats: [0, 1]).

A float image outside [0, 1] without ``data_range`` is an error: its range cannot be guessed safely.
"""

from __future__ import annotations

import numpy as np


def intensity_range(image: np.ndarray, data_range: float | None, label: str) -> tuple[float, float]:
    """``(low, span)`` of ``image``'s intensity scale under the module's rule.

    Parameters
    ----------
    image : ndarray
        Any shape; numeric, finite.
    data_range : float or None
        Stated span: the image runs from 0 to it whatever its dtype (e.g. 4095 for a CT in int16); None decides
        by dtype (signed integers span their dtype from its minimum).
    label : str
        Name of the image in error messages.

    Raises
    ------
    ValueError
        Non-numeric, empty or non-finite input, ``data_range <= 0``, or a float image outside [0, 1] without it.
    """
    arr = np.asarray(image)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{label} must be numeric, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{label} is empty")
    integer = np.issubdtype(arr.dtype, np.integer)
    if not integer and not np.isfinite(arr).all():
        raise ValueError(f"{label} contains NaN or inf")
    if data_range is not None:
        if not data_range > 0:
            raise ValueError(f"data_range must be positive, got {data_range}")
        return 0.0, float(data_range)
    if integer:
        info = np.iinfo(arr.dtype)
        return float(info.min), float(info.max) - float(info.min)
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{label} is a {arr.dtype} image with values in [{lo:.4g}, {hi:.4g}], outside [0, 1]; "
            "pass data_range= (e.g. data_range=255 for 0..255 floats), rescale it to [0, 1], "
            "or clip it with np.clip(image, 0, 1)"
        )
    return 0.0, 1.0


def common_range(data_range: float | None, **images: np.ndarray) -> float:
    """The span shared by several compared images; without ``data_range`` their dtype spans must agree (else ValueError)."""
    spans = {label: intensity_range(img, data_range, label) for label, img in images.items()}
    if len({s for _, s in spans.values()}) > 1:
        kinds = ", ".join(f"{label} {np.asarray(images[label]).dtype} (span {s:g})" for label, (_, s) in spans.items())
        raise ValueError(f"images are on different intensity scales: {kinds}; convert them to one dtype "
                         "or pass data_range=")
    return next(iter(spans.values()))[1]
