"""One fusion experiment: train iVAN both ways, fuse the test subjects with every method, score."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from ivan_core.data import Subject
from ivan_core.evaluation import inverse_rows, synthesise
from ivan_core.fusion.methods import COSTLY, METHODS, fuse
from ivan_core.fusion.supervision import add_fusion_label, fusion_rows, teacher_forward_loss, unsupervised_forward_loss
from ivan_core.model import IVAN
from ivan_core.tasks import get_task
from ivan_core.tutorial.experiment import Splits, fit
from ivan_core.tutorial.profiles import Profile, get_profile

#: Fusion metrics reported (:func:`ivan_core.metrics.fusion_metrics`): Q_ABF is Xydeas & Petrovic's
#: Q^AB/F, Q_PIELLA the paper's printed Eq. 18 (Piella & Heijmans).
FUSION_METRICS = ("AG", "SF", "EN", "Q_MI", "Q_ABF", "Q_PIELLA")


def fuse_volume(method: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fuse two ``(S, H, W)`` volumes slice by slice with a classical method; a method in
    :data:`~ivan_core.fusion.methods.COSTLY` runs its slices in parallel processes, one per CPU core."""
    if method in COSTLY and len(a) > 1:
        workers = min(len(a), os.cpu_count() or 1)
        slices = Parallel(n_jobs=workers)(delayed(fuse)(method, a[k], b[k]) for k in range(len(a)))
    else:
        slices = [fuse(method, a[k], b[k]) for k in range(len(a))]
    return np.stack(slices).astype(np.float32)


@dataclass
class FusionStudy:
    """Results of :func:`run_fusion_study`.

    Attributes
    ----------
    table : list of dict
        Fusion metrics per (subject, method), see :func:`fusion_rows`.
    separation : list of dict
        :func:`ivan_core.evaluation.inverse_rows` of each iVAN variant, plus ``method``.
    fused : dict
        ``subject name -> method -> (S, H, W)`` fused volume.
    test : list of Subject
        The test subjects, with the teacher's label as ``"FUSED"``.
    nets : dict
        ``method -> trained IVAN``.
    """

    table: list[dict]
    separation: list[dict]
    fused: dict[str, dict[str, np.ndarray]]
    test: list[Subject]
    nets: dict[str, IVAN]


def fusion_overrides(profile: str | Profile) -> dict[str, Any]:
    """:class:`~ivan_core.training.TrainConfig` overrides for fusion: ``lam = 1`` (the paper's weight;
    the synthesis recipe's larger forward weight would trade away separation), the profile's
    ``fusion`` overrides, and validation about five times per run.

    In the ``tutorial`` profile fusion keeps the recipe it was tuned with (the paper's network,
    50 epochs of 20 steps, lr halved every 20 epochs, the L2 inverse term); the Haar variant and
    the L1 loss of the synthesis recipe have not been tuned for fusion yet.
    """
    p = get_profile(profile)
    merged = {"lam": 1.0, **p.fusion}
    merged["val_every"] = max(1, merged.get("epochs", p.epochs) // 5)
    return merged


def run_fusion_study(splits: Splits, profile: str | Profile, models_root: str | Path | None,
                     teacher: str = "laplacian_pyramid", edge_weight: float = 1.0,
                     progress: bool = True, pretrained: bool = False, methods: Sequence[str] = tuple(METHODS),
                     **overrides: Any) -> FusionStudy:
    """Train iVAN on T2 + CT fusion with a teacher label and unsupervised, then compare on ``splits.test``.

    The teacher variant fits ``teacher``'s fused image plus ``edge_weight`` times the edge term
    (:func:`ivan_core.fusion.teacher_fusion_loss`); the unsupervised one uses
    :func:`ivan_core.fusion.unsupervised_fusion_loss`. Both train the inverse from the repacked
    output and use :func:`fusion_overrides`, then ``overrides`` (any
    :class:`~ivan_core.training.TrainConfig` field, e.g. ``lam=0.3`` to weight separation more).
    ``pretrained`` uses shipped networks trained under the same key (see :func:`~ivan_core.tutorial.experiment.fit`).
    Every method in ``methods`` (names of :data:`ivan_core.fusion.METHODS`; by default all of
    them) and both iVAN variants fuse each test subject; each variant's inverse pass
    is scored as separation back into T2 and CT.
    """
    task = get_task("t2ct_fusion")
    schedule = {**fusion_overrides(profile), **overrides}
    labelled = Splits(*(add_fusion_label(part, teacher) for part in (splits.train, splits.val, splits.test)))
    nets = {
        f"iVAN (teacher: {teacher})": fit(task, labelled, profile, models_root, progress, pretrained=pretrained,
                                          inverse_from="repacked",
                                          forward_loss=teacher_forward_loss(task, edge_weight), **schedule).net,
        "iVAN (unsupervised)": fit(task, labelled, profile, models_root, progress, pretrained=pretrained,
                                   inverse_from="repacked",
                                   forward_loss=unsupervised_forward_loss(task), **schedule).net,
    }
    table, separation, fused = [], [], {}
    for subject in labelled.test:
        volumes = {m: fuse_volume(m, subject["T2"], subject["CT"]) for m in methods}
        volumes.update({m: synthesise(net, task, subject)["FUSED"] for m, net in nets.items()})
        fused[subject.name] = volumes
        table += fusion_rows(subject, volumes)
        for method, net in nets.items():
            separation += [{"method": method, **r} for r in inverse_rows(net, task, subject)]
    return FusionStudy(table, separation, fused, labelled.test, nets)
