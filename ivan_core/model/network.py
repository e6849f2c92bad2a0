"""The iVAN network: a stack of invertible blocks."""

from __future__ import annotations

import torch
from torch import nn

from ivan_core.model.conv1x1 import InvertibleConv1x1
from ivan_core.model.coupling import EnhancedAffineCoupling


class InvertibleBlock(nn.Module):
    """One invertible 1x1 convolution followed by one enhanced affine coupling layer."""

    def __init__(self, channels: int, hidden: int = 32, clamp: float = 2.0):
        super().__init__()
        self.mix = InvertibleConv1x1(channels)
        self.coupling = EnhancedAffineCoupling(channels, hidden, clamp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, C, H, W)`` to ``(B, C, H, W)``."""
        return self.coupling(self.mix(x))

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`forward`."""
        return self.mix.inverse(self.coupling.inverse(y))


class IVAN(nn.Module):
    """Invertible network mapping ``X`` to ``Y`` (same shape) and back.

    Parameters
    ----------
    channels : int
        Channels ``C >= 2`` of both sides after variable augmentation
        (see :mod:`ivan_core.tasks`).
    n_blocks : int
        Number of invertible blocks ``k``.
    hidden : int
        Growth channels of the dense blocks inside each coupling layer.
    clamp : float
        Soft clamp of the log-scale in each coupling layer.

    Examples
    --------
    >>> import torch
    >>> from ivan_core import IVAN
    >>> net = IVAN(channels=2, n_blocks=2, hidden=8)
    >>> x = torch.rand(1, 2, 16, 16)
    >>> torch.allclose(net.inverse(net(x)), x, atol=1e-5)
    True
    """

    def __init__(self, channels: int, n_blocks: int = 8, hidden: int = 32, clamp: float = 2.0):
        super().__init__()
        if channels < 2:
            raise ValueError(
                f"IVAN needs at least 2 channels, got {channels}; repeat the modalities "
                "(variable augmentation, see ivan_core.tasks) so each side has >= 2 channels"
            )
        if n_blocks < 1:
            raise ValueError(f"n_blocks must be >= 1, got {n_blocks}")
        self.config = {"channels": channels, "n_blocks": n_blocks, "hidden": hidden, "clamp": clamp}
        self.blocks = nn.ModuleList(InvertibleBlock(channels, hidden, clamp) for _ in range(n_blocks))

    @property
    def channels(self) -> int:
        """Channel count ``C`` of both sides."""
        return self.config["channels"]

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"expected a tensor of shape (B, {self.channels}, H, W), got {tuple(x.shape)}"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Synthesise ``Y = f(X)``; both ``(B, C, H, W)``."""
        self._check(x)
        for block in self.blocks:
            x = block(x)
        return x

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Recover ``X = f^{-1}(Y)``; both ``(B, C, H, W)``."""
        self._check(y)
        for block in reversed(self.blocks):
            y = block.inverse(y)
        return y
