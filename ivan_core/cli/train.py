"""``ivan train``: train a network on registered pairs (or the phantom) and write its weights and card.

Fusion trains with a classical method's fused image as teacher (``--teacher``) or unsupervised, the shipped Harvard
network's recipe on real pairs. A rerun with the same ``--out`` resumes; the printed time is wall-clock.
"""

from __future__ import annotations

import argparse
import re
import shlex
import time
from pathlib import Path
from typing import Any

from ivan_core.cli.options import PROFILE_NAMES, positive_int, regex, task_list
from ivan_core.cli.scans import FUSION_RULES


def add_command(sub: argparse._SubParsersAction, task_lists: bool = True) -> None:
    """Register ``train`` on ``sub`` (``task_lists``: each task's modalities in the help)."""
    text = ("train a network on registered pairs (or the phantom) and write weights + card; under torchrun, "
            "data-parallel over its processes")
    tr = sub.add_parser("train", help=text, description=text, epilog=task_list() if task_lists else None,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    tr.add_argument("task", help="task name (listed below)")
    tr.add_argument("--pairs", type=Path, default=None,
                    help="DIR/<subject>/<MODALITY>.nii.gz volumes, or DIR/<MODALITY>/<slice>.png|.mat slice folders "
                         "(default: the profile's phantom)")
    tr.add_argument("--subject-of", type=regex, default=None,
                    help="for slice folders: a regular expression whose first group, at the start of a file name, "
                         "is its subject (e.g. '(\\d+)_')")
    tr.add_argument("--out", type=Path, required=True, help="run folder: checkpoints (resumed on rerun) and the card")
    tr.add_argument("--profile", choices=PROFILE_NAMES, default="tutorial")
    tr.add_argument("--epochs", type=positive_int, default=None, help="override the profile's epochs")
    fusion = tr.add_mutually_exclusive_group()
    fusion.add_argument("--teacher", choices=FUSION_RULES, default=None, metavar="METHOD",
                        help="t2ct_fusion: fit this rule's fused image (plus an edge term), e.g. laplacian_pyramid, "
                             "as the shipped Harvard network was trained")
    fusion.add_argument("--unsupervised", action="store_true",
                        help="t2ct_fusion: fit intensities and gradients of the sources, no label")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(handler=_train)


def load_pairs(folder: Path, subject_of: str | None = None) -> list[Any]:
    """Subjects of ``folder/<subject>/<MODALITY>.nii[.gz]`` volumes, or of ``folder/<MODALITY>/<slice>.<ext>`` slices."""
    from ivan_core.data import DataError, load_nifti, load_paired_folder

    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    volume_dirs = sorted(p for p in folder.iterdir() if p.is_dir() and any(p.glob("*.nii*")))
    if not volume_dirs:
        return load_paired_folder(folder, subject_of=subject_of)
    subjects = []
    for d in volume_dirs:
        files = {re.sub(r"\.nii(\.gz)?$", "", p.name): p for p in sorted(d.glob("*.nii*"))}
        if len(files) < 2:
            raise DataError(f"{d}: holds {len(files)} volume(s); a subject needs one <MODALITY>.nii.gz per modality")
        subjects.append(load_nifti(files, name=d.name))
    return subjects


def _subjects(args: argparse.Namespace, needed: tuple[str, ...]) -> Any:
    """The train / validation / test split: the profile's phantom, or ``--pairs`` split by subject."""
    from ivan_core.data import DataError, split_subjects
    from ivan_core.tutorial.experiment import Splits, phantom_splits

    if args.pairs is None:
        return phantom_splits(args.profile, progress=not args.quiet)
    subjects = load_pairs(args.pairs, args.subject_of)
    for s in subjects:
        missing = [m for m in needed if m not in s.images]
        if missing:
            raise DataError(f"{args.pairs}: subject {s.name!r} lacks {missing}, which task {args.task!r} needs "
                            f"(it has {sorted(s.images)})")
    if len(subjects) < 3:
        raise DataError(f"{args.pairs}: {len(subjects)} subject(s); training needs at least 3 (train, validation, "
                        "test), split by subject" + ("" if args.subject_of else "; group slices with --subject-of"))
    return Splits(*split_subjects(subjects, (len(subjects) - 2, 1, 1)))


def _train(args: argparse.Namespace) -> int:
    import numpy as np

    from ivan_core.core.inference import synthesise
    from ivan_core.core.tasks import get_task
    from ivan_core.core.training.distributed import launched_group
    from ivan_core.evaluation import score
    from ivan_core.evaluation.scoring import fusion_rows
    from ivan_core.tutorial.ship import export_model

    task = get_task(args.task)
    fusion = args.teacher is not None or args.unsupervised
    if fusion and task.name != "t2ct_fusion":
        raise ValueError(f"--teacher and --unsupervised train fusion; task {task.name!r} is synthesis")
    if task.name == "t2ct_fusion" and not fusion and args.pairs is None:
        raise ValueError("t2ct_fusion on the phantom: pass --teacher METHOD (e.g. laplacian_pyramid) or --unsupervised")
    needed = ("T2", "CT") if fusion else task.modalities  # without a teacher, FUSED volumes are the label
    splits = _subjects(args, needed)
    started = time.perf_counter()
    with launched_group() as (rank, world):
        result = _fit(task, splits, args)
    if rank:
        return 0  # rank 0 writes the card
    seconds = time.perf_counter() - started
    command = ("torchrun --nproc_per_node {world} -m ivan_core " if world > 1 else "ivan ").format(world=world) \
        + shlex.join(args.argv)
    card = export_model(result.out_dir, args.profile, dest=args.out, command=command)
    print(f"[ivan] scoring on the held-out {', '.join(s.name for s in splits.test)}", flush=True)
    if task.name == "t2ct_fusion":
        rows = [r for s in splits.test for r in fusion_rows(s, {"ivan": synthesise(result.net, task, s)["FUSED"]})]
        quality = (f"Q^AB/F {np.mean([r['Q_ABF'] for r in rows]):.3f}, SCD {np.mean([r['SCD'] for r in rows]):.3f}, "
                   f"POLARITY {np.mean([r['POLARITY'] for r in rows]):+.3f}")
    else:
        rows = [r for s in splits.test for r in score(s, synthesise(result.net, task, s), task.outputs, regions=("head",))]
        quality = f"head PSNR {np.mean([r['psnr'] for r in rows]):.2f} dB, SSIM {np.mean([r['ssim'] for r in rows]):.3f}"
    print(f"[ivan] {card['name']}: {card['steps']} steps, {seconds:.0f} s wall-clock (validation included); "
          f"held out: {quality}; weights and card in {args.out}", flush=True)
    return 0


def _fit(task: Any, splits: Any, args: argparse.Namespace) -> Any:
    """iVAN trained with the profile's recipe (fusion: :func:`~ivan_core.tutorial.fusion_study.fusion_profile`,
    the Harvard one on real pairs), resumed from ``--out`` where a run stopped."""
    from ivan_core.baselines.fusion.methods import add_fusion_label
    from ivan_core.tutorial.experiment import Splits, fit
    from ivan_core.tutorial.fusion_study import fit_fusion, fusion_profile
    from ivan_core.tutorial.profiles import get_profile

    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    progress = not args.quiet
    if args.teacher is None and not args.unsupervised:
        return fit(task, splits, get_profile(args.profile).changed(**overrides), args.out / "models", progress=progress)
    profile = fusion_profile(args.profile, harvard=args.pairs is not None)
    profile = profile.changed(**overrides) if overrides else profile
    teacher = args.teacher or "laplacian_pyramid"
    parts = (splits.train, splits.val, splits.test)
    labelled = splits if args.unsupervised else Splits(*(add_fusion_label(part, teacher) for part in parts))
    return fit_fusion(labelled, profile, args.out / "models", "unsupervised" if args.unsupervised else "teacher",
                      teacher, progress=progress)
