"""Screen one change to the teacher-trained fusion network on notebook 06's Harvard split (issue 15).

    python scripts/screen_harvard_fusion.py over0.5 '{"overshoot": 0.5, "signed_edges": false}'
    python scripts/screen_harvard_fusion.py steps '{"epochs": 300, "lr_step": 120}'
    python scripts/screen_harvard_fusion.py lp-max '{"teacher": "lp_max_base"}'
    python scripts/screen_harvard_fusion.py sharpest '{"teacher": "lrd|laplacian_pyramid"}'

Trains (in ``--profile``, by default ``tutorial``) on the training cases of
``split_subjects(harvard_cases("CT-MRI"), (5, 1, 2), seed=0)`` (cases 20, 21, 28, 32, 33) with the
Harvard recipe (:func:`~ivan_core.tutorial.fusion_study.fusion_profile`, ``harvard=True``) and the changes in the JSON
spec, then scores the fused image on the validation case (16) only
(:func:`~ivan_core.baselines.fusion.methods.fusion_rows`), and separation from the saved 8-bit fused image on
it too. A screen is a recipe choice: the split's two test cases are dropped as soon as the cases are
split, never labelled, trained with or scored (they are kept for the final tables).
The spec's keys: ``teacher`` (a key of :data:`ivan_core.baselines.fusion.METHODS`, or ``"lp_max_base"``: the
Laplacian pyramid with the brighter base instead of the mean; or method names joined by ``|``: per
pixel the teacher with the most local edge activity, :func:`sharpest_label`), ``w_edge``, ``overshoot``
(:func:`ivan_core.core.training.fusion_losses.edge_loss`), ``gradient`` (``"sobel"`` or ``"differences"``: forward differences
``|dx| + |dy|``, the gradient SF measures), ``fnorm`` (the label term's norm), ``signed_edges`` (the
edge term keeps each source edge's sign, :func:`ivan_core.core.training.fusion_losses.signed_edge_loss`; default: the
recipe's, else True; the Sobel gradient only, with ``overshoot`` 1); every other key is a
:meth:`~ivan_core.tutorial.profiles.Profile.changed` field. One JSON line per screen is appended to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from ivan_core.baselines.fusion import METHODS, fuse
from ivan_core.baselines.fusion.methods import add_fusion_label
from ivan_core.baselines.fusion.rules import _lp_fuse
from ivan_core.core.inference import synthesise
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import get_task
from ivan_core.core.training.fusion_losses import _fusion_term, edge_loss, teacher_forward_loss
from ivan_core.core.training.losses import ForwardTerm, distance
from ivan_core.data import split_subjects
from ivan_core.evaluation import inverse_rows
from ivan_core.evaluation.scoring import fusion_rows
from ivan_core.metrics import FUSION_METRICS
from ivan_core.tutorial.experiment import Splits, fit, harvard_cases
from ivan_core.tutorial.fusion_study import fusion_profile


def difference_magnitude(img: torch.Tensor) -> torch.Tensor:
    """``|dx| + |dy|`` of ``(B, C, H, W)`` images by forward differences (zero on the last row and column)."""
    dx = F.pad(img[..., :, 1:] - img[..., :, :-1], (0, 1, 0, 0))
    dy = F.pad(img[..., 1:, :] - img[..., :-1, :], (0, 0, 0, 1))
    return dx.abs() + dy.abs()


def screen_term(task, gradient: str, overshoot: float, w_edge: float, fnorm: str, signed: bool = True) -> ForwardTerm:
    """The teacher loss (:func:`~ivan_core.baselines.fusion.methods.teacher_forward_loss`, ``signed`` or not) with
    the Sobel gradient, or ``||F - label|| + w_edge * edge_loss(..., gradient=difference_magnitude)``
    (magnitudes only: ``signed`` is an error there)."""
    if signed and overshoot != 1.0:
        raise ValueError(f"overshoot weighs edge magnitudes; the signed edge term takes none (got overshoot={overshoot}): "
                         'add "signed_edges": false to the spec')
    if gradient == "sobel":
        return teacher_forward_loss(task, w_edge, fnorm, overshoot, signed=signed)
    if signed:
        raise ValueError(f"the {gradient!r} gradient screens the magnitude edge term only: add \"signed_edges\": false "
                         "to the spec, or use the Sobel gradient for the signed term")

    def term(fused, label, a, b):
        return distance(fused, label, fnorm) + w_edge * edge_loss(fused, a, b, overshoot, difference_magnitude)

    return ForwardTerm(_fusion_term(task, term), {"name": "screen_teacher_loss", "gradient": gradient,
                                                  "overshoot": overshoot, "w_edge": w_edge, "norm": fnorm})


def sharpest_label(fused: list[np.ndarray], window: int = 5) -> np.ndarray:
    """Per pixel the candidate ``(H, W)`` fused image with the largest Sobel magnitude averaged over a
    ``window`` x ``window`` neighbourhood (the choose-max activity rule, applied to whole fused images)."""
    stack = np.stack(fused)
    activity = np.stack([ndimage.uniform_filter(np.hypot(ndimage.sobel(f, 0), ndimage.sobel(f, 1)), window)
                         for f in stack])
    return np.take_along_axis(stack, activity.argmax(0)[None], 0)[0]


def label_slice(a: np.ndarray, b: np.ndarray, teacher: str) -> np.ndarray:
    """The teacher's fused ``(H, W)`` image of the sources ``a`` (T2) and ``b`` (CT)."""
    if teacher == "lp_max_base":
        return _lp_fuse(a, b, 4, np.maximum)
    if "|" in teacher:
        return sharpest_label([fuse(m, a, b) for m in teacher.split("|")])
    return fuse(teacher, a, b)


