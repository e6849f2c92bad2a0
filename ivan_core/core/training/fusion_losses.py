"""Fusion forward terms: against a teacher's label (plus an edge term), or against the sources alone.
Both keep the inverse term of :func:`~ivan_core.core.training.losses.bidirectional_loss`."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ivan_core.core.tasks import Task
from ivan_core.core.training.losses import ForwardTerm, Norm, distance

_SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


def sobel_gradients(img: torch.Tensor) -> torch.Tensor:
    """Per-channel Sobel derivatives with replicated borders: ``(B, C, H, W)`` -> ``(B, C, 2, H, W)``,
    index 0 along W, 1 along H."""
    channels = img.shape[1]
    kx = torch.tensor(_SOBEL_X, dtype=img.dtype, device=img.device)
    kernel = torch.stack([kx, kx.T]).unsqueeze(1).repeat(channels, 1, 1, 1)  # (2C, 1, 3, 3)
    return F.conv2d(F.pad(img, (1, 1, 1, 1), mode="replicate"), kernel, groups=channels).unflatten(1, (channels, 2))


def sobel_magnitude(img: torch.Tensor) -> torch.Tensor:
    """Per-channel L1 Sobel gradient magnitude ``|G_x| + |G_y|`` (:func:`sobel_gradients`), shape (B, C, H, W)."""
    return sobel_gradients(img).abs().sum(dim=2)


def difference_magnitude(img: torch.Tensor) -> torch.Tensor:
    """Per-channel L1 magnitude of forward differences ``|F[y, x+1] - F[y, x]| + |F[y+1, x] - F[y, x]|``
    (0 across the last column and row), shape (B, C, H, W). Unlike :func:`sobel_magnitude`, which is 0 for every
    pattern that alternates from pixel to pixel, it sees the two-pixel frequencies."""
    dx = F.pad(img[..., :, 1:] - img[..., :, :-1], (0, 1))
    dy = F.pad(img[..., 1:, :] - img[..., :-1, :], (0, 0, 0, 1))
    return dx.abs() + dy.abs()


def fine_excess_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``mean(relu(|dF| - max(|dA|, |dB|)))`` with ``|d.|`` the :func:`difference_magnitude`: pixel-to-pixel change
    that neither source has, such as a two-pixel checkerboard. Inputs ``(B, C, H, W)``; a scalar >= 0."""
    _check_same_shape(fused, a=a, b=b)
    return F.relu(_excess(fused, a, b, difference_magnitude)).mean()


