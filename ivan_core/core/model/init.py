"""Parameter initialisation helpers."""

from __future__ import annotations

import torch
from torch import nn


def perturb_(module: nn.Module, scale: float = 0.05, seed: int = 0) -> nn.Module:
    """Add Gaussian noise of std ``scale`` to every parameter, in place.

    A fresh :class:`~ivan_core.core.model.IVAN` is an orthogonal channel mix because the
    last layer of every dense block starts at zero; perturbing makes every coupling
    layer non-trivial, to check invertibility of a "random" network.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p))
    return module
