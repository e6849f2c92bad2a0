"""Artefact measures: the two-pixel checkerboard of a synthesised or fused image against its reference."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _planes(image: np.ndarray, name: str) -> np.ndarray:
    """``image`` as float64 planes ``(P, H, W)``: grey ``(H, W)``, colour ``(H, W, 3)`` or stacks of either."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim < 2:
        raise ValueError(f"{name} must be an image (H, W), (H, W, 3) or a stack of them, got shape {image.shape}")
    if not np.isfinite(image).all():
        raise ValueError(f"{name} contains NaN or inf")
    if image.ndim >= 3 and image.shape[-1] == 3:
        image = np.moveaxis(image, -1, -3)
    return image.reshape((-1,) + image.shape[-2:])


def _middle_bin(n: int) -> np.ndarray:
    """The DFT weights ``e^{-2 pi i (n//2) k / n}`` of the middle bin, exactly +-1 for even ``n``."""
    k = np.arange(n)
    return (1.0 - 2.0 * (k % 2)) if n % 2 == 0 else np.exp(-2j * np.pi * (n // 2) * k / n)


def _nyquist(planes: np.ndarray) -> float:
    """Two-pixel power of planes ``(P, H, W)`` (see :func:`nyquist_power`), without a 2-D FFT.

    The spectrum's middle row is the 1-D DFT along W of ``sum_y x[y] e^{-2 pi i (H//2) y / H}``, so by Parseval its
    power is ``W`` times that sum's energy; the same for the middle column; their shared bin is counted once.
    """
    planes = planes - planes.mean(axis=(1, 2), keepdims=True)
    h, w = planes.shape[1:]
    along_h, along_w = _middle_bin(h), _middle_bin(w)
    row = np.einsum("pyx,y->px", planes, along_h)  # the middle row's signal, (P, W)
    col = np.einsum("pyx,x->py", planes, along_w)  # the middle column's, (P, H)
    shared = row @ along_w  # their common bin, (P,)
    return float(w * np.sum(np.abs(row) ** 2) + h * np.sum(np.abs(col) ** 2) - np.sum(np.abs(shared) ** 2))


def nyquist_power(image: np.ndarray) -> float:
    """Spectral power of ``image`` on the two-pixel frequencies, summed over its planes.

    The two-pixel frequencies are the middle row and column of each plane's 2-D spectrum (for even sizes
    exactly the Nyquist ones): a pattern that alternates from pixel to pixel along either axis lies there.

    Parameters
    ----------
    image : ndarray
        ``(H, W)``, colour ``(H, W, 3)`` or a stack ``(S, H, W)`` / ``(S, H, W, 3)``; each plane's mean is removed.

    Returns
    -------
    float
        Sum of ``|FFT|^2`` over those frequencies and all planes.
    """
    return _nyquist(_planes(image, "image"))


def nyquist_share(image: np.ndarray) -> float:
    """Fraction of ``image``'s spectral power (each plane's mean removed) on the two-pixel frequencies.

    Unlike :func:`checkerboard_ratio` it needs no reference, so it stays finite where the truth has no power there
    (an image enlarged by pixel repetition has none). 0 for a flat image.
    """
    planes = _planes(image, "image")
    total = float(np.sum((planes - planes.mean(axis=(1, 2), keepdims=True)) ** 2)) * planes.shape[1] * planes.shape[2]
    return 0.0 if total == 0 else _nyquist(planes) / total


def checkerboard_ratio(image: np.ndarray, reference: np.ndarray | Sequence[np.ndarray]) -> float:
    """How much more two-pixel power ``image`` has than its reference: 1 means no more, a checkerboard far above.

    Parameters
    ----------
    image : ndarray
        The network's output, ``(H, W)``, ``(H, W, 3)`` or a stack of them.
    reference : ndarray or sequence of ndarray
        The truth of a synthesis, of ``image``'s shape; or, for a fusion, its sources (the largest power counts).

    Returns
    -------
    float
        ``nyquist_power(image) / nyquist_power(reference)``; ``inf`` where only the reference is flat there,
        1 where both are.

    Examples
    --------
    >>> import numpy as np
    >>> smooth = np.outer(np.hanning(32), np.hanning(32))
    >>> checker = smooth + 0.05 * (np.indices((32, 32)).sum(axis=0) % 2)
    >>> checkerboard_ratio(checker, smooth) > 100
    True
    """
    image_planes = _planes(image, "image")
    references = [reference] if isinstance(reference, np.ndarray) else list(reference)
    if not references:
        raise ValueError("reference must be an image or a non-empty sequence of source images")
    for i, ref in enumerate(references):
        if _planes(ref, f"reference {i}").shape[1:] != image_planes.shape[1:]:
            raise ValueError(f"reference {i} has shape {np.shape(ref)} and image {np.shape(image)}: "
                             "their planes must be the same size")
    ref_power = max(nyquist_power(ref) for ref in references)
    power = nyquist_power(image)
    if ref_power == 0:
        return 1.0 if power == 0 else float("inf")
    return power / ref_power
