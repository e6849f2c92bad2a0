"""How much the inverse pass of a network amplifies a small error in its start, layer by layer."""

from __future__ import annotations

import math

import torch

from ivan_core.core.model import IVAN, EnhancedAffineCoupling, HaarDownsampling, Inverted, InvertibleConv1x1

#: The RMS of rounding to 8-bit steps on [0, 1] (uniform error of one step, 1 / 255, wide).
ROUNDING_RMS_8BIT = 1.0 / (255.0 * math.sqrt(12.0))


def _names(layers: list[torch.nn.Module]) -> list[str]:
    """``"Haar transform"``, ``"1x1 convolution k"``, ``"coupling k"`` (k counted in forward order), ..."""
    names, counts = [], {"1x1 convolution": 0, "coupling": 0}
    for layer in layers:
        if isinstance(layer, HaarDownsampling):
            names.append("Haar transform")
        elif isinstance(layer, Inverted):
            names.append("inverse Haar transform")
        else:
            kind = "1x1 convolution" if isinstance(layer, InvertibleConv1x1) else "coupling"
            counts[kind] += 1
            names.append(f"{kind} {counts[kind]}")
    return names


def _relative_change(a: torch.Tensor, b: torch.Tensor, delta: torch.Tensor) -> float:
    return float((a - b).norm() / delta.norm())


@torch.no_grad()
def inverse_layer_gains(net: IVAN, y: torch.Tensor, step: float = 1.0 / 255.0, seed: int = 0) -> list[dict]:
    """The inverse pass from ``y`` ``(B, C, H, W)``, one layer at a time: how much each layer's inverse amplifies a
    rounding-sized error added to its own input.

    At every layer an error uniform in ``(-step / 2, step / 2)`` is added to the activation that layer's inverse
    receives; ``gain`` is the norm of the change of its output over the norm of that error (a local, measured
    amplification, 1 for the orthonormal Haar layers). Rows, in inverse order, also carry ``bound``: for a 1x1
    convolution ``1 / sigma_min(W)`` (the most ``W^-1`` can stretch) with ``condition``, ``cond(W)``; for a
    coupling the largest scale its inverse multiplies by, ``max exp(-sigma(s(y_1)))`` (at most ``e^clamp``),
    which bounds the affine half only (``r`` and ``t`` add their own sensitivity). The last row, ``"whole
    inverse pass"``, adds one error to ``y`` itself and follows it through the network.
    """
    net = net.eval()
    generator = torch.Generator().manual_seed(seed)

    def error(like: torch.Tensor) -> torch.Tensor:
        return step * (torch.rand(like.shape, generator=generator, dtype=like.dtype) - 0.5).to(like.device)

    layers = net.parts
    rows, h = [], y
    for layer, name in zip(reversed(layers), reversed(_names(layers))):
        delta = error(h)
        out = layer.inverse(h)
        row = {"layer": name, "gain": _relative_change(layer.inverse(h + delta), out, delta)}
        if isinstance(layer, InvertibleConv1x1):
            singular = torch.linalg.svdvals(layer.weight().double())
            row.update(bound=float(1.0 / singular.min()), condition=float(singular.max() / singular.min()))
        elif isinstance(layer, EnhancedAffineCoupling):
            scale, _ = layer.scale_and_shift(h[:, : layer.split])
            row.update(bound=float(torch.exp(-scale).max()), condition=float("nan"))
        else:
            row.update(bound=1.0, condition=1.0)
        rows.append(row)
        h = out
    delta = error(y)
    rows.append({"layer": "whole inverse pass", "gain": _relative_change(net.inverse(y + delta), net.inverse(y), delta),
                 "bound": math.prod(r["bound"] for r in rows), "condition": float("nan")})
    return rows
