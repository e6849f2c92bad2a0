"""How iVAN learns to fuse: forward terms against a teacher's label or against the sources alone.

* teacher: the distance to a label (a classical fusion of the sources, added as the modality ``"FUSED"``)
  plus an edge term, because a network fitted to the label alone blurs the teacher's edges;
* unsupervised: intensity + gradient terms against both sources, so iVAN is not capped by a teacher.

Both keep the inverse term of :func:`~ivan_core.core.training.losses.bidirectional_loss`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ivan_core.core.tasks import Task
from ivan_core.core.training.losses import ForwardTerm, Norm, distance

_SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


def sobel_gradients(img: torch.Tensor) -> torch.Tensor:
    """Per-channel Sobel derivatives ``(G_x, G_y)`` with replicated borders.

    Parameters
    ----------
    img : Tensor, shape (B, C, H, W)
        Images; every channel is filtered on its own (depthwise convolution).

    Returns
    -------
    Tensor, shape (B, C, 2, H, W)
        Signed derivatives along W (index 0) and H (index 1), same dtype and device as ``img``.
    """
    channels = img.shape[1]
    kx = torch.tensor(_SOBEL_X, dtype=img.dtype, device=img.device)
    kernel = torch.stack([kx, kx.T]).unsqueeze(1).repeat(channels, 1, 1, 1)  # (2C, 1, 3, 3)
    return F.conv2d(F.pad(img, (1, 1, 1, 1), mode="replicate"), kernel, groups=channels).unflatten(1, (channels, 2))


def sobel_magnitude(img: torch.Tensor) -> torch.Tensor:
    """Per-channel L1 Sobel gradient magnitude ``|G_x| + |G_y|`` (:func:`sobel_gradients`), shape (B, C, H, W)."""
    return sobel_gradients(img).abs().sum(dim=2)


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


def signed_edge_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``mean(|G_x F - G_x S| + |G_y F - G_y S|)``, ``S`` the source with the stronger edge at each pixel:
    keep the stronger source edge *with its sign*.

    :func:`edge_loss` compares magnitudes only, so a fused image that draws a source's bright structure
    dark (an edge of the right strength and the wrong sign) costs it nothing. Here each pixel takes the
    signed Sobel derivatives (:func:`sobel_gradients`) of the source whose L1 magnitude is larger (``a``
    on ties), so an inverted edge costs twice its strength. On a single step edge and a flat second source
    it equals :func:`edge_loss` for a fused image whose gradient is that edge's, scaled by a factor >= 0.

    Parameters
    ----------
    fused, a, b : Tensor, shape (B, C, H, W)
        Fused image and its two sources, same shape, dtype and device.

    Returns
    -------
    Tensor, shape ()
        Scalar, >= 0; 0 when the fused image's derivatives equal the stronger source's everywhere.
    """
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
) -> torch.Tensor:
    """Intensity + gradient loss for training a fusion network without ground truth.

    ``L = w_int * mean|F - max(A, B)| + w_grad * E(F, A, B)``

    where ``max`` is element-wise and ``E`` is :func:`edge_loss` (magnitudes) or, with ``signed``,
    :func:`signed_edge_loss` (the stronger source's derivatives, sign included). The intensity term keeps
    the brighter (salient) source pixel, the gradient term the stronger source texture: the loss of
    SwinFusion (for medical fusion) and the max-gradient rule of U2Fusion-style networks. The magnitude
    form is blind to polarity: a weight on it large enough against the intensity term lets the network
    draw a bright structure dark.

    Parameters
    ----------
    fused, a, b : Tensor, shape (B, C, H, W)
        Fused image and its two sources, same shape, dtype and device.
    w_intensity, w_gradient : float
        Weights of the intensity and gradient terms.
    signed : bool
        Use :func:`signed_edge_loss` for the gradient term.

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
    return w_intensity * intensity + w_gradient * _edge_term(fused, a, b, signed, 1.0)


def teacher_fusion_loss(
    fused: torch.Tensor,
    label: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    w_edge: float = 1.0,
    norm: Norm = "l2",
    overshoot: float = 1.0,
    signed: bool = False,
) -> torch.Tensor:
    """Teacher label plus edge term: ``||F - label|| + w_edge * E(F, A, B)``.

    The label (a classical fusion of ``a`` and ``b``) fixes intensity and contrast; the edge
    term asks for the stronger source edge at each pixel, which a network fitted to the label alone
    smooths away. ``E`` is :func:`edge_loss` (magnitudes, with ``overshoot``) or, with ``signed``,
    :func:`signed_edge_loss`. ``w_edge = 0`` is plain label fitting.

    Parameters
    ----------
    fused, label, a, b : Tensor, shape (B, C, H, W)
        Fused estimate, teacher's fused image and the two sources; same shape.
    w_edge : float
        Weight of the edge term.
    norm : {"l2", "l1"}
        Distance to the label (:func:`ivan_core.core.training.losses.distance`).
    overshoot : float
        Weight of fused edges stronger than the stronger source edge (:func:`edge_loss`); 1 when ``signed``.
    signed : bool
        Use :func:`signed_edge_loss` for the edge term.

    Returns
    -------
    Tensor, shape ()
        Scalar, >= 0; 0 when ``fused == label == a == b``.
    """
    _check_same_shape(fused, label=label, a=a, b=b)
    return distance(fused, label, norm) + w_edge * _edge_term(fused, a, b, signed, overshoot)


ForwardLoss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def _fusion_term(task: Task, term: Callable[..., torch.Tensor]) -> ForwardLoss:
    """Wrap ``term(fused, label, a, b)`` as a forward loss ``(y_hat, y, x) -> scalar``: the fused
    estimate and the label are the means of their output copies, ``a`` and ``b`` the sources in ``x``."""
    (label,) = task.outputs
    a, b = task.inputs

    def loss(y_hat: torch.Tensor, y: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor:
        sources = task.unpack_x(x)
        target = None if y is None else task.unpack_y(y)[label]
        return term(task.unpack_y(y_hat)[label], target, sources[a], sources[b])

    return loss


def unsupervised_forward_loss(task: Task, signed: bool = False, **weights: float) -> ForwardTerm:
    """Forward term for :func:`ivan_core.core.training.train`: :func:`ivan_core.baselines.fusion.unsupervised_fusion_loss`
    of the fused estimate against the two sources (no label); ``weights`` (``w_intensity``,
    ``w_gradient``) override the loss's defaults, and all of them are in the term's ``key``, with
    ``signed`` only when True (networks trained before it existed keep their key)."""
    defaults = inspect.signature(unsupervised_fusion_loss).parameters
    resolved = {name: float(weights.get(name, defaults[name].default)) for name in ("w_intensity", "w_gradient")}
    unknown = set(weights) - set(resolved)
    if unknown:
        raise TypeError(f"unknown weight(s) {sorted(unknown)}; unsupervised_fusion_loss takes {sorted(resolved)}")
    key = {"name": "unsupervised_fusion_loss", **resolved, **({"signed": True} if signed else {})}
    return ForwardTerm(_fusion_term(task, lambda fused, _, a, b: unsupervised_fusion_loss(fused, a, b, **resolved,
                                                                                          signed=signed)), key)


def teacher_forward_loss(task: Task, w_edge: float = 1.0, norm: Norm = "l2", overshoot: float = 1.0,
                         signed: bool = False) -> ForwardTerm:
    """Forward term for :func:`ivan_core.core.training.train`: :func:`ivan_core.baselines.fusion.teacher_fusion_loss`
    of the fused estimate against the label in ``y`` and the two sources.

    The key names ``overshoot`` only when it is not 1 and ``signed`` only when True, so networks trained
    before these parameters existed keep their key and their shipped weights.
    """
    key = {"name": "teacher_fusion_loss", "w_edge": float(w_edge), "norm": norm}
    if overshoot != 1.0:
        key["overshoot"] = float(overshoot)
    if signed:
        key["signed"] = True
    return ForwardTerm(_fusion_term(task, lambda fused, label, a, b: teacher_fusion_loss(
        fused, label, a, b, w_edge, norm, overshoot, signed)), key)
