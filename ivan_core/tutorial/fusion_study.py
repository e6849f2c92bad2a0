"""One fusion experiment: train iVAN both ways, fuse the test subjects with every method, score."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

import ivan_core.baselines.fusion.methods as methods_module
from ivan_core.baselines.fusion.methods import COSTLY, METHODS, add_fusion_label, fuse
from ivan_core.core.inference import synthesise
from ivan_core.core.io import atomic_write
from ivan_core.core.model import IVAN
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training import TrainResult
from ivan_core.core.training.fusion_losses import teacher_forward_loss, unsupervised_forward_loss
from ivan_core.evaluation import inverse_rows
from ivan_core.evaluation.scoring import fusion_rows
from ivan_core.tutorial.experiment import Splits, fit
from ivan_core.tutorial.profiles import Profile, get_profile


@cache
def _fusion_code_sha() -> str:
    """SHA-256 over the classical fusion methods' code and data files (keys the fused-volume cache)."""
    folder = Path(methods_module.__file__).parent
    files = {Path(sys.modules[fn.__module__].__file__) for fn in METHODS.values()} | {Path(methods_module.__file__)}
    files |= {p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def fuse_volume(method: str, a: np.ndarray, b: np.ndarray, cache_dir: str | Path | None = None) -> np.ndarray:
    """Fuse two ``(S, H, W)`` volumes slice by slice with a classical method (COSTLY ones in parallel); with
    ``cache_dir`` the result is cached atomically under a hash of the method, both volumes and the fusion code."""
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256(f"{method}|{a.shape}|{b.shape}|{_fusion_code_sha()}".encode())
        for volume in (a, b):
            digest.update(np.ascontiguousarray(volume, dtype=np.float32).tobytes())
        path = Path(cache_dir) / f"{method}-{digest.hexdigest()[:20]}.npy"
        if path.is_file():
            return np.load(path, allow_pickle=False)
    if method in COSTLY and len(a) > 1:
        workers = min(len(a), os.cpu_count() or 1)
        slices = Parallel(n_jobs=workers)(delayed(fuse)(method, a[k], b[k]) for k in range(len(a)))
    else:
        slices = [fuse(method, a[k], b[k]) for k in range(len(a))]
    fused = np.stack(slices).astype(np.float32)
    if path is not None:
        atomic_write(path, lambda fh: np.save(fh, fused, allow_pickle=False))
    return fused


def evenly_spaced(subject: Subject, n: int) -> Subject:
    """``n`` slices of ``subject`` spread evenly between its ends (both ends left out), or all where it has fewer."""
    if n < 1:
        raise ValueError(f"need at least one slice, got {n}")
    if n >= subject.n_slices:
        return subject
    return subject.take(np.round(np.linspace(0, subject.n_slices - 1, n + 2)[1:-1]).astype(int).tolist())


@dataclass
class FusionStudy:
    """Results of :func:`run_fusion_study`: ``table`` (fusion metrics per subject and method), ``separation``
    (inverse rows per iVAN variant), ``fused`` (subject -> method -> ``(S, H, W)``), ``test`` (subjects with the
    ``"FUSED"`` label) and ``nets`` (method -> trained IVAN)."""

    table: list[dict]
    separation: list[dict]
    fused: dict[str, dict[str, np.ndarray]]
    test: list[Subject]
    nets: dict[str, IVAN]


def fusion_profile(profile: str | Profile, harvard: bool = False) -> Profile:
    """The profile as fusion trains it: ``lam = 1``, the inverse from the repacked output, the profile's ``fusion``
    changes (and with ``harvard`` its ``harvard_fusion`` ones), about five validations per run."""
    p = get_profile(profile)
    changes = {"lam": 1.0, "inverse_from": "repacked", **p.fusion, **(p.harvard_fusion if harvard else {})}
    epochs = changes.get("epochs", p.train.epochs)
    return p.changed(**changes, val_every=max(1, epochs // 5))


#: The two ways iVAN learns fusion: fit a teacher's fused image (plus an edge term), or no label at all.
FUSION_VARIANTS = ("teacher", "unsupervised")


def variant_label(variant: str, teacher: str = "laplacian_pyramid") -> str:
    """The table name of an iVAN fusion variant, e.g. ``"iVAN (teacher: laplacian_pyramid)"``; ValueError if unknown."""
    if variant not in FUSION_VARIANTS:
        raise ValueError(f"unknown fusion variant {variant!r}; expected one of {FUSION_VARIANTS}")
    return f"iVAN (teacher: {teacher})" if variant == "teacher" else "iVAN (unsupervised)"


def fit_fusion(labelled: Splits, profile: Profile, models_root: str | Path | None, variant: str = "teacher",
               teacher: str = "laplacian_pyramid", edge_weight: float = 1.0, progress: bool = True,
               pretrained: bool = False, edge_overshoot: float = 1.0, gradient_weight: float = 2.0,
               task: str | Task = "t2ct_fusion", fine_weight: float = 0.0) -> TrainResult:
    """Train (or load) one iVAN fusion variant of ``task`` (two sources, one ``"FUSED"`` output) on
    ``labelled.train`` with a :func:`fusion_profile`.

    ``"teacher"`` fits the ``"FUSED"`` label plus ``edge_weight`` times the edge term
    (:func:`~ivan_core.core.training.fusion_losses.teacher_forward_loss`); ``"unsupervised"`` uses
    :func:`~ivan_core.core.training.fusion_losses.unsupervised_forward_loss` with ``gradient_weight`` as its
    ``w_gradient`` (the teacher variant ignores it). Both take ``fine_weight`` as their ``w_fine``. The profile's
    ``signed_edges`` keeps edge signs; ``edge_overshoot`` applies to the magnitude term. A teacher variant without
    labels, or a profile that does not train the inverse from the repacked output (not a fusion profile), raises
    ValueError.
    """
    variant_label(variant, teacher)
    if profile.train.inverse_from != "repacked":
        raise ValueError(f"fusion trains the inverse from the repacked output; pass fusion_profile({profile.name!r})")
    signed_edges = profile.signed_edges
    task = get_task(task)
    if len(task.inputs) != 2 or task.outputs != ("FUSED",):
        raise ValueError(f"task {task.name!r} is not a fusion task: it needs two sources and one 'FUSED' output")
    if variant == "teacher" and not all("FUSED" in s.images for s in labelled.train):
        raise ValueError(f"the teacher variant fits a label: add {teacher!r}'s fused image to every training subject "
                         "first (ivan_core.baselines.fusion.methods.add_fusion_label)")
    if variant == "teacher":
        forward = teacher_forward_loss(task, edge_weight, overshoot=edge_overshoot, signed=signed_edges,
                                       w_fine=fine_weight)
    else:
        forward = unsupervised_forward_loss(task, signed=signed_edges, w_gradient=gradient_weight,
                                            w_fine=fine_weight)
    return fit(task, labelled, profile, models_root, progress, forward, pretrained)


def run_fusion_study(splits: Splits, profile: Profile, models_root: str | Path | None,
                     teacher: str = "laplacian_pyramid", edge_weight: float = 1.0,
                     progress: bool = True, pretrained: bool = False, methods: Sequence[str] = tuple(METHODS),
                     fused_cache: str | Path | None = None, variants: Sequence[str] = FUSION_VARIANTS,
                     edge_overshoot: float = 1.0, test_slices: int | None = None) -> FusionStudy:
    """Train the iVAN fusion ``variants`` with a :func:`fusion_profile` (:func:`fit_fusion`), then compare with
    ``methods`` on ``splits.test`` (with ``test_slices``, on that many evenly spaced slices of each subject);
    each variant's inverse pass is scored as separation into T2 and CT. Classical fused volumes are cached in
    ``fused_cache`` (default ``models_root/fused``)."""
    test = splits.test if test_slices is None else [evenly_spaced(s, test_slices) for s in splits.test]
    labelled = Splits(*(add_fusion_label(part, teacher) for part in (splits.train, splits.val, test)))
    nets = {variant_label(variant, teacher): fit_fusion(labelled, profile, models_root, variant, teacher, edge_weight,
                                                        progress, pretrained, edge_overshoot).net
            for variant in variants}
    if fused_cache is None and models_root is not None:
        fused_cache = Path(models_root) / "fused"
    table, separation, fused = score_fusion(nets, labelled.test, methods, fused_cache)
    return FusionStudy(table, separation, fused, labelled.test, nets)


def score_fusion(nets: dict[str, IVAN], test: Sequence[Subject], methods: Sequence[str] = tuple(METHODS),
                 fused_cache: str | Path | None = None
                 ) -> tuple[list[dict], list[dict], dict[str, dict[str, np.ndarray]]]:
    """Fuse every ``test`` subject with ``methods`` (cached in ``fused_cache``) and the t2ct_fusion ``nets``
    (label -> network), score every fused volume and each network's inverse pass. Returns ``(table, separation,
    fused)`` as :class:`FusionStudy` holds them; the inverse rows need each subject's ``"FUSED"`` label."""
    task = get_task("t2ct_fusion")
    table, separation, fused = [], [], {}
    for subject in test:
        volumes = {m: fuse_volume(m, subject["T2"], subject["CT"], fused_cache) for m in methods}
        volumes.update({m: synthesise(net, task, subject)["FUSED"] for m, net in nets.items()})
        fused[subject.name] = volumes
        table += fusion_rows(subject, volumes)
        for method, net in nets.items():
            separation += [{"method": method, **r} for r in inverse_rows(net, task, subject)]
    return table, separation, fused
