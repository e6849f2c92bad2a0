"""The one contract of every invertible piece, and the two ways to compose pieces.

An :class:`Invertible` maps ``(B, C, H, W)`` to ``(B, C', H', W')`` with ``forward`` and back with
``inverse``; the two are exact inverses up to floating-point error. Compositions are written
once, here (:class:`InvertibleSequence`, :class:`Inverted`), as nflows' ``CompositeTransform``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Invertible(nn.Module):
    """Base class of every invertible module: ``inverse(forward(x)) == x`` and ``forward(inverse(y)) == y``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``y = f(x)``."""
        raise NotImplementedError

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """``x = f^{-1}(y)``."""
        raise NotImplementedError


class InvertibleSequence(Invertible):
    """Invertible modules applied in order; the inverse applies their inverses in reverse."""

    def __init__(self, modules: Sequence[Invertible]):
        super().__init__()
        self.layers = nn.ModuleList(modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self.layers):
            y = layer.inverse(y)
        return y


class Inverted(Invertible):
    """An invertible module run backwards: ``forward`` is its ``inverse`` and vice versa."""

    def __init__(self, module: Invertible):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module.inverse(x)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return self.module(y)
