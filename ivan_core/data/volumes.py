"""Whole scan volumes on disk: read, check, cut into radiological slices and write back on the same grid."""

from __future__ import annotations

import gzip
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivan_core.core.io import atomic_write
from ivan_core.data.errors import DataError, check_exists, check_finite

#: What to suggest when modalities are not on one grid.
_RESAMPLE_HINT = "the modalities must be registered on one grid (resample, e.g. with nilearn.image.resample_to_img)"


@dataclass(frozen=True)
class Volume:
    """One scan as stored: ``data`` ``(X, Y, Z[, 3])`` in file voxel order, 4x4 ``affine``, nibabel ``header``, ``path``."""

    data: np.ndarray
    affine: np.ndarray
    header: object
    path: Path


#: NIfTI's RGB24 voxel type: colour volumes that viewers show in colour.
RGB24 = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")])


def read_volume(path: str | os.PathLike) -> Volume:
    """Read a NIfTI or MINC volume without reorienting it; an RGB24 NIfTI becomes ``(X, Y, Z, 3)`` uint8.

    FileNotFoundError when missing; DataError when it is a folder (a DICOM series: convert it first), nibabel cannot
    read it, it is not 3-D (or 4-D with 1 or 3 channels), or it holds NaN / inf.
    """
    import nibabel as nib

    path = Path(path)
    if path.is_dir():
        raise DataError(_folder_message(path))
    check_exists(path)
    try:
        img = nib.load(str(path))
        data = np.asarray(img.dataobj)
    except Exception as exc:  # nibabel raises many types for corrupt files
        raise DataError(f"{path}: nibabel cannot read it ({type(exc).__name__}: {exc}); is the file complete "
                        "and a NIfTI / MINC1 volume?") from exc
    if data.dtype.names is not None:
        if set(data.dtype.names) != set(RGB24.names):
            raise DataError(f"{path}: voxels of type {data.dtype} are not RGB24 colour; store grey values or R, G, B")
        data = np.stack([data[c] for c in RGB24.names], axis=-1)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim not in (3, 4):
        raise DataError(f"{path}: expected a 3-D volume, got shape {data.shape}")
    check_finite(data, path)
    return Volume(data, np.asarray(img.affine, dtype=np.float64), img.header, path)


def _folder_message(path: Path) -> str:
    """Why a folder is not a volume, with the fix (a DICOM series is recognised by its files' DICM marker)."""
    files = [p for p in sorted(path.iterdir())[:50] if p.is_file()]
    if any(_is_dicom(p) for p in files):
        return (f"{path}: is a folder of DICOM files; convert the series to NIfTI first, e.g. "
                f"`dcm2niix -z y -o OUTDIR {path}`, and pass the .nii.gz it writes")
    return f"{path}: is a folder, not a volume file; pass a .nii, .nii.gz or .mnc file"


