"""Loaders for real scans: NIfTI, BrainWeb, Harvard atlas pairs and paired slice folders.

Each returns :class:`~ivan_core.core.subject.Subject` records: radiological slices of RAS+ volumes, each volume scaled
to [0, 1] by its values (:func:`~ivan_core.data.scaling.to_unit`; 8-bit image files by
:func:`~ivan_core.data.scaling.display_to_unit`), with a :func:`head_mask`. Errors (:class:`DataError`,
:class:`FileNotFoundError`) name the file, say what is wrong and how to fix it.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu

from ivan_core.core.subject import Subject, is_colour
from ivan_core.data.activity import COLOUR_SCALES
from ivan_core.data.errors import DataError, check_exists, check_finite
from ivan_core.data.scaling import display_to_unit, to_unit
from ivan_core.data.volumes import Volume, check_same_grid, radiological_slices, ras_affine, read_volume, to_ras

PathLike = str | os.PathLike

#: Modality folder names of each Harvard atlas pair, mapped to project names.
AANLIB_MODALITIES: dict[str, dict[str, str]] = {
    "CT-MRI": {"CT": "CT", "MRI": "T2"},
    "PET-MRI": {"PET": "PET_rgb", "MRI": "T1"},
    "SPECT-MRI": {"SPECT": "SPECT_rgb", "MRI": "T2"},
}
#: Cutting plane of the atlas cases that are not axial (from the data's README).
AANLIB_PLANES: dict[tuple[str, str], str] = {("PET-MRI", "25"): "coronal", ("PET-MRI", "30"): "sagittal"}
#: BrainWeb 1 mm volume size as (x, y, z).
BRAINWEB_SHAPE = (181, 217, 181)
#: World coordinates (mm) of the first BrainWeb voxel, (x, y, z).
BRAINWEB_START = (-90.0, -126.0, -72.0)
#: Image file suffixes :func:`load_paired_folder` reads besides ``.mat``.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


# ----------------------------------------------------------------------------- masks


def head_mask(images: Sequence[np.ndarray]) -> np.ndarray:
    """Head mask ``(S, H, W)`` bool of one subject's registered modalities, each ``(S, H, W[, 3])`` in [0, 1].

    The pixel-wise maximum over modalities above half its Otsu threshold, holes filled, the largest region kept per slice.
    """
    grey = [im.max(axis=-1) if im.ndim == 4 else im for im in images]
    combined = np.max(np.stack(grey), axis=0)
    if combined.max() <= combined.min():
        return np.zeros(combined.shape, dtype=bool)
    raw = combined > 0.5 * threshold_otsu(combined)
    mask = np.zeros_like(raw)
    for s, plane in enumerate(raw):
        labels, n = ndimage.label(ndimage.binary_fill_holes(plane))
        if n:
            sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, n + 1))
            mask[s] = labels == 1 + int(np.argmax(sizes))
    return mask


def _subject(name: str, images: dict[str, np.ndarray], meta: dict[str, Any], display: bool = False) -> Subject:
    """Scale each volume to [0, 1] (``display``: 8-bit image files, :func:`display_to_unit`), compute the head mask
    and build the record."""
    scale = display_to_unit if display else to_unit
    scaled = {key: scale(vol) for key, vol in images.items()}
    return Subject(name=name, images=scaled, mask=head_mask(list(scaled.values())), meta=meta)


# ----------------------------------------------------------------------------- volumes


def _slices(volume: np.ndarray, axis: int, slices: slice | Sequence[int] | None) -> np.ndarray:
    """Cut a RAS+ volume ``(X, Y, Z)`` into radiological slices ``(S, H, W)``, keeping ``slices``."""
    stack = radiological_slices(volume, axis)
    return np.ascontiguousarray(stack[slices]) if slices is not None else stack


def _volumes_to_subject(
    volumes: dict[str, tuple[np.ndarray, np.ndarray, Path]],
    name: str,
    axis: int,
    slices: slice | Sequence[int] | None,
    source: str,
) -> Subject:
    """Check registration, slice and build one Subject from RAS+ volumes."""
    check_same_grid({key: Volume(data, affine, None, path) for key, (data, affine, path) in volumes.items()})
    ref_data, ref_affine, _ = next(iter(volumes.values()))
    images = {}
    for key, (data, _, path) in volumes.items():
        if is_colour(key):
            if data.ndim != 4 or data.shape[3] != 3:
                raise DataError(
                    f"{path}: colour modality {key!r} needs an (X, Y, Z, 3) volume, got {data.shape}"
                )
            images[key] = np.stack([_slices(data[..., c], axis, slices) for c in range(3)], axis=-1)
        else:
            images[key] = _slices(data, axis, slices)
    meta = {
        "source": source,
        "files": {k: str(v[2]) for k, v in volumes.items()},
        "affine": ref_affine.tolist(),
        "axis": axis,
        "shape": list(ref_data.shape),
    }
    return _subject(name, images, meta)


def _read_volume(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a NIfTI or MINC volume reoriented to RAS+: data (X, Y, Z[, C]) and affine."""
    vol = read_volume(path)
    return to_ras(vol.data, vol.affine), ras_affine(vol.affine, vol.data.shape)


