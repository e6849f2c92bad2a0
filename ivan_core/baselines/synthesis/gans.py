"""Adversarial synthesis baselines: pix2pix, CycleGAN and Hi-Net, scaled down and trained like the U-Net baseline.

They share one training loop (:class:`AdversarialBaseline`) and differ in their networks and losses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ivan_core.baselines.synthesis.unet import FEATURES, NORM, predict_slices
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task, get_task, modality_channels
from ivan_core.core.training import TrainConfig, loader, steps_per_epoch
from ivan_core.core.training.checkpoint import atomic_save, safe_load
from ivan_core.core.training.device import pick_device
from ivan_core.core.training.pairs import TaskDataset

#: The :class:`~ivan_core.core.training.TrainConfig` fields :meth:`AdversarialBaseline.fit` reads (not ``norm``: fixed losses).
GAN_SETTINGS = ("epochs", "batch_size", "lr", "lr_step", "lr_gamma", "seed", "max_steps_per_epoch")
#: Adam's ``(beta1, beta2)`` of all three papers.
BETAS = (0.5, 0.999)
#: Channels of a PatchGAN's first layer (the papers: 64), doubled at each of its layers.
DISC_CHANNELS = 8
#: Strided layers of a PatchGAN after its first (3: pix2pix's 70 x 70 discriminator); crops need a side >= 32.
DISC_LAYERS = 3
#: Hi-Net's width of its first level (the authors' code: 32), doubled at every level.
HINET_FEATURES = 8
#: Hi-Net's levels (2x poolings before its bottleneck; the authors' code: 3).
HINET_LEVELS = 3
#: Offset of the seed of CycleGAN's Y stream from ``TrainConfig.seed``.
UNPAIRED_SEED = 7_919


def _as_plain(value: Any) -> Any:
    """``value`` round-tripped through JSON (tuples become lists), for :meth:`AdversarialBaseline.describe`."""
    return json.loads(json.dumps(value))


def _patch_discriminator(in_channels: int, channels: int, layers: int) -> nn.Module:
    """MONAI's PatchGAN (batch norm, LeakyReLU 0.2, 4 x 4 kernels, normal(0, 0.02) starting weights)."""
    from monai.networks.nets import PatchDiscriminator

    return PatchDiscriminator(spatial_dims=2, channels=channels, in_channels=in_channels, out_channels=1,
                              num_layers_d=layers, norm="BATCH")


def _basic_unet(in_channels: int, out_channels: int, features: Sequence[int], norm: str | tuple,
                upsample: str = "deconv") -> nn.Module:
    from monai.networks.nets import BasicUNet

    return BasicUNet(spatial_dims=2, in_channels=in_channels, out_channels=out_channels, features=tuple(features),
                     norm=norm, upsample=upsample)


