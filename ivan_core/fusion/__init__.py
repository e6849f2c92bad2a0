"""Image fusion: classical baselines and an unsupervised training loss."""

from ivan_core.fusion.baselines import BASELINES, average, dwt, fuse, fuse_colour, laplacian_pyramid, lp_sr, maximum
from ivan_core.fusion.losses import unsupervised_fusion_loss

__all__ = [
    "BASELINES",
    "average",
    "dwt",
    "fuse",
    "fuse_colour",
    "laplacian_pyramid",
    "lp_sr",
    "maximum",
    "unsupervised_fusion_loss",
]
