"""Image fusion: classical baselines and the losses that train iVAN to fuse."""

from ivan_core.fusion.baselines import BASELINES, average, dwt, fuse, fuse_colour, laplacian_pyramid, lp_sr, maximum
from ivan_core.fusion.losses import edge_loss, teacher_fusion_loss, unsupervised_fusion_loss

__all__ = [
    "BASELINES",
    "average",
    "dwt",
    "edge_loss",
    "fuse",
    "fuse_colour",
    "laplacian_pyramid",
    "lp_sr",
    "maximum",
    "teacher_fusion_loss",
    "unsupervised_fusion_loss",
]
