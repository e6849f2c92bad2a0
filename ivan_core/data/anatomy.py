"""Fuzzy tissue memberships of a head, built from the MNI ICBM152 2009a template.

The anatomy comes from the 1 mm ICBM152 2009a template and its grey-matter and
white-matter probability maps that nilearn ships (no download):
``nilearn.datasets.load_mni152_template``, ``load_mni152_gm_template`` and
``load_mni152_wm_template``. That template is *skull-stripped*: it holds the
brain only, so the layers outside the brain are built by morphology. Each class
is derived as follows (distances in mm, 1 mm voxels):

* **brain mask** - template intensity > 0 (the template is zero outside the
  brain);
* **closed brain** - the brain mask closed by three dilations then three
  erosions with the 18-neighbour structuring element (about a 3 mm ball), which
  fills the sulci, then its holes filled. ``distance`` is the signed distance
  to its surface, positive outside: the exact Euclidean distance transform
  outside, and inside the number of further erosions a voxel survives, capped
  at :data:`DEPTH_MM` (only the first millimetres inside matter, for partial
  volume at the CSF edge);
* **intracranial region** - ``distance < csf_mm``: the closed brain plus a rim of
  subarachnoid CSF of ``csf_mm`` (default 1.5 mm);
* **GM, WM** - the template's probability maps, scaled down where their sum
  exceeds the intracranial fraction;
* **CSF** - intracranial fraction minus GM minus WM (ventricles, sulci, rim);
* **skull** - a shell ``csf_mm <= distance < csf_mm + skull_mm`` (default 6.5 mm);
* **fat** - the next shell, subcutaneous scalp fat (default 3.5 mm);
* **muscle/skin** - the outermost shell (default 2.5 mm);
* **air** - everything beyond.

Shell edges are partial-volume ramps: a voxel ``x`` mm outside an edge holds
``clip(0.5 - x / ramp_mm, 0, 1)`` of the inner side, the exact fraction for a
flat edge through a box voxel of width ``ramp_mm`` (the pixel size). The
memberships of the seven classes of :data:`~ivan_core.data.tissue.TISSUES` then
sum to 1 everywhere. The parsed template is cached in memory
(:func:`functools.lru_cache`), so only the first call pays the ~4 s it takes
(half of it importing nilearn).
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
#: Margin kept around the brain when cropping the template, in mm: room for the
#: extracranial shells and for subject deformations.
MARGIN_MM = 24
#: Default shell thicknesses in mm: subarachnoid CSF rim, skull, scalp fat, muscle/skin.
DEFAULT_SHELLS_MM: dict[str, float] = {"csf": 1.5, "skull": 6.5, "fat": 3.5, "skin": 2.5}
_BALL = ndimage.generate_binary_structure(3, 2)


@dataclass(frozen=True)
class Anatomy:
    """The template head on its 1 mm grid, cropped around the brain.

    Attributes
    ----------
    gm, wm : ndarray of float32, shape (X, Y, Z)
        Grey- and white-matter probabilities, RAS+ axes.
    distance : ndarray of float32, shape (X, Y, Z)
        Signed distance to the closed-brain surface in mm, positive outside.
    origin_mm : ndarray of float, shape (3,)
        World (MNI) coordinates of voxel ``[0, 0, 0]``; voxels are 1 mm.
    centre_mm : ndarray of float, shape (3,)
        World coordinates of the centre of the brain's bounding box.
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
    """Signed distance (mm) to the surface of ``closed``, positive outside, >= -DEPTH_MM - 0.5.

    The surface lies half a voxel outside the centres of the boundary voxels.
    """
    outside = ndimage.distance_transform_edt(~closed) - 0.5
    depth = np.zeros(closed.shape, dtype=np.float32)
    core = closed
    for _ in range(DEPTH_MM):
        core = ndimage.binary_erosion(core, _BALL)
        depth += core
    return np.where(closed, -(depth + 0.5), outside).astype(np.float32)


@lru_cache(maxsize=1)
def load_anatomy() -> Anatomy:
    """Load the ICBM152 2009a template and derive the head geometry (cached).

    Returns
    -------
    Anatomy
        Grey/white probabilities and the signed distance to the closed brain,
        cropped to the brain's bounding box plus :data:`MARGIN_MM`.
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
    """Fuzzy memberships of the seven tissue classes.

    Parameters
    ----------
    gm, wm : ndarray, shape (...)
        Grey- and white-matter probabilities.
    distance : ndarray, shape (...)
        Signed distance to the closed-brain surface in mm, positive outside.
    shells_mm : dict, optional
        Thicknesses ``csf``, ``skull``, ``fat``, ``skin`` in mm; missing keys
        take :data:`DEFAULT_SHELLS_MM`.
    ramp_mm : float
        Width of the partial-volume ramp at shell edges (the pixel size).

    Returns
    -------
    ndarray of float32, shape (7, ...)
        Memberships in :data:`~ivan_core.data.tissue.TISSUES` order, summing to 1.
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
    """Memberships of one undeformed axial template slice, for figures.

    Parameters
    ----------
    z_mm : float
        MNI z coordinate of the slice.
    shells_mm : dict, optional
        Shell thicknesses, see :func:`tissue_memberships`.

    Returns
    -------
    ndarray of float32, shape (7, H, W)
        Rows run anterior to posterior, columns the subject's right to left
        (radiological view), 1 mm pixels.
    """
    anatomy = load_anatomy()
    z = int(round(anatomy.to_voxel(z_mm, 2)))
    if not 0 <= z < anatomy.gm.shape[2]:
        raise ValueError(f"z_mm={z_mm} lies outside the template head")
    view = (slice(None, None, -1), slice(None, None, -1), z)  # x: right->left, y: anterior->posterior
    planes = [a[view].T for a in (anatomy.gm, anatomy.wm, anatomy.distance)]
    return tissue_memberships(*planes, shells_mm=shells_mm)