def label(subjects: list[Subject], teacher: str) -> list[Subject]:
    """``subjects`` with the teacher's fused image as ``"FUSED"``."""
    if teacher in METHODS:
        return add_fusion_label(subjects, teacher)
    return [Subject(s.name, {**s.images, "FUSED": np.stack([label_slice(s["T2"][k], s["CT"][k], teacher)
                                                             for k in range(s.n_slices)]).astype(np.float32)},
                    s.mask, s.labels, s.meta) for s in subjects]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("spec", help="JSON object of the changes")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-fusion-screen"))
    parser.add_argument("--out", type=Path, default=Path("runs/harvard-fusion-screen/screens.jsonl"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", default="tutorial", help="whose fusion and Harvard recipes train")
    parser.add_argument("--aanlib", default=None, help="folder of the Harvard pairs (default: IVAN_AANLIB, then "
                                                       "../shared/data/aanlib)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    spec = json.loads(args.spec)
    teacher = spec.pop("teacher", "laplacian_pyramid")
    loss = {k: spec.pop(k, d) for k, d in (("gradient", "sobel"), ("overshoot", 1.0), ("w_edge", 1.0), ("fnorm", "l2"))}
    cases = harvard_cases("CT-MRI", args.aanlib)
    if cases is None:
        return 2
    train, val = split_subjects(cases, (5, 1, 2), seed=0)[:2]  # the test cases are dropped here, never used
    del cases
    labelled = Splits(label(train, teacher), label(val, teacher), [])
    task = get_task("t2ct_fusion")
    start = time.perf_counter()
    profile = fusion_profile(args.profile, harvard=True).changed(**spec)
    signed = profile.signed_edges
    result = fit(task, labelled, profile, args.models, False, screen_term(task, **loss, signed=signed))
    seconds = round(time.perf_counter() - start, 1)
    spec.pop("signed_edges", None)
    out = {"name": args.name, "teacher": teacher, **loss, "signed_edges": signed, "overrides": spec, "seconds": seconds}
    rows = [r for s in labelled.val for r in fusion_rows(s, {"iVAN": synthesise(result.net, task, s)["FUSED"]})]
    out["validation_case"] = {m: round(float(np.mean([r[m] for r in rows])), 4) for m in FUSION_METRICS}
    saved = [r for s in labelled.val for r in inverse_rows(result.net, task, s)
             if r["region"] == "head" and r["kind"] == "saved synthesis (8-bit)"]
    out["separation_psnr"] = {m: round(float(np.mean([r["psnr"] for r in saved if r["modality"] == m])), 2)
                              for m in task.inputs}
    print(json.dumps(out), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as fh:
        fh.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
