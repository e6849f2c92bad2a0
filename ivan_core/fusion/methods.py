"""Every image-fusion method by name: the classical baselines and the paper's comparison methods.

``fuse("lrd", a, b)`` is the one way to call a method by name (notebook 06, the teacher labels of
:mod:`ivan_core.fusion.supervision`, ``ivan fuse --method``). All share the contract of
:mod:`ivan_core.fusion.baselines`: two registered grey images ``(H, W)`` in [0, 1] in, the fused
image of the same shape in [0, 1] out.
"""

from __future__ import annotations

from ivan_core.fusion.baselines import FusionFn, average, dwt, laplacian_pyramid, lp_sr, maximum
from ivan_core.fusion.csmca import cs_mca
from ivan_core.fusion.lpcnn import lp_cnn
from ivan_core.fusion.lrd import lrd

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
