"""Invertible building blocks and the iVAN network."""

from ivan_core.model.conv1x1 import InvertibleConv1x1
from ivan_core.model.coupling import EnhancedAffineCoupling
from ivan_core.model.init import perturb_
from ivan_core.model.network import IVAN, InvertibleBlock
from ivan_core.model.subnets import DenseBlock

__all__ = ["IVAN", "InvertibleBlock", "InvertibleConv1x1", "EnhancedAffineCoupling", "DenseBlock", "perturb_"]
