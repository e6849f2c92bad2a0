"""The bidirectional training loss of iVAN (the paper's Eq. 10) and its variants."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn
from torch.nn import functional as F

from ivan_core.core.tasks import Task

Norm = Literal["l2", "l1"]
#: Where the inverse term starts from:
#: ``"target"`` the real ``Y`` (Eq. 10: ``||f^-1(Y) - X||``);
#: ``"forward"`` the network's own output ``f(X)`` (as the authors' public code trains;
#: for an exact invertible network this term is ~0, so training is forward-only in effect);
#: ``"repacked"`` ``f(X)`` with every copy of an output replaced by the copies' mean,
#: i.e. what a saved output image gives back (trains separation from a saved image).
InverseFrom = Literal["target", "forward", "repacked"]


@dataclass(frozen=True)
class ForwardTerm:
    """A forward term ``fn(y_hat, y, x) -> scalar`` that replaces ``||f(X) - Y||``, with its description.

    ``key`` is plain data (the loss's name and every parameter); it keys the folder a
    trained model is cached in (:func:`ivan_core.tutorial.experiment.model_key`) and the card of
    shipped weights, so two losses that differ in any parameter never share weights.
    """

    fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    key: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.key.get("name"):
            raise ValueError("a ForwardTerm's key must name the loss and give every parameter, e.g. "
                             "{'name': 'my_loss', 'weight': 0.5}; models are cached and shipped under it")

    def __call__(self, y_hat: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.fn(y_hat, y, x)


def distance(a: torch.Tensor, b: torch.Tensor, norm: Norm = "l2") -> torch.Tensor:
    """Mean squared (``"l2"``) or mean absolute (``"l1"``) difference of two tensors."""
    if norm == "l2":
        return F.mse_loss(a, b)
    if norm == "l1":
        return F.l1_loss(a, b)
    raise ValueError(f"unknown norm {norm!r}; use 'l2' or 'l1'")


def bidirectional_loss(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    task: Task,
    lam: float = 1.0,
    norm: Norm = "l2",
    inverse_from: InverseFrom = "target",
    forward_loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """``lam * ||f(X) - Y|| + ||f^-1(Y') - X||`` for one batch.

    Parameters
    ----------
    net : nn.Module
        Invertible network with ``forward`` and ``inverse``.
    x, y : Tensor
        Packed input and target, ``(B, C, H, W)``.
    task : Task
        Layouts, used for ``inverse_from="repacked"``.
    lam : float
        Weight of the forward (synthesis) term.
    norm : {"l2", "l1"}
        Distance; the paper's default is L2, L1 is its ablation.
    inverse_from : {"target", "forward", "repacked"}
        ``Y'`` of the inverse term, see :data:`InverseFrom`.
    forward_loss : callable, optional
        ``forward_loss(y_hat, y, x) -> scalar`` replacing ``||f(X) - Y||``, e.g. an
        unsupervised fusion loss against the sources in ``x``.

    Returns
    -------
    loss : Tensor
        Scalar to minimise.
    parts : dict
        ``{"forward": float, "inverse": float}``, the two unweighted terms.
    """
    y_hat = net(x)
    forward_term = distance(y_hat, y, norm) if forward_loss is None else forward_loss(y_hat, y, x)
    if inverse_from == "target":
        y_start = y
    elif inverse_from == "forward":
        y_start = y_hat
    elif inverse_from == "repacked":
        y_start = task.repack_y(y_hat)
    else:
        raise ValueError(f"unknown inverse_from {inverse_from!r}; use 'target', 'forward' or 'repacked'")
    inverse_term = distance(net.inverse(y_start), x, norm)
    loss = lam * forward_term + inverse_term
    return loss, {"forward": float(forward_term.detach()), "inverse": float(inverse_term.detach())}
