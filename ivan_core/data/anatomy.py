"""Fuzzy tissue memberships of a head, built from the 1 mm MNI ICBM152 2009a template that nilearn ships.

The template is skull-stripped: GM and WM are its probability maps, CSF fills the rest of the intracranial region,
and skull, scalp fat and muscle/skin are shells at a signed distance from the closed brain (sulci filled), with
partial-volume ramps at their edges; air is everything beyond. The memberships of the seven classes sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from ivan_core.data.tissue import TISSUES

#: Iterations of the closing (18-neighbour element) that fills the sulci.
CLOSING_ITERATIONS = 3
#: Depth in mm down to which distances inside the closed brain are resolved.
DEPTH_MM = 3
#: Margin (mm) kept around the brain when cropping: room for the extracranial shells and deformations.
MARGIN_MM = 24
#: Default shell thicknesses in mm: subarachnoid CSF rim, skull, scalp fat, muscle/skin.
DEFAULT_SHELLS_MM: dict[str, float] = {"csf": 1.5, "skull": 6.5, "fat": 3.5, "skin": 2.5}
_BALL = ndimage.generate_binary_structure(3, 2)


@dataclass(frozen=True)
class Anatomy:
    """The template head on its 1 mm RAS+ grid, cropped around the brain.

    Attributes
    ----------
    gm, wm, distance : ndarray of float32, shape (X, Y, Z)
        Grey/white-matter probabilities; signed distance (mm) to the closed-brain surface, positive outside.
    origin_mm, centre_mm : ndarray of float, shape (3,)
        MNI coordinates of voxel ``[0, 0, 0]`` and of the centre of the brain's bounding box.
    """

    gm: np.ndarray
    wm: np.ndarray
    distance: np.ndarray
    origin_mm: np.ndarray
    centre_mm: np.ndarray

    def to_voxel(self, world_mm: np.ndarray, axis: int) -> np.ndarray:
        """World coordinate(s) along ``axis`` (0=x, 1=y, 2=z) to voxel index (float)."""
        return np.asarray(world_mm, dtype=np.float64) - self.origin_mm[axis]


def _signed_distance(closed: np.ndarray) -> np.ndarray:
    """Signed distance (mm) to the surface of ``closed``, positive outside; inside by erosions, down to -DEPTH_MM - 0.5."""
    outside = ndimage.distance_transform_edt(~closed) - 0.5
    depth = np.zeros(closed.shape, dtype=np.float32)
    core = closed
    for _ in range(DEPTH_MM):
        core = ndimage.binary_erosion(core, _BALL)
        depth += core
    return np.where(closed, -(depth + 0.5), outside).astype(np.float32)


@lru_cache(maxsize=1)
def load_anatomy() -> Anatomy:
    """Load the ICBM152 2009a template and derive the head geometry, cropped to the brain plus :data:`MARGIN_MM` (cached).

    RuntimeError when the template is not a 1 mm RAS+ grid.
    """
    from nilearn import datasets  # slow import, only needed here

    template = datasets.load_mni152_template(resolution=1)
    gm_img = datasets.load_mni152_gm_template(resolution=1)
    wm_img = datasets.load_mni152_wm_template(resolution=1)
    affine = template.affine
    if not np.allclose(affine[:3, :3], np.eye(3)):
        raise RuntimeError(f"expected a 1 mm RAS+ MNI template, got affine\n{affine}")
    intensity = np.asarray(template.dataobj, dtype=np.float32)
    brain = intensity > 0

    lo = np.maximum(np.argwhere(brain).min(axis=0) - MARGIN_MM, 0)
    hi = np.minimum(np.argwhere(brain).max(axis=0) + MARGIN_MM + 1, brain.shape)
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    closed = ndimage.binary_closing(brain[box], _BALL, iterations=CLOSING_ITERATIONS)
    distance = _signed_distance(ndimage.binary_fill_holes(closed))

    origin = affine[:3, 3] + lo
    brain_idx = np.argwhere(brain[box])
    centre = origin + (brain_idx.min(axis=0) + brain_idx.max(axis=0)) / 2.0
    return Anatomy(
        gm=np.asarray(gm_img.dataobj, dtype=np.float32)[box].copy(),
        wm=np.asarray(wm_img.dataobj, dtype=np.float32)[box].copy(),
        distance=distance,
        origin_mm=origin.astype(np.float64),
        centre_mm=centre.astype(np.float64),
    )


def _inside(distance: np.ndarray, edge_mm: float, ramp_mm: float) -> np.ndarray:
    """Fraction of each voxel on the inner side of the surface ``distance == edge_mm``."""
    return np.clip(0.5 - (distance - edge_mm) / ramp_mm, 0.0, 1.0)


def tissue_memberships(
    gm: np.ndarray,
    wm: np.ndarray,
    distance: np.ndarray,
    shells_mm: dict[str, float] | None = None,
    ramp_mm: float = 1.0,
) -> np.ndarray:
    """Fuzzy memberships ``(7, ...)`` float32 in :data:`~ivan_core.data.tissue.TISSUES` order, summing to 1.

    Parameters
    ----------
    gm, wm : ndarray, shape (...)
        Grey- and white-matter probabilities (scaled down where their sum exceeds the intracranial fraction).
    distance : ndarray, shape (...)
        Signed distance to the closed-brain surface in mm, positive outside.
    shells_mm : dict, optional
        Thicknesses ``csf``, ``skull``, ``fat``, ``skin`` in mm; missing keys take :data:`DEFAULT_SHELLS_MM`.
    ramp_mm : float
        Width of the partial-volume ramp at shell edges (the pixel size).
    """
    shells = {**DEFAULT_SHELLS_MM, **(shells_mm or {})}
    edges = np.cumsum([shells["csf"], shells["skull"], shells["fat"], shells["skin"]])
    ramp = max(float(ramp_mm), 1e-3)
    inner = [_inside(distance, e, ramp) for e in edges]  # intracranial, +skull, +fat, +skin

    intracranial = inner[0]
    brain = gm + wm
    scale = np.where(brain > intracranial, intracranial / np.maximum(brain, 1e-6), 1.0)
    gm_f, wm_f = gm * scale, wm * scale
    by_name = {
        "air": 1.0 - inner[3],
        "CSF": np.clip(intracranial - gm_f - wm_f, 0.0, 1.0),
        "GM": gm_f,
        "WM": wm_f,
        "fat": inner[2] - inner[1],
        "muscle/skin": inner[3] - inner[2],
        "skull": inner[1] - inner[0],
    }
    return np.stack([by_name[TISSUES[k]] for k in sorted(TISSUES)]).astype(np.float32)


def template_slice(z_mm: float = 10.0, shells_mm: dict[str, float] | None = None) -> np.ndarray:
    """Memberships ``(7, H, W)`` of the undeformed axial template slice at MNI ``z_mm``: 1 mm pixels, radiological view.

    ``shells_mm`` as :func:`tissue_memberships`. ValueError when ``z_mm`` lies outside the template head.
    """
    anatomy = load_anatomy()
    z = int(round(anatomy.to_voxel(z_mm, 2)))
    if not 0 <= z < anatomy.gm.shape[2]:
        raise ValueError(f"z_mm={z_mm} lies outside the template head")
    view = (slice(None, None, -1), slice(None, None, -1), z)  # x: right->left, y: anterior->posterior
    planes = [a[view].T for a in (anatomy.gm, anatomy.wm, anatomy.distance)]
    return tissue_memberships(*planes, shells_mm=shells_mm)
