"""Enhanced affine coupling layer (additive then affine update), as in iVAN / IRN."""

from __future__ import annotations

import torch
from torch import nn

from ivan_core.model.subnets import DenseBlock


class EnhancedAffineCoupling(nn.Module):
    """Invertible coupling of two channel groups.

    The input ``x`` of ``(B, C, H, W)`` is split into ``x1`` (first ``C // 2``
    channels) and ``x2`` (the rest). Then

    .. math::

        y_1 = x_1 + r(x_2), \\qquad
        y_2 = x_2 \\odot \\exp(\\sigma(s(y_1))) + t(y_1),

    with soft clamp :math:`\\sigma(a) = c \\tanh(a / c)`, so the scale stays within
    :math:`[e^{-c}, e^{c}]` and the inverse

    .. math::

        x_2 = (y_2 - t(y_1)) \\odot \\exp(-\\sigma(s(y_1))), \\qquad x_1 = y_1 - r(x_2)

    never divides by zero. ``r``, ``s`` and ``t`` are :class:`DenseBlock` s whose last
    layer is zero-initialised, so a new layer is the identity.

    Parameters
    ----------
    channels : int
        ``C >= 2``; odd counts split as ``C // 2`` and ``C - C // 2``.
    hidden : int
        Growth channels of the dense blocks.
    clamp : float
        ``c`` above.
    """

    def __init__(self, channels: int, hidden: int = 32, clamp: float = 2.0):
        super().__init__()
        if channels < 2:
            raise ValueError(f"a coupling layer needs at least 2 channels to split, got {channels}")
        self.split = channels // 2
        rest = channels - self.split
        self.clamp = clamp
        self.r = DenseBlock(rest, self.split, hidden)
        self.s = DenseBlock(self.split, rest, hidden)
        self.t = DenseBlock(self.split, rest, hidden)

    def _scale(self, y1: torch.Tensor) -> torch.Tensor:
        return self.clamp * torch.tanh(self.s(y1) / self.clamp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, C, H, W)`` to ``(B, C, H, W)``."""
        x1, x2 = x[:, : self.split], x[:, self.split :]
        y1 = x1 + self.r(x2)
        y2 = x2 * torch.exp(self._scale(y1)) + self.t(y1)
        return torch.cat([y1, y2], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`forward` on ``(B, C, H, W)``."""
        y1, y2 = y[:, : self.split], y[:, self.split :]
        x2 = (y2 - self.t(y1)) * torch.exp(-self._scale(y1))
        x1 = y1 - self.r(x2)
        return torch.cat([x1, x2], dim=1)
