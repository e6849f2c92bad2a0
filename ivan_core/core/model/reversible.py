"""Memory flat in depth: backpropagation that recomputes each layer's input from its output.

An invertible network does not need to keep its activations for the backward pass: the input
of every layer can be recomputed from that layer's output with its exact inverse (Gomez et
al., 2017, "The reversible residual network"; Jacobsen et al., 2018, i-RevNet). The function
here runs a sequence of invertible layers without recording a graph and keeps only the final
output; its backward pass walks the layers in reverse, recomputes each input with
``layer.inverse``, reruns ``layer`` on it with gradients, and backpropagates through that one
layer. Autograd then stores one tensor per call however many layers there are, at the price of
one more forward and one inverse per layer in the backward pass. Gradients equal ordinary
autograd's up to float rounding (the recomputed inputs are exact only up to it).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class _Reversible(torch.autograd.Function):
    """``layers`` applied in order to ``x``, keeping only the output for the backward pass."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, layers: Sequence[nn.Module], *params: torch.Tensor) -> torch.Tensor:
        ctx.layers = layers
        with torch.no_grad():
            for layer in layers:
                x = layer(x)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (y,) = ctx.saved_tensors
        params = [p for layer in ctx.layers for p in layer.parameters()]
        grads: dict[int, torch.Tensor] = {}
        for layer in reversed(ctx.layers):
            with torch.no_grad():
                x = layer.inverse(y)
            x = x.detach().requires_grad_(True)
            own = [p for p in layer.parameters() if p.requires_grad]
            with torch.enable_grad():
                out = layer(x)
            found = torch.autograd.grad(out, [x, *own], grad, allow_unused=True)
            grad = found[0]
            for p, g in zip(own, found[1:]):
                if g is not None:
                    grads[id(p)] = grads[id(p)] + g if id(p) in grads else g
            y = x.detach()
        return (grad, None, *[grads.get(id(p)) for p in params])


def reversible_apply(layers: Sequence[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """``layers`` applied in order to ``(B, C, H, W)`` ``x`` with memory flat in depth.

    Every layer must have an exact ``inverse``. Without gradients (``torch.no_grad`` or no input
    nor parameter requiring them) this is a plain loop.
    """
    layers = list(layers)
    params = [p for layer in layers for p in layer.parameters()]
    if not torch.is_grad_enabled() or not (x.requires_grad or any(p.requires_grad for p in params)):
        for layer in layers:
            x = layer(x)
        return x
    return _Reversible.apply(x, layers, *params)
