"""Commands for your own scans: ``synthesise``, ``recover``, ``fuse`` and ``train``.

Inputs and output paths are all checked before anything runs, and outputs (float32 NIfTI in [0, 1] on the
first input's grid) are written atomically, so a bad call or an interrupted run writes nothing.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ivan_core.tutorial.profiles import PROFILES

#: The shipped variant used without ``--weights`` where it is not ``"default"``.
DEFAULT_VARIANT = {"t2ct_fusion": "harvard"}
#: Exceptions that are the user's input, not a bug: printed as one line, exit status 2.
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, KeyError)


def _pair(text: str) -> tuple[str, Path]:
    modality, sep, path = text.partition("=")
    if not sep or not modality or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MODALITY=PATH, e.g. T1=t1.nii.gz")
    return modality, Path(path)


def _pairs(items: Sequence[tuple[str, Path]], flag: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for modality, path in items:
        if modality in found:
            raise ValueError(f"{flag} {modality}= is given twice ({found[modality]} and {path})")
        found[modality] = path
    return found


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default=None,
                   help="a shipped variant name (default: 'default' of --profile), or a card (.json), "
                        "its weights (.pt) or a run folder written by 'ivan train'")
    p.add_argument("--profile", choices=sorted(PROFILES), default="tutorial", help="profile of shipped weights")
    _run_options(p)
    p.add_argument("--batch-size", type=int, default=8, help="slices per forward pass")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", type=_pair, action="append", required=True, metavar="MOD=PATH",
                   help="an input volume (NIfTI or MINC); repeat for each modality")
    p.add_argument("--output", type=_pair, action="append", required=True, metavar="MOD=PATH",
                   help="where to write an output modality (.nii or .nii.gz); repeat for each")
    p.add_argument("--axis", type=int, choices=(0, 1, 2), default=2, help="RAS+ axis to cut slices along "
                                                                          "(2 axial, 1 coronal, 0 sagittal)")
    p.add_argument("--overwrite", action="store_true", help="replace output files that exist")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``synthesise``, ``recover``, ``fuse`` and ``train`` on ``sub``."""
    syn = sub.add_parser("synthesise", help="apply a trained network to whole volumes (forward pass)")
    syn.add_argument("task", help="task name, e.g. t1pd_to_t2")
    _model_options(syn)
    syn.set_defaults(handler=_synthesise)
    rec = sub.add_parser("recover", help="the inverse pass: the task's inputs from its output volumes")
    rec.add_argument("task")
    _model_options(rec)
    rec.set_defaults(handler=_recover)
    fus = sub.add_parser("fuse", help="fuse a T2 and a CT volume with a rule of ivan_core.baselines.fusion or a trained iVAN")
    fus.add_argument("--method", required=True,
                     help="a fusion method of ivan_core.baselines.fusion.METHODS "
                          "(average, maximum, laplacian_pyramid, dwt, lp_sr, "
                          "lrd, cs_mca, lp_cnn) or 'ivan' for a trained t2ct_fusion network (see --weights; "
                          f"default: the shipped {DEFAULT_VARIANT['t2ct_fusion']!r})")
    _model_options(fus)
    fus.set_defaults(handler=_fuse)
    tr = sub.add_parser("train", help="train a network on registered pairs (or the phantom) and write weights + card; "
                                      "under torchrun, data-parallel over its processes")
    tr.add_argument("task")
    tr.add_argument("--pairs", type=Path, default=None,
                    help="DIR/<subject>/<MODALITY>.nii.gz volumes, or DIR/<MODALITY>/<slice>.png|.mat slice folders "
                         "(default: the profile's phantom)")
    tr.add_argument("--subject-of", default=None,
                    help="for slice folders: regular expression whose first group, at the start of a file name, "
                         "is its subject (e.g. '(\\d+)_')")
    tr.add_argument("--out", type=Path, required=True, help="run folder: checkpoints (resumed on rerun) and the card")
    tr.add_argument("--profile", choices=sorted(PROFILES), default="tutorial")
    tr.add_argument("--epochs", type=int, default=None, help="override the profile's epochs")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(handler=_train)


# ----------------------------------------------------------------------------- shared steps


def _card(task: str, weights: str | None, profile: str) -> dict[str, Any]:
    """The iVAN card ``--weights`` names for ``task``, checked against it."""
    from ivan_core.store import PretrainedMismatchError, find_card, read_card

    if weights is None:
        card = find_card(task, profile, DEFAULT_VARIANT.get(task, "default"))
    elif Path(weights).suffix in (".json", ".pt") or Path(weights).is_dir():
        path = Path(weights)
        if path.is_dir():
            cards = [c for c in (read_card(p) for p in sorted(path.glob("*.json")) if p.with_suffix(".pt").is_file())
                     if c.get("kind", "ivan") == "ivan"]
            if len(cards) != 1:
                raise ValueError(f"{path}: expected one iVAN card (<name>.json beside <name>.pt), found {len(cards)}; "
                                 "pass the card's path")
            card = cards[0]
        else:
            card = read_card(path)
    else:
        card = find_card(task, profile, weights)
    if card["task"]["name"] != task:
        raise PretrainedMismatchError(f"{card['path']}: trained for task {card['task']['name']!r}, not {task!r}; "
                                      f"pass weights trained for {task!r}")
    if card.get("kind", "ivan") != "ivan":
        raise PretrainedMismatchError(f"{card['path']}: holds a {card['kind']}, not an iVAN network")
    return card


