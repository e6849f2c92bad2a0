"""Unsupervised fusion loss (intensity + gradient), as fusion networks are trained."""

from __future__ import annotations

import torch
import torch.nn.functional as F

_SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


def sobel_magnitude(img: torch.Tensor) -> torch.Tensor:
    """Per-channel Sobel gradient magnitude ``|G_x| + |G_y|`` with replicated borders.

    Parameters
    ----------
    img : Tensor, shape (B, C, H, W)
        Images; every channel is filtered on its own (depthwise convolution).

    Returns
    -------
    Tensor, shape (B, C, H, W)
        L1 gradient magnitude, same dtype and device as ``img``.
    """
    channels = img.shape[1]
    kx = torch.tensor(_SOBEL_X, dtype=img.dtype, device=img.device)
    kernel = torch.stack([kx, kx.T]).unsqueeze(1).repeat(channels, 1, 1, 1)  # (2C, 1, 3, 3)
    grads = F.conv2d(F.pad(img, (1, 1, 1, 1), mode="replicate"), kernel, groups=channels)
    return grads.abs().unflatten(1, (channels, 2)).sum(dim=2)


def unsupervised_fusion_loss(
    fused: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    w_intensity: float = 1.0,
    w_gradient: float = 10.0,
) -> torch.Tensor:
    """Intensity + gradient loss for training a fusion network without ground truth.

    ``L = w_int * mean|F - max(A, B)| + w_grad * mean| |grad F| - max(|grad A|, |grad B|) |``

    where ``max`` is element-wise, ``|grad X| = |S_x * X| + |S_y * X|`` is the Sobel
    gradient magnitude (:func:`sobel_magnitude`), and the means run over all
    elements (the ``1/(HW)`` L1 norms of the references, also averaged over batch and
    channels). The intensity term keeps the brighter (salient) source pixel, the
    gradient term the stronger source texture; this is the loss of SwinFusion (for
    medical fusion) and the max-gradient rule shared by U2Fusion-style networks.

    Parameters
    ----------
    fused, a, b : Tensor, shape (B, C, H, W)
        Fused image and its two sources, same shape, dtype and device (float32 or
        float64, CPU or CUDA).
    w_intensity, w_gradient : float
        Weights of the intensity and gradient terms.

    Returns
    -------
    Tensor, shape ()
        Scalar loss, >= 0; 0 when ``fused == a == b``. Differentiable in ``fused``.

    References
    ----------
    Ma, J., Tang, L., Fan, F., Huang, J., Mei, X. & Ma, Y. (2022), "SwinFusion:
    Cross-domain long-range learning for general image fusion via Swin Transformer",
    IEEE/CAA J. Automatica Sinica 9(7), 1200-1217. Xu, H., Ma, J., Jiang, J., Guo, X.
    & Ling, H. (2022), "U2Fusion: A unified unsupervised image fusion network",
    IEEE TPAMI 44(1), 502-518.
    """
    if fused.ndim != 4:
        raise ValueError(f"expected (B, C, H, W) tensors, got fused of shape {tuple(fused.shape)}")
    if a.shape != fused.shape or b.shape != fused.shape:
        raise ValueError(f"shapes differ: fused {tuple(fused.shape)}, a {tuple(a.shape)}, b {tuple(b.shape)}")
    intensity = F.l1_loss(fused, torch.maximum(a, b))
    target_grad = torch.maximum(sobel_magnitude(a), sobel_magnitude(b))
    gradient = F.l1_loss(sobel_magnitude(fused), target_grad)
    return w_intensity * intensity + w_gradient * gradient
