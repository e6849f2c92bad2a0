"""Invertible Haar downsampling: one level of the orthonormal 2-D Haar wavelet transform."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from ivan_core.core.model.invertible import Invertible


class HaarDownsampling(Invertible):
    """Map ``(B, C, H, W)`` to ``(B, 4C, H/2, W/2)`` losslessly, and back.

    Each input channel becomes four: its average (LL) and its horizontal, vertical and
    diagonal details, each the orthonormal Haar filter of a 2x2 block. The transform
    is orthogonal, so its inverse is its transpose and it keeps the L2 norm. Layers
    after it see a four-times larger neighbourhood per pixel at a quarter of the
    pixels (as in the invertible rescaling network of Xiao et al., 2020). It has no
    parameters.

    Parameters
    ----------
    channels : int
        ``C`` of the input.
    """

    def __init__(self, channels: int):
        super().__init__()
        filters = torch.tensor([[[1.0, 1.0], [1.0, 1.0]], [[1.0, -1.0], [1.0, -1.0]],
                                [[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0], [-1.0, 1.0]]]) / 2
        self.channels = channels
        self.register_buffer("weight", filters[:, None].repeat(channels, 1, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` with even ``H`` and ``W`` to ``(B, 4C, H/2, W/2)``."""
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(f"Haar downsampling needs an even height and width, got {tuple(x.shape[-2:])}; "
                             "crop or pad the images to a multiple of 2")
        return F.conv2d(x, self.weight.to(x.dtype), stride=2, groups=self.channels)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`forward`: ``(B, 4C, h, w)`` to ``(B, C, 2h, 2w)``."""
        return F.conv_transpose2d(y, self.weight.to(y.dtype), stride=2, groups=self.channels)