def _excess(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
            gradient: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``gradient(F) - max(gradient(A), gradient(B))``, per pixel ``(B, C, H, W)``: where the fused image changes more
    than the stronger source (positive) or less (negative)."""
    return gradient(fused) - torch.maximum(gradient(a), gradient(b))


def _check_same_shape(fused: torch.Tensor, **others: torch.Tensor) -> None:
    if fused.ndim != 4:
        raise ValueError(f"expected (B, C, H, W) tensors, got fused of shape {tuple(fused.shape)}")
    for name, t in others.items():
        if t.shape != fused.shape:
            raise ValueError(f"shapes differ: fused {tuple(fused.shape)}, {name} {tuple(t.shape)}")


def edge_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor, overshoot: float = 1.0,
              gradient: Callable[[torch.Tensor], torch.Tensor] = sobel_magnitude) -> torch.Tensor:
    """``mean(relu(T - |grad F|) + overshoot * relu(|grad F| - T))``, ``T = max(|grad A|, |grad B|)``.

    Parameters
    ----------
    fused, a, b : Tensor, shape (B, C, H, W)
    overshoot : float in [0, 1]
        Weight of fused edges stronger than ``T``; 1 is the max-gradient rule of U2Fusion. ValueError outside [0, 1].
    gradient : callable
        ``(B, C, H, W) -> (B, C, H, W)`` gradient magnitude.

    Returns
    -------
    Tensor, shape ()
        >= 0; 0 when all three images are equal.
    """
    _check_same_shape(fused, a=a, b=b)
    if not 0.0 <= overshoot <= 1.0:
        raise ValueError(f"overshoot must lie in [0, 1], got {overshoot}")
    excess = _excess(fused, a, b, gradient)
    return (F.relu(-excess) + overshoot * F.relu(excess)).mean()


def signed_edge_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``mean(|G_x F - G_x S| + |G_y F - G_y S|)``, ``S`` the source with the stronger edge per pixel (``a`` on ties).
    Inputs ``(B, C, H, W)``; returns a scalar >= 0. Unlike :func:`edge_loss`, an inverted edge costs twice its strength."""
    _check_same_shape(fused, a=a, b=b)
    g_a, g_b = sobel_gradients(a), sobel_gradients(b)
    stronger = torch.where(g_a.abs().sum(dim=2, keepdim=True) >= g_b.abs().sum(dim=2, keepdim=True), g_a, g_b)
    return (sobel_gradients(fused) - stronger).abs().sum(dim=2).mean()


def _edge_term(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor, signed: bool, overshoot: float) -> torch.Tensor:
    """:func:`signed_edge_loss` or :func:`edge_loss`; ``overshoot`` applies to the unsigned term only."""
    if not signed:
        return edge_loss(fused, a, b, overshoot)
    if overshoot != 1.0:
        raise ValueError(f"overshoot weighs magnitudes; the signed edge term takes none (got overshoot={overshoot})")
    return signed_edge_loss(fused, a, b)


def unsupervised_fusion_loss(
    fused: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    w_intensity: float = 1.0,
    w_gradient: float = 2.0,
    signed: bool = False,
    w_fine: float = 0.0,
) -> torch.Tensor:
    """Fusion loss without ground truth: ``w_intensity * mean|F - max(A, B)| + w_gradient * E(F, A, B)
    + w_fine * fine_excess_loss(F, A, B)``.

    ``fused, a, b`` are ``(B, C, H, W)`` of one shape (else ValueError); ``E`` is :func:`edge_loss`, or
    :func:`signed_edge_loss` with ``signed``. Both use Sobel derivatives, which are blind to the two-pixel
    frequencies; ``w_fine`` weighs :func:`fine_excess_loss`, which is not. Returns a scalar >= 0, 0 when
    ``fused == a == b``.

    References
    ----------
    Ma et al. (2022), "SwinFusion", IEEE/CAA J. Automatica Sinica 9(7), 1200-1217.
    Xu et al. (2022), "U2Fusion", IEEE TPAMI 44(1), 502-518.
    """
    _check_same_shape(fused, a=a, b=b)
    intensity = F.l1_loss(fused, torch.maximum(a, b))
    loss = w_intensity * intensity + w_gradient * _edge_term(fused, a, b, signed, 1.0)
    return loss + w_fine * fine_excess_loss(fused, a, b) if w_fine else loss


def teacher_fusion_loss(
    fused: torch.Tensor,
    label: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    w_edge: float = 1.0,
    norm: Norm = "l2",
    overshoot: float = 1.0,
    signed: bool = False,
    w_fine: float = 0.0,
) -> torch.Tensor:
    """Teacher label plus edge term: ``||F - label|| + w_edge * E(F, A, B) + w_fine * fine_excess_loss(F, A, B)``,
    a scalar >= 0.

    ``fused, label, a, b`` are ``(B, C, H, W)`` of one shape; ``norm`` is ``"l2"`` or ``"l1"``; ``E`` is
    :func:`edge_loss` (with ``overshoot``), or :func:`signed_edge_loss` with ``signed`` (then ``overshoot`` must be 1).
    """
    _check_same_shape(fused, label=label, a=a, b=b)
    loss = distance(fused, label, norm) + w_edge * _edge_term(fused, a, b, signed, overshoot)
    return loss + w_fine * fine_excess_loss(fused, a, b) if w_fine else loss


ForwardLoss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def _fusion_term(task: Task, term: Callable[..., torch.Tensor]) -> ForwardLoss:
    """Wrap ``term(fused, label, a, b)`` as a forward loss ``(y_hat, y, x) -> scalar``."""
    (label,) = task.outputs
    a, b = task.inputs

    def loss(y_hat: torch.Tensor, y: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor:
        sources = task.unpack_x(x)
        target = None if y is None else task.unpack_y(y)[label]
        return term(task.unpack_y(y_hat)[label], target, sources[a], sources[b])

    return loss


def unsupervised_forward_loss(task: Task, signed: bool = False, **weights: float) -> ForwardTerm:
    """:class:`ForwardTerm` of :func:`unsupervised_fusion_loss`; ``weights`` override its defaults.

    The key holds ``w_intensity`` and ``w_gradient``, ``w_fine`` only when not 0 and ``signed`` only when True (older
    keys stay valid). Unknown weights raise TypeError.
    """
    defaults = inspect.signature(unsupervised_fusion_loss).parameters
    resolved = {name: float(weights.get(name, defaults[name].default)) for name in ("w_intensity", "w_gradient",
                                                                                    "w_fine")}
    unknown = set(weights) - set(resolved)
    if unknown:
        raise TypeError(f"unknown weight(s) {sorted(unknown)}; unsupervised_fusion_loss takes {sorted(resolved)}")
    shown = {k: v for k, v in resolved.items() if k != "w_fine" or v}
    key = {"name": "unsupervised_fusion_loss", **shown, **({"signed": True} if signed else {})}
    return ForwardTerm(_fusion_term(task, lambda fused, _, a, b: unsupervised_fusion_loss(fused, a, b, **resolved,
                                                                                          signed=signed)), key)


def teacher_forward_loss(task: Task, w_edge: float = 1.0, norm: Norm = "l2", overshoot: float = 1.0,
                         signed: bool = False, w_fine: float = 0.0) -> ForwardTerm:
    """:class:`ForwardTerm` of :func:`teacher_fusion_loss`.

    The key names ``overshoot`` only when not 1, ``signed`` only when True and ``w_fine`` only when not 0 (older keys
    stay valid).
    """
    key = {"name": "teacher_fusion_loss", "w_edge": float(w_edge), "norm": norm}
    if overshoot != 1.0:
        key["overshoot"] = float(overshoot)
    if signed:
        key["signed"] = True
    if w_fine:
        key["w_fine"] = float(w_fine)
    return ForwardTerm(_fusion_term(task, lambda fused, label, a, b: teacher_fusion_loss(
        fused, label, a, b, w_edge, norm, overshoot, signed, w_fine)), key)
