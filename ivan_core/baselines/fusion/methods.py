"""Every image-fusion method by name (:data:`METHODS`, :func:`fuse`).

All share the contract of :mod:`~ivan_core.baselines.fusion.rules`: grey ``(H, W)`` images in [0, 1] in and out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ivan_core.baselines.fusion.csmca import cs_mca
from ivan_core.baselines.fusion.lpcnn import lp_cnn
from ivan_core.baselines.fusion.lrd import lrd
from ivan_core.baselines.fusion.rules import FusionFn, average, dwt, laplacian_pyramid, lp_sr, maximum
from ivan_core.core.subject import Subject

#: Every method by name: pixel rules, multi-scale transforms and the paper's LP-SR, LRD, CS-MCA and LP-CNN.
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

#: Methods slow enough to spread over processes slice by slice.
COSTLY: frozenset[str] = frozenset({"cs_mca"})


def fuse(method: str, a, b):
    """Fuse grey ``(H, W)`` images ``a``, ``b`` in [0, 1] with ``METHODS[method]``; an unknown name raises ValueError."""
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
