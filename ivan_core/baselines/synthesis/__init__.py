"""Synthesis baselines: copy, linear regression and lookup table, the U-Net, pix2pix, CycleGAN and Hi-Net."""

from ivan_core.baselines.synthesis.gans import CycleGAN, HiNet, Pix2Pix, make_baseline
from ivan_core.baselines.synthesis.lookup import LinearBaseline, LookupBaseline, copy_input
from ivan_core.baselines.synthesis.unet import UNetBaseline

__all__ = ["copy_input", "LinearBaseline", "LookupBaseline", "UNetBaseline", "Pix2Pix", "CycleGAN", "HiNet",
           "make_baseline"]
