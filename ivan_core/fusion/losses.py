"""Fusion training losses: unsupervised (intensity + gradient) and teacher label + edges."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ivan_core.training.losses import Norm, distance

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


def _check_same_shape(fused: torch.Tensor, **others: torch.Tensor) -> None:
    if fused.ndim != 4:
        raise ValueError(f"expected (B, C, H, W) tensors, got fused of shape {tuple(fused.shape)}")
    for name, t in others.items():
        if t.shape != fused.shape:
            raise ValueError(f"shapes differ: fused {tuple(fused.shape)}, {name} {tuple(t.shape)}")


def edge_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor, overshoot: float = 1.0,
              gradient: Callable[[torch.Tensor], torch.Tensor] = sobel_magnitude) -> torch.Tensor:
    """``mean(relu(T - |grad F|) + overshoot * relu(|grad F| - T))`` with ``T = max(|grad A|, |grad B|)``:
    keep the stronger source edge at each pixel.

    ``|grad X|`` is ``gradient(X)``, by default the Sobel magnitude (:func:`sobel_magnitude`), and ``max`` is element-wise;
    the mean runs over all elements. With ``overshoot = 1`` (the default) this is
    ``mean| |grad F| - T |``, the max-gradient rule of U2Fusion/SwinFusion-style fusion losses and
    what Q^AB/F rewards: fused edges as strong as the stronger source edge. A smaller ``overshoot``
    penalises a fused edge weaker than ``T`` more than a stronger one, so the network keeps more
    detail (higher AG and SF); ``0`` penalises only weaker edges, which draws texture everywhere.

    Parameters
    ----------
    fused, a, b : Tensor, shape (B, C, H, W)
        Fused image and its two sources, same shape, dtype and device.
    overshoot : float
        Weight of a fused edge stronger than ``T`` relative to a weaker one, in [0, 1].
    gradient : callable
        ``(B, C, H, W) -> (B, C, H, W)`` gradient magnitude.

    Returns
    -------
    Tensor, shape ()
        Scalar, >= 0; 0 when all three images are equal.
    """
    _check_same_shape(fused, a=a, b=b)
    if not 0.0 <= overshoot <= 1.0:
        raise ValueError(f"overshoot must lie in [0, 1], got {overshoot}")
    excess = gradient(fused) - torch.maximum(gradient(a), gradient(b))
    return (F.relu(-excess) + overshoot * F.relu(excess)).mean()


def unsupervised_fusion_loss(
    fused: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    w_intensity: float = 1.0,
    w_gradient: float = 2.0,
) -> torch.Tensor:
    """Intensity + gradient loss for training a fusion network without ground truth.

    ``L = w_int * mean|F - max(A, B)| + w_grad * edge_loss(F, A, B)``

    where ``max`` is element-wise and :func:`edge_loss` is
    ``mean| |grad F| - max(|grad A|, |grad B|) |`` with Sobel magnitudes
    ``|grad X| = |S_x * X| + |S_y * X|`` (:func:`sobel_magnitude`); the means run over all
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
        Weights of the intensity and gradient terms. The defaults were picked on the Harvard
        CT-MRI validation case (16) between (1, 10) and (1, 2): with (1, 10) the gradient
        term, blind to the sign of an edge, outweighed the intensity term and iVAN drew the
        CT's bright skull dark (Q^AB/F 0.42 against 0.63 with (1, 2)).

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
    _check_same_shape(fused, a=a, b=b)
    intensity = F.l1_loss(fused, torch.maximum(a, b))
    return w_intensity * intensity + w_gradient * edge_loss(fused, a, b)


def teacher_fusion_loss(
    fused: torch.Tensor,
    label: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    w_edge: float = 1.0,
    norm: Norm = "l2",
    overshoot: float = 1.0,
) -> torch.Tensor:
    """Teacher label plus edge term: ``||F - label|| + w_edge * edge_loss(F, A, B, overshoot)``.

    The label (a classical fusion of ``a`` and ``b``) fixes intensity and contrast; the edge
    term (:func:`edge_loss`) asks for the stronger source edge at each pixel, which a network
    fitted to the label alone smooths away. ``w_edge = 0`` is plain label fitting.

    Parameters
    ----------
    fused, label, a, b : Tensor, shape (B, C, H, W)
        Fused estimate, teacher's fused image and the two sources; same shape.
    w_edge : float
        Weight of the edge term.
    norm : {"l2", "l1"}
        Distance to the label (:func:`ivan_core.training.losses.distance`).
    overshoot : float
        Weight of fused edges stronger than the stronger source edge (:func:`edge_loss`).

    Returns
    -------
    Tensor, shape ()
        Scalar, >= 0; 0 when ``fused == label == a == b``.
    """
    _check_same_shape(fused, label=label, a=a, b=b)
    return distance(fused, label, norm) + w_edge * edge_loss(fused, a, b, overshoot)