def _logits(discriminator: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The patch scores of a :class:`~monai.networks.nets.PatchDiscriminator` (the last of its outputs)."""
    return discriminator(images)[-1]


def _lsgan(scores: torch.Tensor, real: bool) -> torch.Tensor:
    """Least-squares GAN loss: mean of ``(score - 1)^2`` for real, ``score^2`` for fake."""
    return F.mse_loss(scores, torch.full_like(scores, float(real)))


def _bce(scores: torch.Tensor, real: bool) -> torch.Tensor:
    """The original GAN loss on logits (pix2pix's ``vanilla`` mode)."""
    return F.binary_cross_entropy_with_logits(scores, torch.full_like(scores, float(real)))


def unpaired_batches(x_set: TaskDataset, y_set: TaskDataset, config: TrainConfig, epoch: int
                     ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """CycleGAN's unpaired batches: packed inputs ``x`` and packed targets ``y`` ``(B, C, H, W)`` of other slices.

    ``y`` comes from a loader over ``y_set`` seeded ``config.seed + UNPAIRED_SEED``; both depend only on the seeds and ``epoch``.
    """
    y_config = replace(config, seed=config.seed + UNPAIRED_SEED)
    for (x, _), (_, y) in zip(loader(x_set, config, epoch), loader(y_set, y_config, epoch)):
        yield x, y


class ImagePool:
    """CycleGAN's history of generated images (Shrivastava et al. 2017); ``size=0`` passes images through.

    Once full, each new image is, with probability 1/2, swapped for a random stored one; draws use its own ``seed``.
    """

    def __init__(self, size: int = 50, seed: int = 0):
        self.size, self.images = size, []
        self.generator = torch.Generator().manual_seed(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` new images -> ``(B, C, H, W)`` images to show the discriminator."""
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image[None]
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand((), generator=self.generator) < 0.5:
                i = int(torch.randint(len(self.images), (), generator=self.generator))
                out.append(self.images[i])
                self.images[i] = image
            else:
                out.append(image)
        return torch.cat(out)


class AdversarialBaseline:
    """Training loop, prediction and files shared by :class:`Pix2Pix`, :class:`CycleGAN` and :class:`HiNet`.

    A subclass builds its networks (:meth:`_build`) and gives :meth:`_generate` and its losses. A step updates the
    generators (discriminators frozen), then the discriminators on detached outputs (the reverse if
    ``discriminator_first``). Deviations common to all three: smaller networks, crops and budgets than the papers,
    linear outputs, batch norm with running statistics, no dropout. Deterministic given the seeds on one device.

    Parameters
    ----------
    task : Task or str
    seed : int
        Seed of the starting weights (the training seed is ``TrainConfig.seed``).

    Attributes
    ----------
    steps, seconds : int, float
        Optimiser steps taken and their wall-clock seconds (after :meth:`fit`).
    history : list of dict
        Per epoch: ``epoch``, ``steps``, ``seconds``, ``lr`` and the mean of every loss term.
    """

    #: The method's name in tables and cache folders.
    name: ClassVar[str] = ""
    #: Update the discriminators before the generators in each step.
    discriminator_first: ClassVar[bool] = False

    def __init__(self, task: Task | str, seed: int = 0):
        self.task = get_task(task)
        self.in_channels = sum(modality_channels(m) for m in self.task.inputs)
        self.out_channels = sum(modality_channels(m) for m in self.task.outputs)
        with torch.random.fork_rng():  # the starting weights depend on ``seed`` alone
            torch.manual_seed(seed)
            generators, discriminators = self._build()
        self.generators, self.discriminators = nn.ModuleDict(generators), nn.ModuleDict(discriminators)
        self.steps, self.seconds, self.history = 0, 0.0, []

    # ---- what a subclass gives ------------------------------------------------------------------

    def _build(self) -> tuple[dict[str, nn.Module], dict[str, nn.Module]]:
        """The generators and discriminators by name."""
        raise NotImplementedError

    def describe(self) -> dict:
        """The architecture and loss as plain data (part of the cache key)."""
        raise NotImplementedError

    def _generate(self, x: torch.Tensor) -> torch.Tensor:
        """Packed ``X`` ``(B, C, H, W)`` -> outputs ``(B, out_channels, H, W)``, one copy of each output."""
        raise NotImplementedError

    def _generator_forward(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Everything the generators make from one batch (with its graph)."""
        raise NotImplementedError

    def _generator_loss(self, x: torch.Tensor, y: torch.Tensor, made: dict[str, torch.Tensor]
                        ) -> tuple[torch.Tensor, dict[str, float]]:
        """The generators' loss and its unweighted terms."""
        raise NotImplementedError

    def _discriminator_loss(self, x: torch.Tensor, y: torch.Tensor, made: dict[str, torch.Tensor]
                            ) -> tuple[torch.Tensor, dict[str, float]]:
        """The discriminators' loss on the detached ``made`` and its terms."""
        raise NotImplementedError

    def _datasets(self, subjects: Sequence[Subject], config: TrainConfig, patch: int | None) -> tuple[TaskDataset, ...]:
        """The training data: the U-Net's crops of ``subjects`` (one dataset of pairs)."""
        return (TaskDataset(subjects, self.task, augment=True, patch=patch, seed=config.seed),)

    def _epoch_batches(self, datasets: tuple[TaskDataset, ...], config: TrainConfig, epoch: int
                       ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of one epoch: paired, exactly the U-Net's."""
        return iter(loader(datasets[0], config, epoch))

    def _start(self, config: TrainConfig) -> None:
        """Called at the start of :meth:`fit` (CycleGAN seeds its image pools here)."""

    # ---- shared ---------------------------------------------------------------------------------

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Packed ``X`` to its distinct inputs ``(B, in_channels, H, W)``."""
        return torch.cat(list(self.task.unpack_x(x).values()), dim=1)

    def _target(self, y: torch.Tensor) -> torch.Tensor:
        """Packed ``Y`` to ``(B, out_channels, H, W)``, one copy of each output."""
        return torch.cat(list(self.task.unpack_y(y).values()), dim=1)

    def n_parameters(self) -> dict[str, int]:
        """Parameters of each generator and discriminator."""
        return {name: sum(p.numel() for p in module.parameters())
                for group in (self.generators, self.discriminators) for name, module in group.items()}

    def save(self, path: str | Path) -> Path:
        """Write every network's weights, ``steps``, ``seconds``, ``history`` and :meth:`describe` atomically."""
        def cpu(module: nn.Module) -> dict[str, torch.Tensor]:
            return {k: v.detach().cpu() for k, v in module.state_dict().items()}

        return atomic_save({"generators": cpu(self.generators), "discriminators": cpu(self.discriminators),
                            "steps": self.steps, "seconds": self.seconds, "history": self.history,
                            "describe": self.describe()}, path)

    def load(self, path: str | Path) -> AdversarialBaseline:
        """Read a file of :meth:`save` (``torch.load(..., weights_only=True)``) into these networks."""
        data = safe_load(path)
        if data.get("describe") != self.describe():
            raise ValueError(f"{path} holds a {data.get('describe')}, not a {self.describe()}")
        self.generators.load_state_dict(data["generators"])
        self.discriminators.load_state_dict(data["discriminators"])
        self.generators.eval()
        self.discriminators.eval()
        self.steps, self.seconds = int(data["steps"]), float(data["seconds"])
        self.history = list(data["history"])
        return self

    def _update(self, loss: torch.Tensor, optimiser: torch.optim.Optimizer) -> None:
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    def _train_step(self, x: torch.Tensor, y: torch.Tensor, optimisers: tuple[torch.optim.Optimizer, ...]
                    ) -> dict[str, float]:
        """One generator and one discriminator update on the batch ``(x, y)``; the loss terms."""
        opt_g, opt_d = optimisers
        made = self._generator_forward(x, y)
        detached = {k: v.detach() for k, v in made.items()}
        parts: dict[str, float] = {}

        def discriminators() -> None:
            loss, d_parts = self._discriminator_loss(x, y, detached)
            self._update(loss, opt_d)
            parts.update(d_parts, discriminator=float(loss.detach()))

        if self.discriminator_first:
            discriminators()
        self.discriminators.requires_grad_(False)
        loss, g_parts = self._generator_loss(x, y, made)
        self._update(loss, opt_g)
        self.discriminators.requires_grad_(True)
        parts.update(g_parts, generator=float(loss.detach()))
        if not self.discriminator_first:
            discriminators()
        return parts

    def fit(self, subjects: Sequence[Subject], config: TrainConfig, patch: int | None,
            device: str | torch.device | None = None, progress: bool = True) -> AdversarialBaseline:
        """Train with ``config``'s :data:`GAN_SETTINGS` on ``patch`` crops (None: whole slices; >= 32 for the default PatchGAN).

        ``device`` defaults to CUDA when available; ``progress`` shows a tqdm bar. Returns ``self``, trained, in eval mode.
        """
        device = pick_device(device)
        torch.manual_seed(config.seed)
        datasets = self._datasets(subjects, config, patch)
        self._start(config)
        self.generators.to(device).train()
        self.discriminators.to(device).train()
        optimisers = tuple(torch.optim.Adam(group.parameters(), lr=config.lr, betas=BETAS)
                           for group in (self.generators, self.discriminators))
        schedules = [torch.optim.lr_scheduler.StepLR(o, step_size=config.lr_step, gamma=config.lr_gamma)
                     for o in optimisers]
        steps = steps_per_epoch(len(datasets[0]), config)
        started = time.perf_counter()
        with tqdm(total=config.epochs * steps, desc=f"{self.name} {self.task.name}", disable=not progress) as bar:
            for epoch in range(config.epochs):
                epoch_start, sums, done = time.perf_counter(), {}, 0
                lr = optimisers[0].param_groups[0]["lr"]
                for step, (x, y) in enumerate(self._epoch_batches(datasets, config, epoch)):
                    if step >= steps:
                        break
                    parts = self._train_step(x.to(device), y.to(device), optimisers)
                    for k, v in parts.items():
                        sums[k] = sums.get(k, 0.0) + v
                    done += 1
                    self.steps += 1
                    bar.update(1)
                    bar.set_postfix(G=f"{parts['generator']:.3g}", D=f"{parts['discriminator']:.3g}", refresh=False)
                for schedule in schedules:
                    schedule.step()
                self.history.append({"epoch": epoch + 1, "steps": done, "seconds": time.perf_counter() - epoch_start,
                                     "lr": lr, **{k: v / max(done, 1) for k, v in sums.items()}})
        self.seconds = time.perf_counter() - started
        self.generators.eval()
        self.discriminators.eval()
        return self

    def predict(self, subject: Subject, batch_size: int = 8) -> dict[str, np.ndarray]:
        """Every output for every slice of ``subject``, unclipped: ``{modality: (S, H, W)}``, ``(S, H, W, 3)`` if colour."""
        self.generators.eval()
        return predict_slices(self._generate, self.task, subject, next(self.generators.parameters()).device,
                              batch_size)


class Pix2Pix(AdversarialBaseline):
    """pix2pix: the U-Net baseline's network trained with a conditional PatchGAN and L1.

    ``L_D = 1/2 [BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)]`` (updated first), ``L_G = BCE(D(x, G(x)), 1) + l1_weight |G(x) - y|_1``,
    with ``D`` conditioned on the distinct inputs. ``G`` equals :class:`~ivan_core.baselines.synthesis.unet.UNetBaseline`'s
    network for the same seed, so the two differ only in the loss.

    Parameters
    ----------
    task : Task or str
    features, norm
        BasicUNet widths (sides must be multiples of 16) and normalisation; default the U-Net baseline's.
    disc_channels, disc_layers : int
        PatchGAN width and depth.
    l1_weight : float
        L1 weight (pix2pix: 100).
    seed : int
        Seed of the starting weights.

    References
    ----------
    Isola, P., Zhu, J.-Y., Zhou, T. & Efros, A. A. (2017), "Image-to-image translation with conditional adversarial
    networks", CVPR.
    """

    name = "pix2pix"
    discriminator_first = True

    def __init__(self, task: Task | str, features: Sequence[int] = FEATURES, norm: str | tuple = NORM,
                 disc_channels: int = DISC_CHANNELS, disc_layers: int = DISC_LAYERS, l1_weight: float = 100.0,
                 seed: int = 0):
        self.features, self.norm = tuple(features), norm
        self.disc_channels, self.disc_layers, self.l1_weight = disc_channels, disc_layers, float(l1_weight)
        super().__init__(task, seed)

    def _build(self) -> tuple[dict[str, nn.Module], dict[str, nn.Module]]:
        generator = _basic_unet(self.task.channels, self.out_channels, self.features, self.norm)  # as UNetBaseline
        discriminator = _patch_discriminator(self.in_channels + self.out_channels, self.disc_channels, self.disc_layers)
        return {"G": generator}, {"D": discriminator}

    def describe(self) -> dict:
        return _as_plain({"name": self.name,
                          "generator": {"name": "monai.BasicUNet", "features": self.features, "norm": self.norm,
                                        "input": "packed X"},
                          "discriminator": {"name": "monai.PatchDiscriminator", "channels": self.disc_channels,
                                            "layers": self.disc_layers, "conditioned": True},
                          "loss": {"adversarial": "bce", "l1": self.l1_weight}, "betas": BETAS})

    def _generate(self, x: torch.Tensor) -> torch.Tensor:
        return self.generators["G"](x)

    def _generator_forward(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"fake": self.generators["G"](x)}

    def _generator_loss(self, x, y, made):
        fake = made["fake"]
        adversarial = _bce(_logits(self.discriminators["D"], torch.cat([self._inputs(x), fake], 1)), True)
        l1 = F.l1_loss(fake, self._target(y))
        return adversarial + self.l1_weight * l1, {"adversarial": float(adversarial.detach()), "l1": float(l1.detach())}

    def _discriminator_loss(self, x, y, made):
        condition, d = self._inputs(x), self.discriminators["D"]
        real = _bce(_logits(d, torch.cat([condition, self._target(y)], 1)), True)
        fake = _bce(_logits(d, torch.cat([condition, made["fake"]], 1)), False)
        return 0.5 * (real + fake), {"d_real": float(real.detach()), "d_fake": float(fake.detach())}


class CycleGAN(AdversarialBaseline):
    """CycleGAN: generators ``G: X -> Y``, ``F: Y -> X`` and PatchGANs ``D_Y``, ``D_X`` on unpaired batches; predicts with ``G``.

    LSGAN losses plus cycle L1 (``cycle_weight``) and identity L1 (``cycle_weight * identity_weight``, only where ``X``
    and ``Y`` have as many channels: :attr:`uses_identity`); fakes reach the discriminators through :class:`ImagePool`.
    Deviation: U-Net generators (the paper's are ResNets), by default upsampling by a convolution and bilinear
    interpolation rather than by transposed convolutions, whose uneven overlaps draw checkerboards (Odena, Dumoulin &
    Olah 2016, "Deconvolution and checkerboard artifacts", Distill).

    Parameters
    ----------
    task : Task or str
    features, norm
        BasicUNet widths (sides must be multiples of 16) and normalisation of both generators.
    upsample : str
        The generators' upsampling, a BasicUNet ``upsample`` mode: ``"nontrainable"`` (default) or ``"deconv"``.
    disc_channels, disc_layers : int
        PatchGAN width and depth.
    cycle_weight, identity_weight : float
        Cycle-loss weight (10) and identity weight relative to it (0.5).
    pool_size : int
        Images in each history pool (0 switches the pools off).
    seed : int
        Seed of the starting weights.

    References
    ----------
    Zhu, J.-Y., Park, T., Isola, P. & Efros, A. A. (2017), "Unpaired image-to-image translation using
    cycle-consistent adversarial networks", ICCV.
    """

    name = "CycleGAN"

    def __init__(self, task: Task | str, features: Sequence[int] = FEATURES, norm: str | tuple = NORM,
                 disc_channels: int = DISC_CHANNELS, disc_layers: int = DISC_LAYERS, cycle_weight: float = 10.0,
                 identity_weight: float = 0.5, pool_size: int = 50, seed: int = 0, upsample: str = "nontrainable"):
        if upsample not in ("nontrainable", "deconv"):
            raise ValueError(f"upsample must be 'nontrainable' or 'deconv', got {upsample!r}")
        self.features, self.norm, self.upsample = tuple(features), norm, upsample
        self.disc_channels, self.disc_layers = disc_channels, disc_layers
        self.cycle_weight, self.identity_weight, self.pool_size = float(cycle_weight), float(identity_weight), pool_size
        self.pools: dict[str, ImagePool] = {}
        super().__init__(task, seed)

    @property
    def uses_identity(self) -> bool:
        """Whether the identity term is in the loss (only when ``X`` and ``Y`` have as many channels)."""
        return self.identity_weight > 0 and self.in_channels == self.out_channels

    def _build(self) -> tuple[dict[str, nn.Module], dict[str, nn.Module]]:
        cx, cy = self.in_channels, self.out_channels
        generators = {"G": _basic_unet(cx, cy, self.features, self.norm, self.upsample),
                      "F": _basic_unet(cy, cx, self.features, self.norm, self.upsample)}
        discriminators = {"D_Y": _patch_discriminator(cy, self.disc_channels, self.disc_layers),
                          "D_X": _patch_discriminator(cx, self.disc_channels, self.disc_layers)}
        return generators, discriminators

    def describe(self) -> dict:
        return _as_plain({"name": self.name,
                          "generator": {"name": "monai.BasicUNet", "features": self.features, "norm": self.norm,
                                        "input": "distinct inputs",
                                        # networks trained before the option existed upsampled by deconvolution
                                        **({"upsample": self.upsample} if self.upsample != "deconv" else {})},
                          "discriminator": {"name": "monai.PatchDiscriminator", "channels": self.disc_channels,
                                            "layers": self.disc_layers, "conditioned": False},
                          "loss": {"adversarial": "lsgan", "cycle": self.cycle_weight, "identity": self.identity_weight,
                                   "identity_used": self.uses_identity},
                          "pool_size": self.pool_size, "unpaired": True, "betas": BETAS})

    def _datasets(self, subjects, config, patch):
        return (TaskDataset(subjects, self.task, augment=True, patch=patch, seed=config.seed),
                TaskDataset(subjects, self.task, augment=True, patch=patch, seed=config.seed + UNPAIRED_SEED))

    def _epoch_batches(self, datasets, config, epoch):
        return unpaired_batches(datasets[0], datasets[1], config, epoch)

    def _start(self, config: TrainConfig) -> None:
        self.pools = {"X": ImagePool(self.pool_size, config.seed), "Y": ImagePool(self.pool_size, config.seed + 1)}

    def _generate(self, x: torch.Tensor) -> torch.Tensor:
        return self.generators["G"](self._inputs(x))

    def _generator_forward(self, x, y):
        g, f = self.generators["G"], self.generators["F"]
        real_x, real_y = self._inputs(x), self._target(y)
        made = {"fake_y": g(real_x), "fake_x": f(real_y)}
        made["cycled_x"], made["cycled_y"] = f(made["fake_y"]), g(made["fake_x"])
        if self.uses_identity:
            made["same_y"], made["same_x"] = g(real_y), f(real_x)
        return made

    def _generator_loss(self, x, y, made):
        real_x, real_y = self._inputs(x), self._target(y)
        adversarial = (_lsgan(_logits(self.discriminators["D_Y"], made["fake_y"]), True)
                       + _lsgan(_logits(self.discriminators["D_X"], made["fake_x"]), True))
        cycle = F.l1_loss(made["cycled_x"], real_x) + F.l1_loss(made["cycled_y"], real_y)
        loss = adversarial + self.cycle_weight * cycle
        parts = {"adversarial": float(adversarial.detach()), "cycle": float(cycle.detach())}
        if self.uses_identity:
            identity = F.l1_loss(made["same_y"], real_y) + F.l1_loss(made["same_x"], real_x)
            loss = loss + self.cycle_weight * self.identity_weight * identity
            parts["identity"] = float(identity.detach())
        return loss, parts

    def _discriminator_loss(self, x, y, made):
        d_y, d_x = self.discriminators["D_Y"], self.discriminators["D_X"]
        loss_y = 0.5 * (_lsgan(_logits(d_y, self._target(y)), True)
                        + _lsgan(_logits(d_y, self.pools["Y"].query(made["fake_y"])), False))
        loss_x = 0.5 * (_lsgan(_logits(d_x, self._inputs(x)), True)
                        + _lsgan(_logits(d_x, self.pools["X"].query(made["fake_x"])), False))
        return loss_y + loss_x, {"d_y": float(loss_y.detach()), "d_x": float(loss_x.detach())}


def _conv_block(in_channels: int, out_channels: int, act: nn.Module) -> nn.Sequential:
    """3 x 3 convolution, batch norm, activation."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), act)


class MixedFusionBlock(nn.Module):
    """Hi-Net's mixed fusion block: convolves the branches' element-wise sum, product and max, then joins the level above.

    ``forward(features, previous)``: ``n`` branch tensors ``(B, c, h, w)`` and, if any, the previous block's pooled output.
    """

    def __init__(self, channels: int, out_channels: int, previous: int = 0):
        super().__init__()
        act = nn.LeakyReLU(0.2)
        self.mix = _conv_block(3 * channels, channels, act)
        self.out = _conv_block(channels + previous, out_channels, act)

    def forward(self, features: Sequence[torch.Tensor], previous: torch.Tensor | None = None) -> torch.Tensor:
        stack = torch.stack(list(features))  # (n, B, c, h, w)
        mixed = self.mix(torch.cat([stack.sum(0), stack.prod(0), stack.amax(0)], dim=1))
        return self.out(mixed if previous is None else torch.cat([mixed, previous], dim=1))


class _Encoder(nn.Module):
    """One modality's encoder: per level two conv-BN-LeakyReLU(0.2), then 2 x 2 max pooling."""

    def __init__(self, in_channels: int, widths: Sequence[int]):
        super().__init__()
        act = nn.LeakyReLU(0.2)
        self.levels = nn.ModuleList()
        for width in widths:
            self.levels.append(nn.Sequential(_conv_block(in_channels, width, act), _conv_block(width, width, act)))
            in_channels = width

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(B, c, H, W)`` -> the features of every level before pooling, then the last pooled."""
        out = []
        for level in self.levels:
            x = level(x)
            out.append(x)
            x = F.max_pool2d(x, 2)
        return [*out, x]


class _Reconstructor(nn.Module):
    """One modality's decoder: from its encoder's deepest features back to the modality, no skips."""

    def __init__(self, widths: Sequence[int], out_channels: int):
        super().__init__()
        act = nn.ReLU()
        widths = list(widths)
        self.levels = nn.ModuleList(_conv_block(a, b, act) for a, b in zip(widths[::-1], widths[::-1][1:] + widths[:1]))
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, z: torch.Tensor, sizes: Sequence[torch.Size]) -> torch.Tensor:
        for level, size in zip(self.levels, sizes[::-1]):
            z = level(F.interpolate(z, size=size, mode="nearest"))
        return self.head(z)


class HiNetGenerator(nn.Module):
    """Hi-Net's generator: one encoder per input modality, a mixed-fusion block per level, a synthesis decoder.

    ``forward(inputs)`` maps one ``(B, c_m, H, W)`` tensor per branch (``H, W >= 2**levels``) to
    ``(synthesis (B, out_channels, H, W), [reconstruction of each input by its own branch])``.

    Parameters
    ----------
    in_channels : sequence of int
        Channels of each input modality (one branch each).
    out_channels : int
    features, levels : int
        Width of the first level (doubled per level) and number of 2 x 2 poolings before the bottleneck.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, features: int = HINET_FEATURES,
                 levels: int = HINET_LEVELS):
        super().__init__()
        widths = [features * 2 ** i for i in range(levels)]
        self.encoders = nn.ModuleList(_Encoder(c, widths) for c in in_channels)
        self.reconstructors = nn.ModuleList(_Reconstructor(widths, c) for c in in_channels)
        self.fusion = nn.ModuleList(MixedFusionBlock(w, w, previous=widths[i - 1] if i else 0) for i, w in enumerate(widths))
        self.bottleneck = _conv_block(widths[-1], 2 * widths[-1], nn.LeakyReLU(0.2))
        below = [*widths[1:], 2 * widths[-1]]
        self.decoder = nn.ModuleList(nn.Sequential(_conv_block(b + w, w, nn.ReLU()), _conv_block(w, w, nn.ReLU()))
                                     for w, b in zip(widths, below))
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, inputs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = [encoder(x) for encoder, x in zip(self.encoders, inputs)]
        levels = len(self.fusion)
        fused, previous = [], None
        for i, block in enumerate(self.fusion):
            previous = block([f[i] for f in features], None if previous is None else F.max_pool2d(previous, 2))
            fused.append(previous)
        h = self.bottleneck(F.max_pool2d(previous, 2))
        for i in reversed(range(levels)):
            h = F.interpolate(h, size=fused[i].shape[-2:], mode="nearest")
            h = self.decoder[i](torch.cat([h, fused[i]], dim=1))
        sizes = [f.shape[-2:] for f in features[0][:levels]]
        reconstructions = [rec(f[-1], sizes) for rec, f in zip(self.reconstructors, features)]
        return self.head(h), reconstructions


class HiNet(AdversarialBaseline):
    """Hi-Net: modality-specific encoders, mixed fusion and a decoder, trained with L1, reconstruction L1 and an LSGAN.

    ``L_G = (D(G(x)) - 1)^2 + l1_weight |G(x) - y|_1 + reconstruction_weight sum_m |R_m(x_m) - x_m|_1`` with an
    unconditional PatchGAN ``D``, loss weights as in the authors' code. With one input the fusion blocks fuse nothing.
    Deviations: smaller widths, fusion-block skips, a 4 x 4 PatchGAN, linear outputs, step lr decay.

    Parameters
    ----------
    task : Task or str
    features, levels : int
        Width of the first level and number of levels (the authors' code: 32 and 3).
    disc_channels, disc_layers : int
        PatchGAN width and depth.
    l1_weight, reconstruction_weight : float
        Weights of the synthesis and reconstruction L1 terms (100 and 20).
    seed : int
        Seed of the starting weights.

    References
    ----------
    Zhou, T., Fu, H., Chen, G., Shen, J. & Shao, L. (2020), "Hi-Net: hybrid-fusion network for multi-modal MR image
    synthesis", IEEE Trans. Medical Imaging 39(9), 2772-2781; code: https://github.com/taozh2017/HiNet.
    """

    name = "Hi-Net"

    def __init__(self, task: Task | str, features: int = HINET_FEATURES, levels: int = HINET_LEVELS,
                 disc_channels: int = DISC_CHANNELS, disc_layers: int = DISC_LAYERS, l1_weight: float = 100.0,
                 reconstruction_weight: float = 20.0, seed: int = 0):
        self.features, self.levels = int(features), int(levels)
        self.disc_channels, self.disc_layers = disc_channels, disc_layers
        self.l1_weight, self.reconstruction_weight = float(l1_weight), float(reconstruction_weight)
        super().__init__(task, seed)

    def _build(self) -> tuple[dict[str, nn.Module], dict[str, nn.Module]]:
        branches = [modality_channels(m) for m in self.task.inputs]
        generator = HiNetGenerator(branches, self.out_channels, self.features, self.levels)
        return {"G": generator}, {"D": _patch_discriminator(self.out_channels, self.disc_channels, self.disc_layers)}

    def describe(self) -> dict:
        return _as_plain({"name": self.name,
                          "generator": {"name": "HiNetGenerator", "features": self.features, "levels": self.levels,
                                        "branches": self.task.inputs, "norm": "batch"},
                          "discriminator": {"name": "monai.PatchDiscriminator", "channels": self.disc_channels,
                                            "layers": self.disc_layers, "conditioned": False},
                          "loss": {"adversarial": "lsgan", "l1": self.l1_weight,
                                   "reconstruction": self.reconstruction_weight}, "betas": BETAS})

    def _branches(self, x: torch.Tensor) -> list[torch.Tensor]:
        return list(self.task.unpack_x(x).values())

    def _generate(self, x: torch.Tensor) -> torch.Tensor:
        return self.generators["G"](self._branches(x))[0]

    def _generator_forward(self, x, y):
        fake, reconstructions = self.generators["G"](self._branches(x))
        return {"fake": fake, **{f"reconstruction_{i}": r for i, r in enumerate(reconstructions)}}

    def _generator_loss(self, x, y, made):
        adversarial = _lsgan(_logits(self.discriminators["D"], made["fake"]), True)
        l1 = F.l1_loss(made["fake"], self._target(y))
        reconstruction = sum(F.l1_loss(made[f"reconstruction_{i}"], branch) for i, branch in enumerate(self._branches(x)))
        loss = adversarial + self.l1_weight * l1 + self.reconstruction_weight * reconstruction
        return loss, {"adversarial": float(adversarial.detach()), "l1": float(l1.detach()),
                      "reconstruction": float(reconstruction.detach())}

    def _discriminator_loss(self, x, y, made):
        d = self.discriminators["D"]
        real = _lsgan(_logits(d, self._target(y)), True)
        fake = _lsgan(_logits(d, made["fake"]), False)
        return 0.5 * (real + fake), {"d_real": float(real.detach()), "d_fake": float(fake.detach())}


#: The methods by name.
ADVERSARIAL: dict[str, type[AdversarialBaseline]] = {"pix2pix": Pix2Pix, "CycleGAN": CycleGAN, "Hi-Net": HiNet}


def make_baseline(name: str, task: Task | str, seed: int = 0, **kwargs: Any) -> AdversarialBaseline:
    """An untrained ``name`` (``"pix2pix"``, ``"CycleGAN"`` or ``"Hi-Net"``) for ``task``."""
    try:
        cls = ADVERSARIAL[name]
    except KeyError:
        raise ValueError(f"unknown synthesis baseline {name!r}; choose one of {sorted(ADVERSARIAL)}") from None
    return cls(task, seed=seed, **kwargs)


def from_describe(task: Task | str, described: dict, seed: int = 0) -> AdversarialBaseline:
    """The untrained baseline whose :meth:`~AdversarialBaseline.describe` is ``described`` (else ValueError)."""
    name, gen, disc, loss = described["name"], described["generator"], described["discriminator"], described["loss"]
    common = {"disc_channels": disc["channels"], "disc_layers": disc["layers"]}
    if name == "pix2pix":
        model = Pix2Pix(task, gen["features"], _norm(gen["norm"]), l1_weight=loss["l1"], seed=seed, **common)
    elif name == "CycleGAN":
        model = CycleGAN(task, gen["features"], _norm(gen["norm"]), cycle_weight=loss["cycle"],
                         identity_weight=loss["identity"], pool_size=described["pool_size"], seed=seed,
                         upsample=gen.get("upsample", "deconv"), **common)
    elif name == "Hi-Net":
        model = HiNet(task, gen["features"], gen["levels"], l1_weight=loss["l1"],
                      reconstruction_weight=loss["reconstruction"], seed=seed, **common)
    else:
        raise ValueError(f"unknown synthesis baseline {name!r}; choose one of {sorted(ADVERSARIAL)}")
    if model.describe() != described:
        raise ValueError(f"cannot rebuild {described} for task {model.task.name!r} (it builds {model.describe()})")
    return model


def _norm(value: Any) -> str | tuple:
    """A norm from plain data: a JSON list back to MONAI's tuple form."""
    return tuple(value) if isinstance(value, list) else value
