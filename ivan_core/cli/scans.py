"""Commands for your own scans: ``synthesise``, ``recover`` and ``fuse``.

Everything is checked before the work starts (inputs, outputs, device, network), each output is written atomically
and exclusively (a file another run wrote meanwhile is never replaced without ``--overwrite``), and the network in
use is named, with a warning when the scan does not look like its training data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ivan_core.cli.network import DEFAULT_VARIANT
from ivan_core.cli.options import PROFILE_NAMES, by_modality, modality_path, positive_int, task_list

#: Fusion rules of :data:`ivan_core.baselines.fusion.METHODS` (a test keeps them equal).
FUSION_RULES = ("average", "maximum", "laplacian_pyramid", "dwt", "lp_sr", "lrd", "cs_mca", "lp_cnn")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", type=modality_path, action="append", required=True, metavar="MOD=PATH",
                   help="an input volume (NIfTI, RGB24 NIfTI for colour, or MINC); repeat for each modality")
    p.add_argument("--output", type=modality_path, action="append", required=True, metavar="MOD=PATH",
                   help="where to write an output modality (.nii or .nii.gz); repeat for each")
    p.add_argument("--axis", type=int, choices=(0, 1, 2), default=2,
                   help="RAS+ axis to cut slices along: 2 axial (default), 1 coronal, 0 sagittal")
    p.add_argument("--colour", choices=("rgb24", "channels"), default="rgb24",
                   help="colour outputs as RGB24 NIfTI, shown in colour by viewers, 8 bits per channel (default), "
                        "or as a float32 4-D volume of 3 channels")
    p.add_argument("--overwrite", action="store_true", help="replace output files that exist (never an input)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _network_options(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument("--weights", default=None,
                   help=f"a shipped variant (default: {default}; `ivan models` lists them), a card (.json), its "
                        "weights (.pt) or a run folder written by `ivan train`")
    p.add_argument("--profile", choices=PROFILE_NAMES, default="tutorial", help="profile of the shipped weights")
    p.add_argument("--batch-size", type=positive_int, default=2,
                   help="slices per forward pass (default 2, the fastest on a CPU: results/speed/inference.md)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when there is one, else the CPU")


def add_commands(sub: argparse._SubParsersAction, task_lists: bool = True) -> None:
    """Register ``synthesise``, ``recover`` and ``fuse`` on ``sub`` (``task_lists``: each task's modalities in the help)."""
    defaults = ", ".join(f"{v!r} for {t}" for t, v in DEFAULT_VARIANT.items()) + ", else 'default'"
    for name, inverse, text in (("synthesise", False, "apply a trained network to whole volumes (forward pass)"),
                                ("recover", True, "the inverse pass: a task's inputs from its output volumes")):
        p = sub.add_parser(name, help=text, description=text, epilog=task_list(inverse) if task_lists else None,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("task", help="task name (listed below)")
        _run_options(p)
        _network_options(p, defaults)
        if not inverse:
            p.add_argument("--match-range", action="store_true",
                           help="colour PET or SPECT outputs: give the activity inside the head the distribution of "
                                "the network's training cases (its card's training_inputs.activity). A loss toward "
                                "the mean narrows the colour range; this widens it again, at a cost in PSNR "
                                "(measured in results/README.md)")
        p.set_defaults(handler=_synthesise if not inverse else _recover)
    text = "fuse a T2 and a CT volume with a classical rule or a trained iVAN, or an MRI and a colour PET or SPECT"
    fus = sub.add_parser("fuse", help=text, description=text + "; give --input T2=... --input CT=... "
                                                              "--output FUSED=..., or an MRI and a colour volume "
                                                              "(--input T2=... --input SPECT_rgb=... --output "
                                                              "FUSED_rgb=...), fused by a rule or iVAN on the "
                                                              "colour volume's YCbCr luminance, its colours kept")
    fus.add_argument("--method", required=True, choices=("ivan", *FUSION_RULES), metavar="METHOD",
                     help=f"ivan (a trained t2ct_fusion network; t2spect_fusion for a colour volume; see --weights) "
                          f"or a rule: {', '.join(FUSION_RULES)}")
    _run_options(fus)
    _network_options(fus, f"{DEFAULT_VARIANT['t2ct_fusion']!r}, with a colour volume "
                          f"{DEFAULT_VARIANT['t2spect_fusion']!r}")
    fus.set_defaults(handler=_fuse)


def _say(text: str) -> None:
    print(f"[ivan] {text}", file=sys.stderr, flush=True)


def check_device(device: str) -> None:
    """ValueError before any work when ``--device cuda`` is asked for and torch sees no CUDA device."""
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError(f"--device cuda: torch {torch.__version__} sees no CUDA device here; use --device cpu "
                             "(or auto)")


def read_inputs(inputs: dict[str, Path]) -> dict[str, Any]:
    """The input volumes, checked: readable, finite, not constant, on one grid."""
    from ivan_core.data.volumes import check_not_constant, check_same_grid, read_volume

    volumes = {m: read_volume(p) for m, p in inputs.items()}
    for volume in volumes.values():
        check_not_constant(volume)
    check_same_grid(volumes)
    return volumes


def write_outputs(results: dict[str, Any], outputs: dict[str, Path], like: Any, args: argparse.Namespace) -> None:
    """Write each output (atomic; exclusive unless ``--overwrite``) and say where."""
    from ivan_core.data.volumes import write_volume

    for modality, path in outputs.items():
        write_volume(path, results[modality], like, overwrite=args.overwrite, colour=args.colour)
        print(f"[ivan] wrote {modality} -> {path}", flush=True)


def _apply(args: argparse.Namespace, inverse: bool) -> int:
    from ivan_core.cli.network import choose_card, describe
    from ivan_core.cli.outputs import check_outputs
    from ivan_core.core.tasks import get_task
    from ivan_core.data.familiarity import unfamiliar
    from ivan_core.evaluation.volumes import card_scaling, check_modalities, recover_volumes, synthesise_volumes
    from ivan_core.store import load_card

    task = get_task(args.task)
    given, wanted = (task.outputs, task.inputs) if inverse else (task.inputs, task.outputs)
    what = f"the inverse of {task.name!r}" if inverse else f"task {task.name!r}"
    inputs, outputs = by_modality(args.input, "--input"), by_modality(args.output, "--output")
    check_outputs(outputs, wanted, what, args.overwrite, inputs)
    check_device(args.device)
    card = choose_card(task.name, args.weights, args.profile)
    volumes = read_inputs(inputs)
    check_modalities(volumes, given, what)
    net = load_card(card).net
    _say(f"using the {describe(card)}")

    def warn_if_unlike(slices: dict[str, Any]) -> None:
        reasons = unfamiliar(card.get("training_inputs", {}), slices, args.axis)
        if reasons:
            _say(f"warning: this scan does not look like the network's training data ({'; '.join(reasons)}), so "
                 "its output may be poor: `ivan models` lists networks trained on other data, `ivan train` trains "
                 "one on yours")

    matched = getattr(args, "match_range", False)  # `ivan fuse --method ivan` runs here too, without the option
    options = {} if inverse else {"activity": training_activity(card, task) if matched else None}
    run = recover_volumes if inverse else synthesise_volumes
    results = run(net, task, volumes, card_scaling(card), axis=args.axis, batch_size=args.batch_size,
                  device=None if args.device == "auto" else args.device, progress=not args.quiet,
                  inspect=warn_if_unlike, **options)
    write_outputs(results, outputs, volumes[given[0]], args)
    return 0


def training_activity(card: dict[str, Any], task: Any) -> dict[str, list[float]]:
    """The reference activities ``--match-range`` matches each colour-mapped output of ``task`` to, from the card;
    ValueError when the task has no such output or the card keeps none."""
    from ivan_core.cli.network import describe
    from ivan_core.data.activity import COLOUR_SCALES

    mapped = [m for m in task.outputs if m in COLOUR_SCALES]
    if not mapped:
        raise ValueError(f"--match-range matches colour-mapped outputs ({', '.join(sorted(COLOUR_SCALES))}); "
                         f"task {task.name!r} gives {', '.join(dict.fromkeys(task.outputs))}: leave it out")
    stored = card.get("training_inputs", {}).get("activity", {})
    missing = [m for m in mapped if m not in stored]
    if missing:
        raise ValueError(f"the {describe(card)} keeps no training activity for {', '.join(missing)} (cards written "
                         "before 2026-12-08 lack it): train the network again with `ivan train`, whose cards keep it, "
                         "or leave out --match-range")
    return {m: stored[m] for m in mapped}


def _synthesise(args: argparse.Namespace) -> int:
    return _apply(args, inverse=False)


def _recover(args: argparse.Namespace) -> int:
    return _apply(args, inverse=True)


def _fuse(args: argparse.Namespace) -> int:
    from functools import partial

    from ivan_core.baselines.fusion import METHODS, fuse_colour
    from ivan_core.cli.outputs import check_outputs
    from ivan_core.core.subject import is_colour
    from ivan_core.data.errors import DataError
    from ivan_core.evaluation.volumes import check_modalities, fuse_volumes

    inputs, outputs = by_modality(args.input, "--input"), by_modality(args.output, "--output")
    colour = sorted(m for m in inputs if is_colour(m))
    if args.method == "ivan" and not colour:
        args.task = "t2ct_fusion"
        return _apply(args, inverse=False)
    scaling = None
    if colour:
        grey = sorted(m for m in inputs if not is_colour(m))
        if len(colour) != 1 or len(grey) != 1:
            raise DataError(f"colour fusion takes one grey MRI and one colour volume (e.g. --input T2=... --input "
                            f"SPECT_rgb=...), got {sorted(inputs)}")
        sources, label = (grey[0], colour[0]), "FUSED_rgb"
        if args.method == "ivan":
            fuse_luma, scaling = _colour_network(args)
        else:
            fuse_luma = METHODS[args.method]
        rule = partial(fuse_colour, fuse_luma)
    else:
        sources, label, rule = ("T2", "CT"), "FUSED", METHODS[args.method]
    check_outputs(outputs, (label,), "fusion", args.overwrite, inputs)
    volumes = read_inputs(inputs)
    check_modalities(volumes, sources, "fusion")
    if args.method != "ivan":
        _say(f"fusing with the rule {args.method!r}" + (" on the colour volume's luminance" if colour else ""))
    fused = fuse_volumes(rule, volumes, sources, axis=args.axis, progress=not args.quiet, scaling=scaling)
    write_outputs({label: fused}, outputs, volumes[sources[0]], args)
    return 0


def _colour_network(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The colour-fusion network ``--weights`` names as a grey rule ``(MRI, luminance) -> fused luminance``, and its
    card's intensity scaling."""
    from ivan_core.cli.network import choose_card, describe
    from ivan_core.evaluation.volumes import card_scaling
    from ivan_core.store import load_card
    from ivan_core.tutorial.colour_fusion import network_rule

    check_device(args.device)
    card = choose_card("t2spect_fusion", args.weights, args.profile)
    _say(f"using the {describe(card)}, on the colour volume's luminance")
    return network_rule(load_card(card).net), card_scaling(card)
