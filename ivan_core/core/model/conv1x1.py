"""Invertible 1x1 convolution with an LU-decomposed weight (Kingma & Dhariwal, Glow, 2018)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ivan_core.core.model.invertible import Invertible


class InvertibleConv1x1(Invertible):
    """Learnable channel mixing ``y = W x`` at every pixel, with ``W = P L (U + diag(s))``.

    ``P`` is a fixed permutation, ``L`` unit lower triangular, ``U`` strictly upper
    triangular and ``s = sign * exp(log_s)``, so ``W`` stays invertible while it is
    learned and ``log|det W| = sum(log_s)``. ``W`` starts as a random rotation.

    Parameters
    ----------
    channels : int
        Number of channels ``C`` of inputs ``(B, C, H, W)``.
    """

    def __init__(self, channels: int):
        super().__init__()
        q, _ = torch.linalg.qr(torch.randn(channels, channels, dtype=torch.float64))
        p, lower, upper = torch.linalg.lu(q)
        diag = torch.diagonal(upper)
        self.register_buffer("perm", p.float())
        self.register_buffer("sign", torch.sign(diag).float())
        self.register_buffer("lower_mask", torch.tril(torch.ones(channels, channels), -1))
        self.lower = nn.Parameter(lower.float())
        self.upper = nn.Parameter(torch.triu(upper, 1).float())
        self.log_s = nn.Parameter(torch.log(torch.abs(diag)).float())

    def weight(self) -> torch.Tensor:
        """The ``(C, C)`` mixing matrix ``W``."""
        eye = torch.eye(self.perm.shape[0], dtype=self.lower.dtype, device=self.lower.device)
        lower = self.lower * self.lower_mask + eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign * torch.exp(self.log_s))
        return self.perm @ lower @ upper

    def log_det(self) -> torch.Tensor:
        """``log|det W|`` per pixel (multiply by ``H * W`` for the image)."""
        return self.log_s.sum()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mix channels of ``(B, C, H, W)``."""
        w = self.weight()
        return F.conv2d(x, w[:, :, None, None])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`forward` on ``(B, C, H, W)``."""
        w_inv = torch.linalg.inv(self.weight())
        return F.conv2d(y, w_inv[:, :, None, None])