def _default_name(paths: Mapping[str, PathLike]) -> str:
    first = Path(next(iter(paths.values()))).name
    return re.sub(r"(\.nii)?(\.gz)?$|\.mnc$|\.rawb(\.gz)?$", "", first)


def load_nifti(
    paths: Mapping[str, PathLike],
    name: str | None = None,
    axis: int = 2,
    slices: slice | Sequence[int] | None = None,
) -> Subject:
    """Load registered NIfTI volumes of one subject as radiological slices ``(S, H, W[, 3])`` in [0, 1].

    Parameters
    ----------
    paths : mapping of str to path
        Modality (``"T1"``, ...) to ``.nii`` / ``.nii.gz`` file, all on one grid; ``*_rgb`` needs ``(X, Y, Z, 3)``.
    name : str, optional
        Subject name; default the first file's name without suffix.
    axis : int
        RAS+ axis to cut along: 0 sagittal, 1 coronal, 2 axial.
    slices : slice or sequence of int, optional
        Slices to keep (default all). ``meta["affine"]`` of the result is the volumes' RAS+ affine.
    """
    if not paths:
        raise ValueError("paths is empty; give at least one modality -> file")
    volumes = {}
    for key, p in paths.items():
        data, affine = _read_volume(Path(p))
        volumes[key] = (data, affine, Path(p))
    return _volumes_to_subject(volumes, name or _default_name(paths), axis, slices, "nifti")


