"""Fusion baselines: pixel rules, multi-scale transforms and the paper's comparison methods, by name."""

from ivan_core.baselines.fusion.csmca import cs_mca
from ivan_core.baselines.fusion.lpcnn import lp_cnn
from ivan_core.baselines.fusion.lrd import lrd
from ivan_core.baselines.fusion.methods import COSTLY, METHODS, add_fusion_label, fuse
from ivan_core.baselines.fusion.rules import (
                                              average,
                                              dwt,
                                              fuse_colour,
                                              laplacian_pyramid,
                                              lp_sr,
                                              luminance,
                                              maximum,
                                              with_luminance,
)

__all__ = ["METHODS", "COSTLY", "fuse", "add_fusion_label", "average", "maximum", "laplacian_pyramid", "dwt",
           "lp_sr", "lrd", "cs_mca", "lp_cnn", "fuse_colour", "luminance", "with_luminance"]
