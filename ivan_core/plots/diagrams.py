"""Diagrams that explain the model: the coupling layer's forward and inverse data flow."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ivan_core.core.model import IVAN

_BOX = {"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "0.3"}
_NET = {"boxstyle": "round,pad=0.3", "facecolor": "#dbe9f6", "edgecolor": "#2b6cb0"}
_OUT = {"boxstyle": "round,pad=0.35", "facecolor": "#fdebd3", "edgecolor": "#c05621"}


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], label: str = "") -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "0.25", "lw": 1.2,
                                                      "shrinkA": 12, "shrinkB": 12}, zorder=1)
    if label:
        ax.text((start[0] + end[0]) / 2 + 0.08, (start[1] + end[1]) / 2, label, ha="left", va="center",
                fontsize=9, color="#2b6cb0")


def _pass(ax: Axes, title: str, inputs: tuple[str, str], steps: tuple[str, str], outputs: tuple[str, str],
          links: tuple[str, str], first_row: int) -> None:
    """One pass, left to right: inputs, step 1 on row ``first_row`` (1 top, 0 bottom), step 2 on the other, outputs."""
    ax.set(xlim=(-0.3, 5.0), ylim=(0.1, 1.9))
    ax.set_title(title, fontsize=10)
    ax.axis("off")
    top, bottom = 1.5, 0.5
    row1, row2 = (top, bottom) if first_row else (bottom, top)
    ax.text(0, top, inputs[0], ha="center", va="center", bbox=_BOX, fontsize=11, zorder=3)
    ax.text(0, bottom, inputs[1], ha="center", va="center", bbox=_BOX, fontsize=11, zorder=3)
    ax.text(1.7, row1, steps[0], ha="center", va="center", bbox=_NET, fontsize=9, zorder=3)
    ax.text(3.3, row2, steps[1], ha="center", va="center", bbox=_NET, fontsize=9, zorder=3)
    ax.text(4.7, top, outputs[0], ha="center", va="center", bbox=_OUT, fontsize=11, zorder=3)
    ax.text(4.7, bottom, outputs[1], ha="center", va="center", bbox=_OUT, fontsize=11, zorder=3)
    _arrow(ax, (0, row1), (1.7, row1))            # the half that step 1 updates
    _arrow(ax, (0, row2), (1.7, row1), links[0])  # the other half conditions it
    _arrow(ax, (1.7, row1), (4.7, row1))
    _arrow(ax, (0, row2), (3.3, row2))
    _arrow(ax, (1.7, row1), (3.3, row2), links[1])  # step 2 is conditioned on step 1's result
    _arrow(ax, (3.3, row2), (4.7, row2))


def coupling_diagram() -> Figure:
    """The enhanced affine coupling layer's forward pass (top) and its inverse (bottom), which undoes step 2 first."""
    fig, axes = plt.subplots(2, 1, figsize=(8.5, 5.0))
    _pass(axes[0], "forward f: step 1 on the top half, step 2 on the bottom half", ("x₁", "x₂"),
          ("y₁ = x₁ + r(x₂)", "y₂ = x₂ · exp(σ(s(y₁))) + t(y₁)"), ("y₁", "y₂"), ("r", "s, t"), first_row=1)
    _pass(axes[1], "inverse f⁻¹: the same steps backwards, each from what is already recovered", ("y₁", "y₂"),
          ("x₂ = (y₂ − t(y₁)) · exp(−σ(s(y₁)))", "x₁ = y₁ − r(x₂)"), ("x₁", "x₂"), ("s, t", "r"), first_row=0)
    fig.tight_layout()
    return fig


def _describe(layer: torch.nn.Module, shape_in: tuple[int, ...], shape_out: tuple[int, ...]) -> tuple[str, dict]:
    """A box label and style for one layer of an :class:`~ivan_core.core.model.IVAN`'s ``flow``."""
    from ivan_core.core.model import EnhancedAffineCoupling, HaarDownsampling, Inverted, InvertibleConv1x1

    shapes = f"{'×'.join(map(str, shape_in[1:]))} → {'×'.join(map(str, shape_out[1:]))}"
    if isinstance(layer, HaarDownsampling):
        return f"Haar transform (LL, LH, HL, HH per channel)\n{shapes}", _OUT
    if isinstance(layer, Inverted) and isinstance(layer.module, HaarDownsampling):
        return f"inverse Haar transform\n{shapes}", _OUT
    if isinstance(layer, InvertibleConv1x1):
        channels = layer.log_s.numel()
        return f"1×1 convolution, W = P L (U + diag s), {channels}×{channels}\n{shapes}", _BOX
    if isinstance(layer, EnhancedAffineCoupling):
        subnets = "r, s, t" if hasattr(layer, "s") else "r, (s, t)"
        params = sum(p.numel() for p in layer.parameters())
        return (f"enhanced coupling: {subnets} dense blocks, split {layer.split} + {shape_in[1] - layer.split}, "
                f"{params:,} weights\n{shapes}"), _NET
    return f"{type(layer).__name__}\n{shapes}", _BOX


def network_diagram(net: IVAN, size: int | tuple[int, int] = 128) -> Figure:
    """Every layer of an :class:`~ivan_core.core.model.IVAN` top to bottom, read off the network itself.

    A ``(1, C, H, W)`` zero image goes through ``net.parts`` layer by layer; each box names the layer and the
    shape ``C×H×W`` it maps, so the figure is whatever ``net`` is, not a drawing of what it should be.
    """
    height, width = (size, size) if isinstance(size, int) else size
    layers = net.parts
    x = torch.zeros(1, net.channels, height, width)
    boxes = []
    with torch.no_grad():
        for layer in layers:
            y = layer(x)
            boxes.append(_describe(layer, tuple(x.shape), tuple(y.shape)))
            x = y
    fig, ax = plt.subplots(figsize=(7.5, 0.62 * (len(boxes) + 3)))
    ax.set(xlim=(0, 1), ylim=(-len(boxes) - 1.6, 1.0))
    ax.axis("off")
    ax.text(0.5, 0.5, f"X: {net.channels}×{height}×{width}", ha="center", va="center", bbox=_BOX, fontsize=10)
    for row, (label, style) in enumerate(boxes, start=1):
        ax.annotate("", xy=(0.5, -row + 0.32), xytext=(0.5, -row + 1 - 0.32),
                    arrowprops={"arrowstyle": "-|>", "color": "0.25", "lw": 1.0})
        ax.text(0.5, -row, label, ha="center", va="center", bbox=style, fontsize=8.5, linespacing=1.3)
    end = -len(boxes) - 1
    ax.annotate("", xy=(0.5, end + 0.32), xytext=(0.5, end + 1 - 0.32), arrowprops={"arrowstyle": "-|>", "color": "0.25"})
    ax.text(0.5, end, f"Y = f(X): {'×'.join(map(str, x.shape[1:]))}", ha="center", va="center", bbox=_BOX, fontsize=10)
    fig.tight_layout()
    return fig