def _read_brainweb(path: Path, shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Read a BrainWeb ``.rawb`` / ``.rawb.gz`` / ``.mnc`` volume as RAS+ (X, Y, Z) and affine."""
    check_exists(path)
    if path.name.endswith(".mnc"):
        return _read_volume(path)
    if not (path.name.endswith(".rawb") or path.name.endswith(".rawb.gz")):
        raise DataError(f"{path}: unknown BrainWeb format; expected .mnc, .rawb or .rawb.gz")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot decompress it ({exc}); is the download complete?") from exc
    expected = int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(
            f"{path}: holds {len(raw)} bytes, but an 8-bit volume of {shape[0]}x{shape[1]}x{shape[2]} "
            f"(x, y, z) needs {expected}; pass the right shape= or re-download the file"
        )
    # BrainWeb raw bytes: x fastest, then y, then z, i.e. a C-order (z, y, x) array.
    data = np.frombuffer(raw, dtype=np.uint8).reshape(shape[::-1]).transpose(2, 1, 0)
    affine = np.eye(4)
    affine[:3, 3] = BRAINWEB_START
    return np.ascontiguousarray(data), affine


def load_brainweb(
    paths: Mapping[str, PathLike],
    name: str | None = None,
    axis: int = 2,
    slices: slice | Sequence[int] | None = None,
    shape: tuple[int, int, int] = BRAINWEB_SHAPE,
) -> Subject:
    """Load BrainWeb volumes as distributed (https://brainweb.bic.mni.mcgill.ca); other arguments as :func:`load_nifti`.

    Parameters
    ----------
    paths : mapping of str to path
        Modality to ``.mnc`` (MINC1) or raw ``.rawb`` / ``.rawb.gz``: unsigned 8-bit, x fastest, then y, then z, on
        BrainWeb's 1 mm RAS+ grid starting at (-90, -126, -72) mm.
    shape : (int, int, int)
        Raw volume size (x, y, z); BrainWeb's 1 mm volumes are 181 x 217 x 181.
    """
    if not paths:
        raise ValueError("paths is empty; give at least one modality -> file")
    volumes = {}
    for key, p in paths.items():
        data, affine = _read_brainweb(Path(p), tuple(shape))
        volumes[key] = (data, affine, Path(p))
    return _volumes_to_subject(volumes, name or _default_name(paths), axis, slices, "brainweb")


# ----------------------------------------------------------------------------- slice folders


def _read_slice(path: Path, colour: bool) -> np.ndarray:
    """Read one 2-D slice: ``(H, W)`` grey or ``(H, W, 3)`` colour, raw dtype."""
    check_exists(path)
    try:
        if path.suffix.lower() == ".mat":
            from scipy.io import loadmat

            content = loadmat(str(path))
            if "data" not in content:
                keys = sorted(k for k in content if not k.startswith("__"))
                raise DataError(
                    f"{path}: no variable 'data' in the .mat file (it has {keys}); save the slice as 'data'"
                )
            array = np.asarray(content["data"])
        else:
            from PIL import Image

            with Image.open(path) as im:
                if colour:
                    im = im.convert("RGB")
                elif im.mode in ("RGB", "RGBA", "P", "LA"):
                    im = im.convert("L")
                array = np.asarray(im)
    except DataError:
        raise
    except Exception as exc:  # PIL and scipy raise many types for corrupt files
        raise DataError(
            f"{path}: cannot read it ({type(exc).__name__}: {exc}); is the file complete?"
        ) from exc
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    want = "(H, W, 3)" if colour else "(H, W)"
    if (colour and (array.ndim != 3 or array.shape[2] != 3)) or (not colour and array.ndim != 2):
        raise DataError(f"{path}: expected one {want} slice, got shape {array.shape}")
    check_finite(array, path)
    return array


def _stack(paths: Sequence[Path], colour: bool) -> np.ndarray:
    """Read slices and stack them, naming the first file whose shape differs."""
    arrays = [_read_slice(p, colour) for p in paths]
    for p, a in zip(paths, arrays):
        if a.shape != arrays[0].shape:
            raise DataError(
                f"{p}: shape {a.shape} differs from {paths[0]} ({arrays[0].shape}); all slices of a "
                "subject must have one size (resize or crop them)"
            )
    return np.stack(arrays)


def _pair_files(folders: Mapping[str, Path], suffixes: Sequence[str]) -> list[str]:
    """Stems present in every folder; DataError listing the unpaired ones."""
    stems: dict[str, dict[str, Path]] = {}
    for key, folder in folders.items():
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such folder (modality {key!r})")
        files = {p.stem: p for p in folder.iterdir() if p.suffix.lower() in suffixes}
        if not files:
            raise DataError(f"{folder}: no {'/'.join(suffixes)} files in this folder (modality {key!r})")
        stems[key] = files
    common = set.intersection(*(set(f) for f in stems.values()))
    unpaired = [str(f[s]) for f in stems.values() for s in sorted(set(f) - common)]
    if unpaired:
        shown = ", ".join(unpaired[:10]) + (f" and {len(unpaired) - 10} more" if len(unpaired) > 10 else "")
        raise DataError(
            f"unpaired files (no file of the same name in every modality folder): {shown}; "
            "add the missing partners or remove these files"
        )
    return sorted(common, key=_natural_key)


def _natural_key(text: str) -> list[Any]:
    """Sort key that orders ``"2" < "10"``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _files_of(
    folders: Mapping[str, Path], stems: Sequence[str], suffixes: Sequence[str]
) -> dict[str, list[Path]]:
    """The file of each stem, per modality."""
    found = {}
    for key, folder in folders.items():
        by_stem = {p.stem: p for p in folder.iterdir() if p.suffix.lower() in suffixes}
        found[key] = [by_stem[s] for s in stems]
    return found


def load_paired_folder(
    root: PathLike,
    modalities: Mapping[str, str] | None = None,
    subject_of: str | Callable[[str], str] | None = None,
) -> list[Subject]:
    """Load slice pairs laid out as in the iVAN authors' code: ``root/<folder>/<name>.<ext>``, one folder per modality.

    Files of one ``name`` in every folder are one slice: a ``.mat`` with a ``data`` array ``(H, W)`` (``(H, W, 3)`` for
    colour) or an image (png / jpg / tif / bmp). Returns one Subject per group, sorted, slices in natural name order.

    Parameters
    ----------
    modalities : mapping of str to str, optional
        Folder name to modality (``{"t1": "T1", "pet": "PET_rgb"}``; ``*_rgb`` reads colour); default every sub-folder.
    subject_of : str or callable, optional
        A regular expression whose first group, matched at the start of the stem, is the subject (e.g.
        ``r"(\\d+)\\d{3}"``), or a function of the stem. Default: the whole folder is one subject, named as ``root``.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    if modalities is None:
        folders_found = [p.name for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
        modalities = {name: name for name in folders_found}
        if not modalities:
            raise DataError(f"{root}: no modality sub-folders; expected root/<modality>/<name>.mat or .png")
    suffixes = (".mat",) + IMAGE_SUFFIXES
    folders = {key: root / folder for folder, key in modalities.items()}
    stems = _pair_files(folders, suffixes)
    files = _files_of(folders, stems, suffixes)

    if subject_of is None:
        group = {s: root.name for s in stems}
    elif callable(subject_of):
        group = {s: str(subject_of(s)) for s in stems}
    else:
        pattern = re.compile(subject_of)
        group = {}
        for i, s in enumerate(stems):
            match = pattern.match(s)
            if match is None or not match.groups():
                example = files[next(iter(files))][i]
                raise DataError(f"{example}: its name does not match subject_of={subject_of!r}")
            group[s] = match.group(1)

    subjects = []
    for subject in sorted(set(group.values()), key=_natural_key):
        idx = [i for i, s in enumerate(stems) if group[s] == subject]
        images = {key: _stack([files[key][i] for i in idx], is_colour(key)) for key in files}
        _check_same_size(images, {key: files[key][idx[0]] for key in files})
        meta = {"source": "paired_folder", "root": str(root), "slices": [stems[i] for i in idx]}
        subjects.append(_subject(subject, images, meta, display=True))
    return subjects


def _check_same_size(images: Mapping[str, np.ndarray], examples: Mapping[str, Path]) -> None:
    """DataError naming a file when the modalities of one subject differ in slice size."""
    ref = next(iter(images))
    for key, array in images.items():
        if array.shape[1:3] != images[ref].shape[1:3]:
            raise DataError(
                f"{examples[key]}: slices are {array.shape[1:3]}, but {examples[ref]} is "
                f"{images[ref].shape[1:3]}; paired slices must be registered at one size"
            )


# ----------------------------------------------------------------------------- Harvard atlas


def find_aanlib(path: PathLike | None = None) -> Path | None:
    """Locate the Harvard Whole Brain Atlas pairs, or None.

    ``path``; else ``$IVAN_AANLIB`` (set but empty: None); else ``<repo>/../shared/data/aanlib`` if it is a folder; else
    None. FileNotFoundError when ``path`` or a non-empty ``$IVAN_AANLIB`` is not a folder.
    """
    if path is None and "IVAN_AANLIB" in os.environ:
        if not os.environ["IVAN_AANLIB"]:
            return None
        path, source = os.environ["IVAN_AANLIB"], "IVAN_AANLIB"
    else:
        source = "path"
    if path is not None:
        found = Path(path).expanduser()
        if not found.is_dir():
            raise FileNotFoundError(f"{found} (from {source}): no such folder; point it at the Harvard "
                                    "atlas pairs, or set IVAN_AANLIB='' to run without them")
        return found
    beside_repo = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "aanlib"
    return beside_repo if beside_repo.is_dir() else None


def load_aanlib(
    root: PathLike | None = None,
    pair: str = "CT-MRI",
    cases: Sequence[int | str] | None = None,
) -> list[Subject]:
    """Load one Harvard Whole Brain Atlas pair (Johnson & Becker, https://www.med.harvard.edu/aanlib/), a Subject per case.

    Files ``<root>/<pair>/<MODALITY>/<case><3-digit slice>.png`` of one name are registered. CT-MRI gives ``CT`` and ``T2``;
    PET-MRI gives ``PET_rgb``, ``PET`` (8-bit, by :func:`~ivan_core.data.sequences.rgb_to_pet`) and ``T1``;
    SPECT-MRI gives ``SPECT_rgb``, ``SPECT`` (8-bit, by :func:`~ivan_core.data.sequences.rgb_to_spect`) and ``T2``.
    The colour images are 128 x 128 images enlarged by pixel repetition.

    Parameters
    ----------
    root : path, optional
        Folder holding the pair folders; default :func:`find_aanlib`.
    pair : {"CT-MRI", "PET-MRI", "SPECT-MRI"}
    cases : sequence of int or str, optional
        Cases to keep (e.g. ``[16, 20]``); subjects are ``aanlib-<pair>-<case>``, sorted by case.
    """
    found = find_aanlib(root)
    if found is None:
        raise FileNotFoundError(
            "Harvard atlas pairs not found: pass root=, or set IVAN_AANLIB, "
            "or place them at ../shared/data/aanlib"
        )
    if pair not in AANLIB_MODALITIES:
        raise ValueError(f"unknown pair {pair!r}; known pairs: {sorted(AANLIB_MODALITIES)}")
    folders = {key: found / pair / folder for folder, key in AANLIB_MODALITIES[pair].items()}
    stems = _pair_files(folders, (".png",))
    files = _files_of(folders, stems, (".png",))
    case_of = {}
    for i, stem in enumerate(stems):
        if not (stem.isdigit() and len(stem) >= 4):
            raise DataError(f"{files[next(iter(files))][i]}: expected a name <case><3-digit slice>.png")
        case_of[stem] = str(int(stem[:-3]))
    available = sorted(set(case_of.values()), key=int)
    wanted = available if cases is None else [str(int(c)) for c in cases]
    missing = [c for c in wanted if c not in available]
    if missing:
        raise ValueError(f"cases {missing} are not in {found / pair}; available: {available}")

    subjects = []
    for case in wanted:
        idx = sorted((i for i, s in enumerate(stems) if case_of[s] == case), key=lambda i: int(stems[i][-3:]))
        images = {key: _stack([files[key][i] for i in idx], is_colour(key)) for key in files}
        _check_same_size(images, {key: files[key][idx[0]] for key in files})
        for colour, (_, invert) in COLOUR_SCALES.items():  # e.g. SPECT_rgb -> the grey SPECT behind its colour scale
            if colour in images:  # colormap position as an 8-bit index, like the PNG it came from
                images[colour.removesuffix("_rgb")] = np.round(
                    invert(images[colour].astype(np.float32) / 255.0) * 255.0).astype(np.uint8)
        meta = {
            "source": "aanlib",
            "pair": pair,
            "case": int(case),
            "plane": AANLIB_PLANES.get((pair, case), "axial"),
            "slices": [int(stems[i][-3:]) for i in idx],
            "files": {key: [str(files[key][i]) for i in idx] for key in files},
        }
        subjects.append(_subject(f"aanlib-{pair}-{case}", images, meta, display=True))
    return subjects
