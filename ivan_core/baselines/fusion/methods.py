"""Every image-fusion method by name: the classical baselines and the paper's comparison methods.

``fuse("lrd", a, b)`` is the one way to call a method by name (notebook 06, the teacher labels of
:mod:`ivan_core.baselines.fusion.methods`, ``ivan fuse --method``). All share the contract of
:mod:`ivan_core.baselines.fusion.rules`: two registered grey images ``(H, W)`` in [0, 1] in, the fused
image of the same shape in [0, 1] out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ivan_core.baselines.fusion.csmca import cs_mca
from ivan_core.baselines.fusion.lpcnn import lp_cnn
from ivan_core.baselines.fusion.lrd import lrd
from ivan_core.baselines.fusion.rules import FusionFn, average, dwt, laplacian_pyramid, lp_sr, maximum
from ivan_core.core.subject import Subject

#: Every method by name: pixel rules, multi-scale transforms, and the paper's Table III methods
#: (LP-SR, LRD, CS-MCA, LP-CNN).
METHODS: dict[str, FusionFn] = {
    "average": average,
    "maximum": maximum,
    "laplacian_pyramid": laplacian_pyramid,
    "dwt": dwt,
    "lp_sr": lp_sr,
    "lrd": lrd,
    "cs_mca": cs_mca,
    "lp_cnn": lp_cnn,
}

#: Methods worth spreading over processes slice by slice: CS-MCA's convolutional sparse coding takes
#: about 40 CPU-seconds per 256x256 pair and 9 per 128x128 pair (one thread); the others a second or less.
COSTLY: frozenset[str] = frozenset({"cs_mca"})


def fuse(method: str, a, b):
    """Fuse two grey images with the method named ``method``.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS` (``"average"``, ``"maximum"``, ``"laplacian_pyramid"``,
        ``"dwt"``, ``"lp_sr"``, ``"lrd"``, ``"cs_mca"``, ``"lp_cnn"``).
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1].

    Returns
    -------
    ndarray, shape (H, W)
        Fused image in [0, 1].

    Raises
    ------
    ValueError
        If ``method`` is unknown (the message lists the available names).
    """
    if method not in METHODS:
        raise ValueError(f"unknown fusion method {method!r}; available: {', '.join(sorted(METHODS))}")
    return METHODS[method](a, b)


def add_fusion_label(subjects: Sequence[Subject], method: str, sources: tuple[str, str] = ("T2", "CT"),
                     label: str = "FUSED") -> list[Subject]:
    """Copies of ``subjects`` with ``images[label]`` = ``method`` fusion of the two sources, slice by slice."""
    a, b = sources
    out = []
    for s in subjects:
        fused = np.stack([fuse(method, s[a][k], s[b][k]) for k in range(s.n_slices)]).astype(np.float32)
        out.append(Subject(s.name, {**s.images, label: fused}, s.mask, s.labels,
                           {**s.meta, "fusion_label": method}))
    return out
