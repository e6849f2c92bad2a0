"""Composing invertible modules: in sequence, and backwards.

Every invertible module of this package has ``forward`` and ``inverse`` on ``(B, C, H, W)``
tensors; these two wrappers are the only places where modules are composed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class InvertibleSequence(nn.Module):
    """Invertible modules applied in order; the inverse applies their inverses in reverse.

    Every member has ``forward`` and ``inverse`` on ``(B, C, H, W)`` tensors (the one
    contract of this package's invertible modules); the composite is written once here.
    """

    def __init__(self, modules: Sequence[nn.Module]):
        super().__init__()
        self.layers = nn.ModuleList(modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply every module in order."""
        for layer in self.layers:
            x = layer(x)
        return x

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Apply every module's inverse in reverse order."""
        for layer in reversed(self.layers):
            y = layer.inverse(y)
        return y


class Inverted(nn.Module):
    """An invertible module run backwards: ``forward`` is its ``inverse`` and vice versa."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The wrapped module's inverse."""
        return self.module.inverse(x)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """The wrapped module's forward."""
        return self.module(y)
