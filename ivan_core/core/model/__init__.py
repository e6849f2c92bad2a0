"""Invertible building blocks and the iVAN network."""

from ivan_core.core.model.conv1x1 import InvertibleConv1x1
from ivan_core.core.model.coupling import DEFAULT_CLAMP, EnhancedAffineCoupling, dense_subnet
from ivan_core.core.model.haar import HaarDownsampling
from ivan_core.core.model.init import perturb_
from ivan_core.core.model.invertible import Inverted, Invertible, InvertibleSequence
from ivan_core.core.model.network import IVAN, InvertibleBlock, ModelConfig
from ivan_core.core.model.reversible import reversible_apply
from ivan_core.core.model.subnets import DenseBlock

__all__ = ["Invertible", "IVAN", "ModelConfig", "InvertibleBlock", "InvertibleSequence", "Inverted", "InvertibleConv1x1",
           "EnhancedAffineCoupling", "HaarDownsampling", "DenseBlock", "DEFAULT_CLAMP", "dense_subnet", "perturb_",
           "reversible_apply"]
