"""Virtual subjects: registered T1, T2, PD, CT and FDG PET slices of a simulated head.

Each subject is the template head of :mod:`ivan_core.data.anatomy` with its own random affine and elastic warp,
shell thicknesses, tissue values (:mod:`ivan_core.data.tissue`) and acquisition noise (:mod:`ivan_core.data.sequences`),
sampled onto axial slices in radiological view. Subject ``i`` is drawn from ``default_rng([seed, i])``.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import tempfile
import zipfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage
from tqdm.auto import tqdm

from ivan_core.core.subject import Subject
from ivan_core.data.anatomy import Anatomy, load_anatomy, tissue_memberships
from ivan_core.data.sequences import ct_image, mr_image, pet_activity, pet_to_rgb, rician_mean, tissue_signals
from ivan_core.data.tissue import TISSUE_PARAMS, TISSUES, TissueParams, tissue_names

#: Bump when the generator changes, so stale cache files are not reused.
FORMAT_VERSION = 2
#: Grey modalities the phantom provides, in order (``PET_rgb`` is added on top).
MODALITIES = ("T1", "T2", "PD", "CT", "PET")
#: Percentile inside the head that maps to 1 when scaling MR and PET volumes.
SCALE_PERCENTILE = 99.5
#: Where the PET's 99.5th percentile inside the head lands on [0, 1] (where the Harvard atlas FDG images put theirs).
PET_PEAK = 0.85
#: Distance (mm) given to points outside the template: far outside the head.
_FAR_MM = 1000.0
_AIR = next(code for code, name in TISSUES.items() if name == "air")


def cache_dir() -> Path:
    """Folder for cached data sets: ``$IVAN_DATA_DIR``, else ``<repo>/data/cache`` in a checkout, else ``~/.cache/ivan``."""
    env = os.environ.get("IVAN_DATA_DIR")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "data").is_dir() and (repo / "ivan_core").is_dir():
        return repo / "data" / "cache"
    return Path.home() / ".cache" / "ivan"


def _jitter_params(rng: np.random.Generator) -> list[TissueParams]:
    """Subject-specific tissue parameters, in label order."""
    out = []
    for name in tissue_names():
        p = TISSUE_PARAMS[name]
        relax = rng.uniform(0.95, 1.05, size=3)
        bone = name == "skull"
        out.append(
            replace(
                p,
                t1=p.t1 * relax[0],
                t2=p.t2 * relax[1],
                t2s=p.t2s * relax[2],
                pd=p.pd * rng.uniform(0.97, 1.03),
                hu=p.hu * rng.uniform(0.85, 1.15) if bone else p.hu + rng.uniform(-3.0, 3.0),
                fdg=p.fdg * rng.uniform(0.9, 1.1),
            )
        )
    return out


def _warp(size: int, fov_mm: float, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    """Template-space (x, y) in mm of every output pixel, ``(2, size, size)``, and the random affine parameters."""
    pixel = fov_mm / size
    centred = (np.arange(size) + 0.5 - size / 2) * pixel
    rows, cols = np.meshgrid(centred, centred, indexing="ij")
    out_xy = np.stack([-cols, -rows])  # radiological: column 0 = right (+x), row 0 = anterior (+y)

    params = {
        "angle_deg": float(rng.uniform(-6.0, 6.0)),
        "scale": float(rng.uniform(0.92, 1.08)),
        "anisotropy": float(rng.uniform(-0.04, 0.04)),
        "shift_x_mm": float(rng.normal(0.0, 3.0)),
        "shift_y_mm": float(rng.normal(0.0, 3.0)),
    }
    a = np.deg2rad(params["angle_deg"])
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    stretch = params["scale"] * np.diag([1.0 + params["anisotropy"], 1.0 - params["anisotropy"]])
    xy = np.tensordot(rotation @ stretch, out_xy, axes=1)
    xy += np.array([params["shift_x_mm"], params["shift_y_mm"]])[:, None, None]

    knots = rng.normal(0.0, 2.5, size=(2, 5, 5))
    grid = np.meshgrid(np.linspace(0, 4, size), np.linspace(0, 4, size), indexing="ij")
    xy += np.stack([ndimage.map_coordinates(k, grid, order=3, mode="nearest") for k in knots])
    return xy, params


def _sample(
    volume: np.ndarray, z_vox: np.ndarray, xy_vox: np.ndarray, sigma_vox: float, cval: float
) -> np.ndarray:
    """Sample ``volume`` (X, Y, Z) at fractional ``z_vox`` (S,) and in-plane ``xy_vox`` (2, H, W): float32 (S, H, W)."""
    z0 = np.floor(z_vox).astype(int)
    pairs = np.clip(np.stack([z0, z0 + 1], axis=1).ravel(), 0, volume.shape[2] - 1)
    stack = volume[:, :, pairs]  # (X, Y, 2S): slices below and above each target
    if sigma_vox > 0:
        stack = ndimage.gaussian_filter(stack, sigma=(sigma_vox, sigma_vox, 0.0), mode="nearest")
    n, (h, w) = len(z_vox), xy_vox.shape[1:]
    coords = np.empty((3, n, h, w))
    coords[0] = xy_vox[0]
    coords[1] = xy_vox[1]
    coords[2] = (2 * np.arange(n) + (z_vox - z0))[:, None, None]
    return ndimage.map_coordinates(stack, coords, order=1, mode="constant", cval=cval).astype(np.float32)


def _scale(volume: np.ndarray, mask: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """Divide by the :data:`SCALE_PERCENTILE` inside ``mask`` (of ``like``, default ``volume``) and clip to [0, 1]."""
    like = volume if like is None else like
    top = float(np.percentile(like[mask], SCALE_PERCENTILE)) if mask.any() else float(like.max())
    return np.clip(volume / max(top, 1e-12), 0.0, 1.0).astype(np.float32)


def _simulate(anatomy: Anatomy, index: int, settings: dict[str, Any], clean: dict[str, np.ndarray] | None = None,
              mean: bool = True) -> Subject:
    """Generate virtual subject ``index``; ``clean``, when given, receives the images of :func:`noise_free`."""
    rng = np.random.default_rng([settings["seed"], index])
    size, fov = settings["size"], settings["fov_mm"]
    pixel = fov / size

    xy_mm, transform = _warp(size, fov, rng)
    xy_vox = np.stack([anatomy.to_voxel(anatomy.centre_mm[a] + xy_mm[a], a) for a in (0, 1)])
    z_mm = np.linspace(*settings["slab_mm"], settings["n_slices"]) + rng.uniform(-3.0, 3.0)
    z_vox = anatomy.to_voxel(z_mm, 2)
    if z_vox.min() < 0 or z_vox.max() > anatomy.gm.shape[2] - 2:
        low, high = anatomy.origin_mm[2] + 3.0, anatomy.origin_mm[2] + anatomy.gm.shape[2] - 5.0
        raise ValueError(
            f"slab_mm={settings['slab_mm']} leaves the template head; keep it within ({low:.0f}, {high:.0f})"
        )
    shells = {
        "csf": float(rng.uniform(1.0, 2.5)),
        "skull": float(rng.uniform(5.0, 8.0)),
        "fat": float(rng.uniform(2.5, 5.0)),
        "skin": float(rng.uniform(1.5, 3.5)),
    }
    sigma = max(0.0, (pixel - 1.0) / 2.0)
    gm = _sample(anatomy.gm, z_vox, xy_vox, sigma, 0.0)
    wm = _sample(anatomy.wm, z_vox, xy_vox, sigma, 0.0)
    distance = _sample(anatomy.distance, z_vox, xy_vox, 0.0, _FAR_MM)
    memberships = tissue_memberships(gm, wm, distance, shells, ramp_mm=max(pixel, 1.0))
    mask = memberships[_AIR] < 0.5

    params = _jitter_params(rng)
    images = {}
    for weighting in ("T1", "T2", "PD"):
        signals = tissue_signals(params, weighting)
        quiet = copy.deepcopy(rng) if clean is not None else None  # the same non-uniformity field, no noise
        image = mr_image(memberships, signals, rng, settings["noise"], settings["inu"])
        images[weighting] = _scale(image, mask)
        if clean is not None:
            signal = mr_image(memberships, signals, quiet, 0.0, settings["inu"])
            if mean:
                signal = rician_mean(signal, settings["noise"] * float(np.max(signals)))
            clean[weighting] = _scale(signal, mask, like=image)
    hounsfield, uptake = np.array([p.hu for p in params]), np.array([p.fdg for p in params])
    if clean is not None:
        clean["CT"] = ct_image(memberships, hounsfield, copy.deepcopy(rng), noise_hu=0.0)
    images["CT"] = ct_image(memberships, hounsfield, rng)
    pet = pet_activity(memberships, uptake, rng, pixel_mm=pixel)
    images["PET"] = PET_PEAK * _scale(pet, mask)
    if clean is not None:
        clean["PET"] = PET_PEAK * _scale(pet_activity(memberships, uptake, rng, pixel_mm=pixel, counts=None), mask, like=pet)
    meta = {
        "source": "phantom",
        "seed": settings["seed"],
        "index": index,
        "z_mm": [float(z) for z in z_mm],
        "pixel_mm": pixel,
        "transform": transform,
        "shells_mm": shells,
        "tissue_params": {name: asdict(p) for name, p in zip(tissue_names(), params)},
        "tissues": {str(k): v for k, v in TISSUES.items()},
    }
    return _record(index, images, mask, memberships.argmax(axis=0).astype(np.uint8), meta)


def _record(
    index: int, grey: dict[str, np.ndarray], mask: np.ndarray, labels: np.ndarray, meta: dict[str, Any]
) -> Subject:
    """Build the Subject, adding ``PET_rgb`` from ``PET``."""
    images = {m: grey[m] for m in MODALITIES}
    images["PET_rgb"] = pet_to_rgb(images["PET"])
    return Subject(name=f"phantom-{index:03d}", images=images, mask=mask, labels=labels, meta=meta)


def _save(path: Path, subject: Subject) -> None:
    """Write ``subject`` (without ``PET_rgb``, recomputed on load) atomically as .npz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                mask=subject.mask,
                labels=subject.labels,
                meta=np.array(json.dumps(subject.meta)),
                **{m: subject.images[m] for m in MODALITIES},
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path, index: int) -> Subject | None:
    """Read a cached subject; None when the file is missing or unreadable."""
    try:
        with np.load(path) as z:
            grey = {m: z[m] for m in MODALITIES}
            return _record(index, grey, z["mask"], z["labels"], json.loads(str(z["meta"])))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def _cache_path(settings: dict[str, Any], index: int) -> Path:
    """Cache file of one subject, keyed by a hash of everything that shapes it."""
    key = json.dumps({**settings, "index": index, "format": FORMAT_VERSION}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / "phantom" / f"phantom-{index:03d}-{digest}.npz"


def noise_free(subject: Subject, mean: bool = True, **settings: Any) -> Subject:
    """The images of a phantom subject without their noise, on its own [0, 1] scale: the noise ceiling of synthesis.

    The subject is simulated again with the same random draws, leaving the noise out.

    Parameters
    ----------
    subject : Subject
        A subject of :func:`make_phantom`.
    mean : bool
        True: for MR the mean of the noisy magnitude (:func:`~ivan_core.data.sequences.rician_mean`), the best
        mean-squared prediction (CT and PET noise has zero mean). False: the noise-free signal.
    **settings
        The other :func:`make_phantom` arguments (``noise``, ``inu``, ``slab_mm``, ``fov_mm``) where not the defaults.

    Returns
    -------
    Subject
        Same name, mask, labels and meta; float32 images in [0, 1] as those of :func:`make_phantom`.

    Raises
    ------
    ValueError
        When ``subject`` is not a phantom subject, or ``settings`` do not reproduce its images.
    """
    meta = subject.meta
    if meta.get("source") != "phantom" or "seed" not in meta or "index" not in meta:
        raise ValueError(f"subject {subject.name!r} is not a phantom subject (make_phantom)")
    n_slices, size = subject.mask.shape[:2]
    defaults = {k: inspect.signature(make_phantom).parameters[k].default for k in ("noise", "inu", "slab_mm", "fov_mm")}
    unknown = set(settings) - set(defaults)
    if unknown:
        raise ValueError(f"unknown phantom settings {sorted(unknown)}; use {sorted(defaults)}")
    given = {**defaults, **settings}
    full = {"seed": int(meta["seed"]), "size": int(size), "n_slices": int(n_slices), "noise": float(given["noise"]),
            "inu": float(given["inu"]), "slab_mm": [float(v) for v in given["slab_mm"]], "fov_mm": float(given["fov_mm"])}
    clean: dict[str, np.ndarray] = {}
    again = _simulate(load_anatomy(), int(meta["index"]), full, clean=clean, mean=mean)
    for m in MODALITIES:
        if m not in subject.images or subject[m].shape != again[m].shape or not np.allclose(subject[m], again[m], atol=1e-5):
            raise ValueError(f"phantom settings {given} do not reproduce {subject.name!r} ({m}): pass the make_phantom "
                             "arguments it was made with (and all its slices)")
    images = {m: clean[m] for m in MODALITIES}
    images["PET_rgb"] = pet_to_rgb(images["PET"])
    return Subject(name=subject.name, images=images, mask=subject.mask, labels=subject.labels, meta=dict(meta))


def make_phantom(
    n_subjects: int,
    seed: int = 0,
    size: int = 256,
    n_slices: int = 24,
    noise: float = 0.03,
    inu: float = 0.2,
    slab_mm: tuple[float, float] = (-10.0, 60.0),
    fov_mm: float = 240.0,
    cache: bool = True,
    progress: bool = True,
) -> list[Subject]:
    """Simulate registered multi-modal slices of ``n_subjects`` virtual subjects (``phantom-000``, ...).

    Parameters
    ----------
    n_subjects, seed : int
        How many subjects; the same seed gives byte-identical data.
    size, n_slices : int
        Slices of ``size x size`` pixels (>= 16); axial slices per subject, evenly spaced over ``slab_mm``.
    noise, inu : float
        MR noise as a fraction of the brightest tissue signal; peak-to-peak MR non-uniformity (0.2 = 20%).
    slab_mm, fov_mm
        MNI z range (low, high) of the slices and side of the square field of view, in mm.
    cache, progress : bool
        Reuse and write per-subject ``.npz`` files under :func:`cache_dir`; show a progress bar.

    Returns
    -------
    list of Subject
        ``T1``, ``T2``, ``PD``, ``CT``, ``PET`` ``(n_slices, size, size)`` and ``PET_rgb`` ``(n_slices, size, size, 3)``,
        float32 in [0, 1]; tissue ``labels`` (:data:`~ivan_core.data.tissue.TISSUES`) and head ``mask``.

    Raises
    ------
    ValueError
        When ``n_subjects`` or ``n_slices`` < 1, ``size`` < 16, or ``slab_mm`` is not (low, high).
    """
    if n_subjects < 1 or n_slices < 1:
        raise ValueError(f"need n_subjects >= 1 and n_slices >= 1, got {n_subjects} and {n_slices}")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    if not slab_mm[0] <= slab_mm[1]:
        raise ValueError(f"slab_mm must be (low, high), got {slab_mm}")
    settings = {
        "seed": int(seed),
        "size": int(size),
        "n_slices": int(n_slices),
        "noise": float(noise),
        "inu": float(inu),
        "slab_mm": [float(slab_mm[0]), float(slab_mm[1])],
        "fov_mm": float(fov_mm),
    }
    subjects = []
    for index in tqdm(range(n_subjects), desc="phantom subjects", disable=not progress):
        path = _cache_path(settings, index)
        subject = _load(path, index) if cache and path.exists() else None
        if subject is None:
            subject = _simulate(load_anatomy(), index, settings)
            if cache:
                _save(path, subject)
        subjects.append(subject)
    return subjects