def _is_dicom(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(132)
    return head[128:132] == b"DICM" or path.suffix.lower() == ".dcm"


def check_not_constant(volume: Volume) -> None:
    """DataError naming the file when every voxel holds one value (an empty or failed export)."""
    low, high = volume.data.min(), volume.data.max()
    if low == high:
        raise DataError(f"{volume.path}: every voxel is {low.item()}; the volume holds no image (check the export "
                        "or the file you meant)")


def check_same_grid(volumes: Mapping[str, Volume]) -> None:
    """DataError naming the file when the volumes differ in grid shape or affine (atol 1e-3 mm)."""
    ref = next(iter(volumes.values()))
    for vol in volumes.values():
        if vol.data.shape[:3] != ref.data.shape[:3]:
            raise DataError(f"{vol.path}: shape {vol.data.shape[:3]} does not match {ref.path} "
                            f"({ref.data.shape[:3]}); {_RESAMPLE_HINT}")
        if not np.allclose(vol.affine, ref.affine, atol=1e-3):
            raise DataError(f"{vol.path}: its affine differs from that of {ref.path}; {_RESAMPLE_HINT}")


def _orientation(affine: np.ndarray) -> np.ndarray:
    from nibabel.orientations import io_orientation

    return io_orientation(affine)


def to_ras(data: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """The voxels of ``data`` (file order, ``(X, Y, Z[, C])``) reordered and flipped to RAS+."""
    from nibabel.orientations import apply_orientation

    return apply_orientation(data, _orientation(affine))


def ras_affine(affine: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The affine of the RAS+ voxels :func:`to_ras` makes from a volume of ``shape`` with ``affine``."""
    from nibabel.orientations import inv_ornt_aff

    return affine @ inv_ornt_aff(_orientation(affine), shape[:3])


def from_ras(data: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_ras`: RAS+ voxels back into the file order of ``affine``."""
    from nibabel.orientations import apply_orientation, axcodes2ornt, ornt_transform

    return apply_orientation(data, ornt_transform(axcodes2ornt("RAS"), _orientation(affine)))


def radiological_slices(volume: np.ndarray, axis: int) -> np.ndarray:
    """Cut an RAS+ volume ``(X, Y, Z[, C])`` along ``axis`` into radiological slices ``(S, H, W[, C])``.

    Rows from the high end of the second remaining axis, columns from the high end of the first, as the phantom is drawn.
    """
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0 (sagittal), 1 (coronal) or 2 (axial), got {axis}")
    stack = np.moveaxis(volume, axis, 0)  # (S, a, b[, C]) with a, b the remaining axes in order
    return np.ascontiguousarray(np.swapaxes(stack, 1, 2)[:, ::-1, ::-1])


def from_radiological(slices: np.ndarray, axis: int) -> np.ndarray:
    """Inverse of :func:`radiological_slices`: slices ``(S, H, W[, C])`` back into an RAS+ volume."""
    return np.ascontiguousarray(np.moveaxis(np.swapaxes(slices[:, ::-1, ::-1], 1, 2), 0, axis))


def to_slices(volume: Volume, axis: int = 2) -> np.ndarray:
    """A volume's radiological slices along the RAS+ ``axis`` (2 axial, 1 coronal, 0 sagittal)."""
    return radiological_slices(to_ras(volume.data, volume.affine), axis)


def from_slices(slices: np.ndarray, like: Volume, axis: int = 2) -> np.ndarray:
    """Slices from :func:`to_slices` of ``like`` back into ``like``'s voxel order and shape."""
    return from_ras(from_radiological(slices, axis), like.affine)


def write_volume(path: str | os.PathLike, data: np.ndarray, like: Volume, overwrite: bool = False,
                 colour: str = "rgb24") -> Path:
    """Write ``data`` (``like``'s voxel order, values in [0, 1]) atomically as ``.nii`` / ``.nii.gz`` with ``like``'s
    affine and header: grey as float32; colour ``(X, Y, Z, 3)`` as RGB24 (``colour="rgb24"``, shown in colour by
    viewers, 8 bits per channel) or as a float32 4-D volume (``colour="channels"``).

    ValueError for another suffix; FileExistsError when the file exists, or appears while writing, unless
    ``overwrite``.
    """
    import nibabel as nib

    path = Path(path)
    if not path.name.endswith((".nii", ".nii.gz")):
        raise ValueError(f"{path}: write NIfTI, with a .nii or .nii.gz suffix")
    if colour not in ("rgb24", "channels"):
        raise ValueError(f"colour must be 'rgb24' or 'channels', got {colour!r}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass overwrite=True (--overwrite) or choose another path")
    header = like.header.copy() if isinstance(like.header, nib.Nifti1Header) else None
    if data.ndim == 4 and colour == "rgb24":
        rgb = np.ascontiguousarray(np.round(np.clip(data, 0.0, 1.0) * 255.0).astype(np.uint8))
        img = nib.Nifti1Image(rgb.view(RGB24).reshape(rgb.shape[:-1]), like.affine, header)
        img.set_data_dtype(RGB24)
    else:
        img = nib.Nifti1Image(np.asarray(data, dtype=np.float32), like.affine, header)
        img.set_data_dtype(np.float32)
    img.header.set_slope_inter(1.0, 0.0)
    raw = img.to_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.compress(raw, compresslevel=6)
    return atomic_write(path, lambda fh: fh.write(raw), exclusive=not overwrite)
