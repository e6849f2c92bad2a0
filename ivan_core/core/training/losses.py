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
#: Start of the inverse term: ``"target"`` the real ``Y`` (Eq. 10); ``"forward"`` ``f(X)`` (the authors' code);
#: ``"repacked"`` ``f(X)`` with each output's copies replaced by their mean (what a saved image gives back).
InverseFrom = Literal["target", "forward", "repacked"]


@dataclass(frozen=True)
class ForwardTerm:
    """A forward term ``fn(y_hat, y, x) -> scalar`` replacing ``||f(X) - Y||``; ``key`` names the loss and
    every parameter (it keys cached and shipped models; an unnamed key raises ValueError)."""

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
    """``lam * ||f(X) - Y|| + ||f^-1(Y') - X||`` for one batch (the paper's Eq. 10).

    Parameters
    ----------
    net : nn.Module
        Invertible network with ``forward`` and ``inverse``.
    x, y : Tensor, shape (B, C, H, W)
        Packed input and target.
    inverse_from : {"target", "forward", "repacked"}
        ``Y'``, see :data:`InverseFrom`.
    forward_loss : callable, optional
        ``forward_loss(y_hat, y, x) -> scalar`` replacing ``||f(X) - Y||``.

    Returns
    -------
    loss : Tensor, shape ()
    parts : dict
        ``{"forward": float, "inverse": float}``, unweighted.
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
