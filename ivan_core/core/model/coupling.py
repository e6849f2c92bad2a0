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


def dense_subnet(growth: int = 32, layers: int = 4) -> SubnetConstructor:
    """The default subnet: a :class:`DenseBlock` of ``layers`` dense layers with ``growth`` channels each."""
    return partial(DenseBlock, growth=growth, layers=layers)


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
    shared_st : bool
        One subnet computes ``s`` and ``t`` together (both read ``y_1``): two subnets per layer instead of three,
        a third less compute, the same invertibility.
    """

    def __init__(self, channels: int, subnet_constructor: SubnetConstructor | None = None,
                 clamp: float = DEFAULT_CLAMP, shared_st: bool = False):
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
        if shared_st:
            self.st = make(self.split, 2 * rest)
        else:
            self.s = make(self.split, rest)
            self.t = make(self.split, rest)

    def scale_and_shift(self, y1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The clamped log-scale :math:`\\sigma(s(y_1))` and the shift :math:`t(y_1)`, each ``(B, C - C // 2, H, W)``."""
        if hasattr(self, "st"):
            s, t = self.st(y1).chunk(2, dim=1)
        else:
            s, t = self.s(y1), self.t(y1)
        return self.clamp * torch.tanh(s / self.clamp), t

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, C, H, W)`` to ``(B, C, H, W)``."""
        x1, x2 = x[:, : self.split], x[:, self.split :]
        y1 = x1 + self.r(x2)
        scale, shift = self.scale_and_shift(y1)
        return torch.cat([y1, x2 * torch.exp(scale) + shift], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`forward` on ``(B, C, H, W)``."""
        y1, y2 = y[:, : self.split], y[:, self.split :]
        scale, shift = self.scale_and_shift(y1)
        x2 = (y2 - shift) * torch.exp(-scale)
        return torch.cat([y1 - self.r(x2), x2], dim=1)
