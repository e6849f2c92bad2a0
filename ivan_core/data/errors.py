"""The error every data source raises, and the checks that raise it."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class DataError(ValueError):
    """A data file is missing, unreadable, unpaired or inconsistent."""


def check_exists(path: Path) -> None:
    """FileNotFoundError naming ``path`` when it is not a file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; check the path")


def check_finite(array: np.ndarray, path: Path) -> None:
    """DataError naming ``path`` if ``array`` holds NaN or inf."""
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        bad = int(np.size(array) - np.isfinite(array).sum())
        raise DataError(
            f"{path}: {bad} voxel(s) are NaN or inf; replace them (e.g. numpy.nan_to_num) "
            "or re-export the file before loading"
        )
