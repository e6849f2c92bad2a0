"""Dense convolution blocks used as the s, t and r functions of a coupling layer."""

from __future__ import annotations

import torch
from torch import nn


class DenseBlock(nn.Module):
    """``layers + 1`` 3x3 convolutions with dense connections and leaky ReLU (the paper's: ``layers=4``).

    Layer ``i`` (``i = 1..layers``) sees the block input concatenated with all earlier
    outputs and adds ``growth`` channels; the last layer maps everything to
    ``out_channels``. The last layer is zero-initialised, so a new block outputs
    zeros and the coupling layer that uses it starts as the identity.

    Every convolution here has stride 1 (padding 1). The paper's text gives the first four a stride
    of 2, which would shrink ``s``, ``t`` and ``r``'s outputs below the size of the half they act on
    and so break the element-wise coupling; stride 1 is this package's reading.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input ``(B, in_channels, H, W)`` and output ``(B, out_channels, H, W)``.
    growth : int
        Channels each densely connected layer adds (the "hidden" width).
    negative_slope : float
        Slope of the leaky ReLU.
    layers : int
        Densely connected layers before the output layer.
    """

    def __init__(self, in_channels: int, out_channels: int, growth: int = 32, negative_slope: float = 0.2,
                 layers: int = 4):
        super().__init__()
        if layers < 1:
            raise ValueError(f"a dense block needs at least 1 layer before its output layer, got {layers}")
        self.layers = nn.ModuleList(
            nn.Conv2d(in_channels + i * growth, growth, 3, padding=1) for i in range(layers)
        )
        self.out = nn.Conv2d(in_channels + layers * growth, out_channels, 3, padding=1)
        self.act = nn.LeakyReLU(negative_slope, inplace=True)
        for layer in self.layers:
            nn.init.kaiming_normal_(layer.weight, a=negative_slope)
            layer.weight.data.mul_(0.1)
            nn.init.zeros_(layer.bias)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, in_channels, H, W)`` to ``(B, out_channels, H, W)``."""
        features = [x]
        for layer in self.layers:
            features.append(self.act(layer(torch.cat(features, dim=1))))
        return self.out(torch.cat(features, dim=1))
