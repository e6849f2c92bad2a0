"""Enhanced affine coupling layer (additive then affine update), as in iVAN / IRN."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from ivan_core.core.model.invertible import Invertible
from ivan_core.core.model.subnets import DenseBlock

#: Soft clamp ``c`` of the log-scale, shared by every layer and :class:`~ivan_core.core.training.TrainConfig`.
DEFAULT_CLAMP = 2.0
#: ``subnet_constructor(in_channels, out_channels) -> nn.Module`` builds each of ``r``, ``s`` and ``t``.
SubnetConstructor = Callable[[int, int], nn.Module]


def dense_subnet(growth: int = 32) -> SubnetConstructor:
    """The default subnet: a :class:`DenseBlock` with ``growth`` channels per layer."""
    return partial(DenseBlock, growth=growth)


class EnhancedAffineCoupling(Invertible):
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

    never divides by zero. ``r``, ``s`` and ``t`` come from ``subnet_constructor``
    (as in FrEIA); the default :class:`DenseBlock` zero-initialises its last layer, so a
    new layer is the identity.

    The clamp is this package's addition: the paper's Eq. 6 uses the plain :math:`\\exp(s(y_1))`,
    which is unbounded, so one large step of ``s`` can overflow the forward pass or its inverse.

    Parameters
    ----------
    channels : int
        ``C >= 2``; odd counts split as ``C // 2`` and ``C - C // 2``.
    subnet_constructor : callable, optional
        ``(in_channels, out_channels) -> nn.Module`` mapping ``(B, in, H, W)`` to
        ``(B, out, H, W)``; default ``dense_subnet(32)``.
    clamp : float
        ``c`` above.
    """

    def __init__(self, channels: int, subnet_constructor: SubnetConstructor | None = None,
                 clamp: float = DEFAULT_CLAMP):
        super().__init__()
        if channels < 2:
            raise ValueError(f"a coupling layer needs at least 2 channels to split, got {channels}")
        if clamp <= 0:
            raise ValueError(f"clamp must be positive, got {clamp}")
        make = subnet_constructor or dense_subnet()
        self.split = channels // 2
        rest = channels - self.split
        self.clamp = clamp
        self.r = make(rest, self.split)
        self.s = make(self.split, rest)
        self.t = make(self.split, rest)

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
