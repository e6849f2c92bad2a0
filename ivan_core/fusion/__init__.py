"""Image fusion: classical baselines, the paper's comparison methods and the losses that train iVAN to fuse."""

from ivan_core.fusion.baselines import average, dwt, fuse_colour, laplacian_pyramid, lp_sr, maximum
from ivan_core.fusion.csmca import cs_mca
from ivan_core.fusion.losses import edge_loss, signed_edge_loss, teacher_fusion_loss, unsupervised_fusion_loss
from ivan_core.fusion.lpcnn import lp_cnn
from ivan_core.fusion.lrd import lrd
from ivan_core.fusion.methods import COSTLY, METHODS, fuse

__all__ = [
    "METHODS",
    "COSTLY",
    "average",
    "cs_mca",
    "dwt",
    "edge_loss",
    "fuse",
    "fuse_colour",
    "laplacian_pyramid",
    "lp_cnn",
    "lp_sr",
    "lrd",
    "maximum",
    "signed_edge_loss",
    "teacher_fusion_loss",
    "unsupervised_fusion_loss",
]
