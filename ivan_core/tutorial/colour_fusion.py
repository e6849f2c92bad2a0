"""Colour fusion with iVAN: an MRI and a colour-mapped SPECT fused on the SPECT's YCbCr luminance, its chroma kept.

The network is the Harvard CT-MRI fusion recipe, frozen (the unsupervised loss, edge weight 2, crops on the Haar grid),
plus the fine term of :func:`~ivan_core.core.training.fusion_losses.fine_excess_loss` (weight :data:`FINE_WEIGHT`:
the Sobel edge term cannot see a two-pixel checkerboard, this term can) and gradients clipped at
:data:`MAX_GRAD_NORM`, trained on ``t2spect_fusion``: X = (T2, SPECT_Y), Y = (FUSED, FUSED), ``SPECT_Y`` the SPECT's luminance
(:func:`~ivan_core.baselines.fusion.luminance`). The network is used as a grey rule (:func:`network_rule`) inside
:func:`~ivan_core.baselines.fusion.fuse_colour`, exactly as the classical rules are, so the chroma is put back the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ivan_core.baselines.fusion import add_fusion_label, luminance
from ivan_core.baselines.fusion.rules import FusionFn
from ivan_core.core.inference import synthesise
from ivan_core.core.model import IVAN
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import get_task
from ivan_core.core.training import TrainResult
from ivan_core.tutorial.experiment import Splits
from ivan_core.tutorial.fusion_study import fit_fusion, fusion_profile
from ivan_core.tutorial.profiles import Profile

#: The task the colour-fusion network learns.
TASK = get_task("t2spect_fusion")
#: The grey image it fuses with the MRI: the colour SPECT's luminance.
LUMA = "SPECT_Y"
#: The fused image the training pairs carry to fill the output slot; the unsupervised loss never reads it.
LABEL = "laplacian_pyramid"
#: Weight of the fine term, equal to the edge term's (set before any colour network was scored with it).
FINE_WEIGHT = 2.0
#: Gradient-norm clipping, well above a typical step's norm: it cuts only the spikes that can make a training diverge.
MAX_GRAD_NORM = 10.0


def with_luma(subjects: Sequence[Subject], colour: str = "SPECT_rgb") -> list[Subject]:
    """Copies of ``subjects`` holding ``images["SPECT_Y"]``, the luminance ``(S, H, W)`` of their ``colour`` image."""
    return [Subject(s.name, {**s.images, LUMA: luminance(s[colour]).astype(np.float32)}, s.mask, s.labels, s.meta)
            for s in subjects]


def colour_fusion_profile(profile: str | Profile = "tutorial") -> Profile:
    """The Harvard fusion profile with crops on the Haar grid (the frozen CT-MRI recipe), gradients clipped at
    :data:`MAX_GRAD_NORM`."""
    return fusion_profile(profile, harvard=True).changed(aligned_crops=True, max_grad_norm=MAX_GRAD_NORM)


def fit_colour_fusion(train: Sequence[Subject], models_root: str | Path | None, profile: str | Profile = "tutorial",
                      colour: str = "SPECT_rgb", progress: bool = True) -> TrainResult:
    """Train (or load from ``models_root``) the colour-fusion network on ``train`` (subjects with ``"T2"`` and
    ``colour``), the unsupervised fusion loss with edge weight 2 and fine weight :data:`FINE_WEIGHT`
    (:func:`~ivan_core.tutorial.fusion_study.fit_fusion`)."""
    pairs = add_fusion_label(with_luma(train, colour), LABEL, sources=("T2", LUMA))
    return fit_fusion(Splits(pairs, [], []), colour_fusion_profile(profile), models_root, "unsupervised",
                      progress=progress, task=TASK, fine_weight=FINE_WEIGHT)


def network_rule(net: IVAN) -> FusionFn:
    """``net`` as a grey fusion rule ``(MRI (H, W), luminance (H, W)) -> fused luminance (H, W)`` in [0, 1]: a colour
    image fuses by ``fuse_colour(network_rule(net), mri, rgb)``, as by any classical rule
    (:func:`~ivan_core.baselines.fusion.fuse_colour`)."""
    def fuse(mri: np.ndarray, luma: np.ndarray) -> np.ndarray:
        images = {"T2": np.asarray(mri, np.float32)[None], LUMA: np.asarray(luma, np.float32)[None]}
        return np.clip(synthesise(net, TASK, images)["FUSED"][0], 0.0, 1.0)
    return fuse
