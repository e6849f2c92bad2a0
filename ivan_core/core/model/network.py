"""The iVAN network: a stack of invertible blocks, optionally at a coarser scale."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ivan_core.core.model.conv1x1 import InvertibleConv1x1
from ivan_core.core.model.coupling import DEFAULT_CLAMP, EnhancedAffineCoupling, SubnetConstructor, dense_subnet
from ivan_core.core.model.haar import HaarDownsampling
from ivan_core.core.model.invertible import Inverted, Invertible, InvertibleSequence
from ivan_core.core.model.reversible import reversible_apply

#: The subnet options' defaults (the paper's network): at these values they stay out of configs and model keys.
MODEL_DEFAULTS = {"dense_layers": 4, "shared_st": False}


class InvertibleBlock(InvertibleSequence):
    """One invertible 1x1 convolution followed by one enhanced affine coupling layer."""

    def __init__(self, channels: int, subnet_constructor: SubnetConstructor | None = None,
                 clamp: float = DEFAULT_CLAMP, shared_st: bool = False):
        super().__init__([InvertibleConv1x1(channels),
                          EnhancedAffineCoupling(channels, subnet_constructor, clamp, shared_st)])

    @property
    def mix(self) -> InvertibleConv1x1:
        """The 1x1 convolution."""
        return self.layers[0]

    @property
    def coupling(self) -> EnhancedAffineCoupling:
        """The coupling layer."""
        return self.layers[1]


class IVAN(Invertible):
    """Invertible network mapping ``X`` to ``Y`` (same shape) and back.

    Parameters
    ----------
    channels : int
        Channels ``C >= 2`` of both sides after variable augmentation
        (see :mod:`ivan_core.core.tasks`).
    n_blocks : int
        Number of invertible blocks ``k``.
    hidden : int
        Growth channels of the dense blocks inside each coupling layer.
    clamp : float
        Soft clamp of the log-scale in each coupling layer.
    levels : int
        ``0`` is the paper's network, every block at full resolution. ``L > 0`` is this
        project's *Haar variant*: ``L`` levels of :class:`HaarDownsampling` first (to
        ``4**L * C`` channels at ``1 / 2**L`` of the side), the blocks there, and the
        inverse Haar transform last. The network stays exactly invertible; each block
        sees a ``2**L`` times wider neighbourhood at ``4**-L`` of the pixels. Images
        must then have sides divisible by ``2**L``.
    reversible : bool
        Train with memory flat in depth: the backward pass recomputes every layer's input
        from its output with the exact inverse instead of storing activations
        (:mod:`ivan_core.core.model.reversible`). It costs about one more pass per layer, does not
        change the weights or the results, and is not part of :attr:`config`.
    dense_layers : int
        Densely connected layers in each default subnet (the paper's: 4).
    shared_st : bool
        One subnet computes each coupling layer's ``s`` and ``t``
        (:class:`~ivan_core.core.model.coupling.EnhancedAffineCoupling`).
    subnet_constructor : callable, optional
        ``(in_channels, out_channels) -> nn.Module`` for the coupling layers' ``r``,
        ``s`` and ``t``; default :func:`~ivan_core.core.model.coupling.dense_subnet` with
        ``hidden`` growth channels and ``dense_layers`` layers. A custom one is not recorded in :attr:`config`, so
        :func:`ivan_core.core.training.load_model` cannot rebuild it.

    Attributes
    ----------
    output_blocks : dict of str to int
        Output modality -> ``b`` where the training targets were constant on ``b x b`` blocks (images enlarged by
        pixel repetition, :func:`~ivan_core.core.grid.block_size`); :func:`~ivan_core.core.inference.synthesise`
        projects those outputs onto the blocks. Empty by default; set from the training data by the model store.
        Not part of :attr:`config` or the weights.

    Examples
    --------
    >>> import torch
    >>> from ivan_core import IVAN
    >>> net = IVAN(channels=2, n_blocks=2, hidden=8)
    >>> x = torch.rand(1, 2, 16, 16)
    >>> torch.allclose(net.inverse(net(x)), x, atol=1e-5)
    True
    """

    def __init__(self, channels: int, n_blocks: int = 8, hidden: int = 32, clamp: float = DEFAULT_CLAMP,
                 levels: int = 0, subnet_constructor: SubnetConstructor | None = None, reversible: bool = False,
                 dense_layers: int = 4, shared_st: bool = False):
        super().__init__()
        if channels < 2:
            raise ValueError(
                f"IVAN needs at least 2 channels, got {channels}; repeat the modalities "
                "(variable augmentation, see ivan_core.core.tasks) so each side has >= 2 channels"
            )
        if n_blocks < 1:
            raise ValueError(f"n_blocks must be >= 1, got {n_blocks}")
        if levels < 0:
            raise ValueError(f"levels must be >= 0, got {levels}")
        self.config = {"channels": channels, "n_blocks": n_blocks, "hidden": hidden, "clamp": clamp,
                       "levels": levels}
        # recorded where they differ from the paper's, so networks saved before they existed keep their config
        self.config |= {k: v for k, v in (("dense_layers", dense_layers), ("shared_st", shared_st))
                        if v != MODEL_DEFAULTS[k]}
        self.reversible = reversible
        self.output_blocks: dict[str, int] = {}
        make = subnet_constructor or dense_subnet(hidden, dense_layers)
        haar = [HaarDownsampling(channels * 4**i) for i in range(levels)]
        inner = channels * 4**levels
        blocks = [InvertibleBlock(inner, make, clamp, shared_st) for _ in range(n_blocks)]
        self.flow = InvertibleSequence([*haar, *blocks, *(Inverted(h) for h in reversed(haar))])

    @property
    def blocks(self) -> list[InvertibleBlock]:
        """The invertible blocks, in forward order."""
        return [m for m in self.flow.layers if isinstance(m, InvertibleBlock)]

    @property
    def parts(self) -> list[Invertible]:
        """Every invertible layer in forward order, each block split into its 1x1 convolution and coupling."""
        return [part for layer in self.flow.layers
                for part in (layer.layers if isinstance(layer, InvertibleBlock) else [layer])]

    @property
    def channels(self) -> int:
        """Channel count ``C`` of both sides."""
        return self.config["channels"]

    @property
    def size_multiple(self) -> int:
        """``H`` and ``W`` must be multiples of this (``2**levels``); :mod:`ivan_core.core.inference` pads to it."""
        return 2 ** self.config["levels"]

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"expected a tensor of shape (B, {self.channels}, H, W), got {tuple(x.shape)}"
            )
        step = self.size_multiple
        if x.shape[-1] % step or x.shape[-2] % step:
            raise ValueError(f"this network has {self.config['levels']} Haar level(s), so H and W must be "
                             f"multiples of {step}; got {tuple(x.shape[-2:])}; pad the images (the functions of "
                             "ivan_core.core.inference do)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Synthesise ``Y = f(X)``; both ``(B, C, H, W)``."""
        self._check(x)
        if self.reversible:
            return reversible_apply(self.flow.layers, x)
        return self.flow(x)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Recover ``X = f^{-1}(Y)``; both ``(B, C, H, W)``."""
        self._check(y)
        if self.reversible:
            return reversible_apply([Inverted(layer) for layer in reversed(self.flow.layers)], y)
        return self.flow.inverse(y)


@dataclass(frozen=True)
class ModelConfig:
    """An :class:`IVAN`'s architecture apart from its channel count, which the task fixes."""

    n_blocks: int = 8
    hidden: int = 32
    levels: int = 0
    clamp: float = DEFAULT_CLAMP
    dense_layers: int = 4
    shared_st: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "clamp", float(self.clamp))  # clamp=2 and 2.0 are one model (and one key)

    def build(self, channels: int, reversible: bool = False) -> IVAN:
        """The untrained network with ``channels`` on both sides."""
        return IVAN(channels, self.n_blocks, self.hidden, self.clamp, self.levels, reversible=reversible,
                    dense_layers=self.dense_layers, shared_st=self.shared_st)
