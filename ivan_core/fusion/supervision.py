"""How iVAN learns to fuse: a teacher's fused image as the label, or no label at all.

The paper trains fusion with "the target fused image as the label" without saying where that
image comes from. Here the choice is explicit:

* ``teacher``: the label is a classical fusion of the sources (:data:`ivan_core.fusion.METHODS`,
  e.g. ``"laplacian_pyramid"``), added to every subject as the modality ``"FUSED"``. The forward
  term is :func:`ivan_core.fusion.teacher_fusion_loss`: the distance to the label plus an edge
  term, because a network fitted to the label alone blurs it and loses the teacher's edges.
* ``unsupervised``: the forward term is :func:`ivan_core.fusion.unsupervised_fusion_loss`
  against both sources (intensity + gradient), so iVAN is not capped by a teacher.

Both keep the inverse term. Fusion trains it from the *repacked* output (every copy of the fused
image replaced by their mean), which is what a saved fused image gives back, so the fused image
alone can be separated into T2 and CT.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch

from ivan_core.data import Subject
from ivan_core.fusion.losses import teacher_fusion_loss, unsupervised_fusion_loss
from ivan_core.fusion.methods import fuse
from ivan_core.metrics import fusion_metrics
from ivan_core.tasks import Task
from ivan_core.training.losses import ForwardTerm, Norm


def add_fusion_label(subjects: Sequence[Subject], method: str, sources: tuple[str, str] = ("T2", "CT"),
                     label: str = "FUSED") -> list[Subject]:
    """Copies of ``subjects`` with ``images[label]`` = ``method`` fusion of the two sources, slice by slice."""
    a, b = sources
    out = []
    for s in subjects:
        fused = np.stack([fuse(method, s[a][k], s[b][k]) for k in range(s.n_slices)]).astype(np.float32)
        out.append(Subject(s.name, {**s.images, label: fused}, s.mask, s.labels,
                           {**s.meta, "fusion_label": method}))
    return out


ForwardLoss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def _fusion_term(task: Task, term: Callable[..., torch.Tensor]) -> ForwardLoss:
    """Wrap ``term(fused, label, a, b)`` as a forward loss ``(y_hat, y, x) -> scalar``: the fused
    estimate and the label are the means of their output copies, ``a`` and ``b`` the sources in ``x``."""
    (label,) = task.outputs
    a, b = task.inputs

    def loss(y_hat: torch.Tensor, y: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor:
        sources = task.unpack_x(x)
        target = None if y is None else task.unpack_y(y)[label]
        return term(task.unpack_y(y_hat)[label], target, sources[a], sources[b])

    return loss


def unsupervised_forward_loss(task: Task, signed: bool = False, **weights: float) -> ForwardTerm:
    """Forward term for :func:`ivan_core.training.train`: :func:`ivan_core.fusion.unsupervised_fusion_loss`
    of the fused estimate against the two sources (no label); ``weights`` (``w_intensity``,
    ``w_gradient``) override the loss's defaults, and all of them are in the term's ``key``, with
    ``signed`` only when True (networks trained before it existed keep their key)."""
    defaults = inspect.signature(unsupervised_fusion_loss).parameters
    resolved = {name: float(weights.get(name, defaults[name].default)) for name in ("w_intensity", "w_gradient")}
    unknown = set(weights) - set(resolved)
    if unknown:
        raise TypeError(f"unknown weight(s) {sorted(unknown)}; unsupervised_fusion_loss takes {sorted(resolved)}")
    key = {"name": "unsupervised_fusion_loss", **resolved, **({"signed": True} if signed else {})}
    return ForwardTerm(_fusion_term(task, lambda fused, _, a, b: unsupervised_fusion_loss(fused, a, b, **resolved,
                                                                                          signed=signed)), key)


def teacher_forward_loss(task: Task, w_edge: float = 1.0, norm: Norm = "l2", overshoot: float = 1.0,
                         signed: bool = False) -> ForwardTerm:
    """Forward term for :func:`ivan_core.training.train`: :func:`ivan_core.fusion.teacher_fusion_loss`
    of the fused estimate against the label in ``y`` and the two sources.

    The key names ``overshoot`` only when it is not 1 and ``signed`` only when True, so networks trained
    before these parameters existed keep their key and their shipped weights.
    """
    key = {"name": "teacher_fusion_loss", "w_edge": float(w_edge), "norm": norm}
    if overshoot != 1.0:
        key["overshoot"] = float(overshoot)
    if signed:
        key["signed"] = True
    return ForwardTerm(_fusion_term(task, lambda fused, label, a, b: teacher_fusion_loss(
        fused, label, a, b, w_edge, norm, overshoot, signed)), key)


def fusion_rows(subject: Subject, fused: Mapping[str, np.ndarray], sources: tuple[str, str] = ("T2", "CT")) -> list[dict]:
    """Every fusion metric (:data:`ivan_core.metrics.FUSION_METRICS`) of each method's fused ``(S, H, W)`` volume,
    averaged over slices; POLARITY is measured on the second source's bright structures inside ``subject.mask``.

    Returns one row per method: ``{"subject", "method", <metric>: value, ...}``.
    """
    a, b = sources
    rows = []
    for method, volume in fused.items():
        per_slice = [fusion_metrics(subject[a][k], subject[b][k], np.clip(volume[k], 0, 1), mask=subject.mask[k])
                     for k in range(subject.n_slices)]
        rows.append({"subject": subject.name, "method": method,
                     **{m: float(np.nanmean([p[m] for p in per_slice])) for m in per_slice[0]}})
    return rows