def _check_outputs(outputs: dict[str, Path], allowed: Sequence[str], what: str, overwrite: bool) -> None:
    unknown = sorted(set(outputs) - set(allowed))
    if unknown:
        raise ValueError(f"--output {unknown}: {what} gives {list(allowed)}")
    for path in outputs.values():
        if not path.name.endswith((".nii", ".nii.gz")):
            raise ValueError(f"{path}: outputs are NIfTI; use a .nii or .nii.gz suffix")
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path}: exists; pass --overwrite to replace it")


def _read_inputs(inputs: dict[str, Path]) -> dict[str, Any]:
    from ivan_core.data.volumes import check_same_grid, read_volume

    volumes = {m: read_volume(p) for m, p in inputs.items()}
    check_same_grid(volumes)
    return volumes


def _write(results: dict[str, Any], outputs: dict[str, Path], like: Any, overwrite: bool) -> None:
    from ivan_core.data.volumes import write_volume

    for modality, path in outputs.items():
        write_volume(path, results[modality], like, overwrite=overwrite)
        print(f"[ivan] wrote {modality} -> {path}", flush=True)


def _apply(args: argparse.Namespace, inverse: bool) -> int:
    from ivan_core.core.tasks import get_task
    from ivan_core.evaluation.volumes import card_scaling, check_modalities, recover_volumes, synthesise_volumes
    from ivan_core.store import load_card

    task = get_task(args.task)
    given, wanted = (task.outputs, task.inputs) if inverse else (task.inputs, task.outputs)
    what = f"the inverse of {task.name!r}" if inverse else f"task {task.name!r}"
    inputs, outputs = _pairs(args.input, "--input"), _pairs(args.output, "--output")
    _check_outputs(outputs, wanted, what, args.overwrite)
    card = _card(task.name, args.weights, args.profile)
    volumes = _read_inputs(inputs)
    check_modalities(volumes, given, what)
    net = load_card(card).net
    run = recover_volumes if inverse else synthesise_volumes
    results = run(net, task, volumes, card_scaling(card), axis=args.axis, batch_size=args.batch_size,
                  device=None if args.device == "auto" else args.device, progress=not args.quiet)
    _write(results, outputs, volumes[given[0]], args.overwrite)
    return 0


def _synthesise(args: argparse.Namespace) -> int:
    return _apply(args, inverse=False)


def _recover(args: argparse.Namespace) -> int:
    return _apply(args, inverse=True)


def _fuse(args: argparse.Namespace) -> int:
    from ivan_core.baselines.fusion.methods import METHODS
    from ivan_core.evaluation.volumes import check_modalities, fuse_volumes

    inputs, outputs = _pairs(args.input, "--input"), _pairs(args.output, "--output")
    if args.method == "ivan":
        args.task = "t2ct_fusion"
        return _apply(args, inverse=False)
    if args.method not in METHODS:
        raise ValueError(f"unknown fusion method {args.method!r}; available: ivan, {', '.join(sorted(METHODS))}")
    _check_outputs(outputs, ("FUSED",), "fusion", args.overwrite)
    volumes = _read_inputs(inputs)
    check_modalities(volumes, ("T2", "CT"), "fusion")
    fused = fuse_volumes(METHODS[args.method], volumes, axis=args.axis, progress=not args.quiet)
    _write({"FUSED": fused}, outputs, volumes["T2"], args.overwrite)
    return 0


# ----------------------------------------------------------------------------- training


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


def _train(args: argparse.Namespace) -> int:
    import numpy as np

    from ivan_core.core.inference import synthesise
    from ivan_core.core.tasks import get_task
    from ivan_core.core.training.distributed import launched_group
    from ivan_core.data import DataError, split_subjects
    from ivan_core.evaluation import score
    from ivan_core.tutorial.experiment import Splits, fit, phantom_splits
    from ivan_core.tutorial.profiles import get_profile
    from ivan_core.tutorial.ship import export_model

    task = get_task(args.task)
    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    if args.pairs is None:
        splits = phantom_splits(args.profile, progress=not args.quiet)
    else:
        subjects = load_pairs(args.pairs, args.subject_of)
        for s in subjects:
            missing = [m for m in task.modalities if m not in s.images]
            if missing:
                raise DataError(f"{args.pairs}: subject {s.name!r} lacks {missing}, which task {task.name!r} needs "
                                f"(it has {sorted(s.images)})")
        if len(subjects) < 3:
            raise DataError(f"{args.pairs}: {len(subjects)} subject(s); training needs at least 3 (train, "
                            "validation, test), split by subject" + ("" if args.subject_of else
                                                                     "; group slices with --subject-of"))
        splits = Splits(*split_subjects(subjects, (len(subjects) - 2, 1, 1)))
    with launched_group() as (rank, world):
        result = fit(task, splits, get_profile(args.profile).changed(**overrides), args.out / "models",
                     progress=not args.quiet)
    if rank:
        return 0  # rank 0 writes the card
    command = ("torchrun --nproc_per_node {world} -m ivan_core " if world > 1 else "ivan ").format(world=world) \
        + shlex.join(args.argv)
    card = export_model(result.out_dir, args.profile, dest=args.out, command=command)
    rows = [r for s in splits.test for r in score(s, synthesise(result.net, task, s), task.outputs, regions=("head",))]
    print(f"[ivan] {card['name']}: {card['steps']} steps in {card['seconds']:.0f} s; held-out "
          f"{', '.join(s.name for s in splits.test)}: head PSNR {np.mean([r['psnr'] for r in rows]):.2f} dB, "
          f"SSIM {np.mean([r['ssim'] for r in rows]):.3f}; weights and card in {args.out}", flush=True)
    return 0
