"""Cross-validate iVAN fusion over the Harvard CT-MRI cases, then ship it trained on all of them.

    python scripts/ship_harvard_fusion.py                 # every fold, the final network, the card
    python scripts/ship_harvard_fusion.py --fold 0        # only fold 0's networks (run folds in parallel)

Every fold trains both fusion variants (or those of ``--cross-validate``) with the profile's fusion recipe
and :func:`~ivan_core.tutorial.fusion_study.fusion_profile` (``harvard=True``)
(:func:`~ivan_core.tutorial.fusion_study.fit_fusion`) and scores every method of
:data:`ivan_core.baselines.fusion.METHODS` on its test cases (:func:`~ivan_core.tutorial.fusion_cv.cross_validate_fusion`).
Finished networks and the classical methods' fused volumes are kept under ``--models``, so an
interrupted or repeated run resumes where it stopped. Then the ``--variant`` network is trained on all
cases and shipped in ``ivan_core/store/weights`` as the variant ``harvard``, its card holding the
cross-validation (:func:`~ivan_core.tutorial.fusion_cv.shipped_cross_validation` reads it back); when a
network trained under the same key is shipped already, only its card's cross-validation is replaced.
The recipe is frozen before the cross-validation (the profile's ``harvard_fusion``),
not chosen inside it. The tables (every fusion metric, per-case wins, the "best" rule of
:func:`~ivan_core.tutorial.fusion_cv.best_rule`) go to ``--results`` (``harvard_fusion_cv.json`` and
``.md``), with the middle slice of three cases by every method (``harvard_fusion_cv_cases.png``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from ivan_core.baselines.fusion.methods import METHODS, add_fusion_label
from ivan_core.core.inference import synthesise
from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.core.tasks import get_task
from ivan_core.data import case_folds
from ivan_core.metrics import FUSION_METRICS
from ivan_core.plots.fusion import show_fusion_cases
from ivan_core.store import WEIGHTS, read_card
from ivan_core.tutorial.experiment import Splits, harvard_cases
from ivan_core.tutorial.fusion_cv import best_rule, cross_validate_fusion, paired_wins
from ivan_core.tutorial.fusion_study import FUSION_VARIANTS, fit_fusion, fuse_volume, fusion_profile, variant_label
from ivan_core.tutorial.reporting import markdown_table, metrics_table
from ivan_core.tutorial.ship import export_model

#: How many cases the picture shows (the first test case of each of the first folds).
PICTURE_CASES = 3


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aanlib", default=None, help="folder of the Harvard pairs (default: IVAN_AANLIB, then "
                                                       "../shared/data/aanlib)")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-fusion"), help="where networks are kept")
    parser.add_argument("--results", type=Path, default=Path("results/tutorial_cpu"))
    parser.add_argument("--profile", default="tutorial", help="the profile whose fusion recipe trains")
    parser.add_argument("--k", type=int, default=4, help="folds")
    parser.add_argument("--teacher", default="laplacian_pyramid", help="the teacher variant's label")
    parser.add_argument("--edge-weight", type=float, default=1.0)
    parser.add_argument("--edge-overshoot", type=float, default=None,
                        help="the teacher edge term's weight on fused edges stronger than the sources' (0 to 1; "
                             "default: the Harvard recipe's)")
    parser.add_argument("--variant", choices=FUSION_VARIANTS, default="teacher", help="the variant to ship")
    parser.add_argument("--cross-validate", nargs="+", choices=FUSION_VARIANTS, default=list(FUSION_VARIANTS),
                        help="the variants trained in every fold (default: both)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS),
                        help="the classical methods to compare (default: all)")
    parser.add_argument("--dest", type=Path, default=WEIGHTS, help="where the shipped weights and card go")
    parser.add_argument("--fold", type=int, default=None, help="only train this fold's networks, then stop")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--aligned-crops", action="store_true",
                        help="training crops on the network's Haar grid (TrainConfig.aligned_crops)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    cases = harvard_cases("CT-MRI", args.aanlib)
    if cases is None:
        return 2
    cv_root = args.models / "aanlib-cv"
    profile = fusion_profile(args.profile, harvard=True)
    if args.aligned_crops:
        profile = profile.changed(aligned_crops=True)
    overshoot = 1.0 if args.edge_overshoot is None else args.edge_overshoot
    if args.fold is not None:
        train, val, _ = case_folds(cases, args.k)[args.fold]
        labelled = Splits(*(add_fusion_label(part, args.teacher) for part in (train, val, [])))
        for variant in args.cross_validate:
            fit_fusion(labelled, profile, cv_root / f"fold{args.fold}", variant, args.teacher, args.edge_weight,
                       edge_overshoot=overshoot)
        return 0

    cv = cross_validate_fusion(cases, profile, cv_root, k=args.k, teacher=args.teacher, edge_weight=args.edge_weight,
                               methods=args.methods, variants=args.cross_validate, edge_overshoot=overshoot)
    ours = variant_label(args.variant, args.teacher)
    wins = paired_wins(cv.table, ours)
    rule = best_rule(cv.table, ours)
    table = metrics_table(cv.table, by=("method",), metrics=FUSION_METRICS)
    command = shlex.join(["python", "scripts/ship_harvard_fusion.py", *argv])
    write_json(args.results / "harvard_fusion_cv.json", {"ours": ours, "wins": wins, "best_rule": rule, **asdict(cv)})
    verdict = (f"{ours}: mean POLARITY {rule['polarity']:+.3f}; methods that beat it case by case on more than half "
               f"of the {len(FUSION_METRICS)} fusion metrics: {rule['beaten_by'] or 'none'}.")
    atomic_write_text(args.results / "harvard_fusion_cv.md",
                      f"# Harvard CT-MRI fusion, {args.k}-fold cross-validation over {len(cases)} cases\n\n"
                      f"Mean ± std over cases (`{command}`). The recipe was frozen before the cross-validation.\n\n"
                      + markdown_table(table.to_dict("records")) + f"\n\nCases on which {ours} scores higher:\n\n"
                      + markdown_table([{**w, "beaten_on": ", ".join(w["beaten_on"])} for w in wins])
                      + f"\n\n{verdict}\n")
    fig = show_fusion_cases(picture_cases(cases, cv.folds, args, profile, overshoot, ours),
                            title=f"Harvard CT-MRI, {args.k}-fold cross-validation: each case fused by networks that "
                                  "never saw it")
    fig.savefig(args.results / "harvard_fusion_cv_cases.png", dpi=110)
    print(verdict, flush=True)

    labelled = Splits(add_fusion_label(cases, args.teacher), [], [])
    result = fit_fusion(labelled, profile, args.models / "all", args.variant, args.teacher, args.edge_weight,
                        pretrained=args.dest == WEIGHTS, edge_overshoot=overshoot)
    extra = {"method": ours, "cross_validation": asdict(cv)}
    if result.pretrained:  # trained under this key and shipped already: renew that card's cross-validation only
        shipped = read_card(result.source)
        card = {k: v for k, v in shipped.items() if k != "path"}
        write_json(Path(shipped["path"]).with_suffix(".json"), {**card, **extra, "cv_command": command})
        print(f"kept the shipped {card['name']} ({card['variant']}) network; its card has the new cross-validation")
        return 0
    card = export_model(result.out_dir, args.profile, args.dest, variant="harvard", command=command, card_extra=extra)
    print(f"shipped {card['name']} ({card['variant']}): {card['steps']} steps on {len(cases)} cases, "
          f"{card['seconds']:.0f} s", flush=True)
    return 0


def picture_cases(cases, folds: list[dict], args: argparse.Namespace, profile, overshoot: float, ours: str) -> dict:
    """The middle slice of the first test case of the first :data:`PICTURE_CASES` folds: the sources, every
    classical method (from the cache) and the fold's own network (:func:`fit_fusion` finds it trained)."""
    by_name = {c.name: c for c in cases}
    task, out = get_task("t2ct_fusion"), {}
    for i, fold in enumerate(folds[:PICTURE_CASES]):
        case = by_name[fold["test"][0]]
        train, val = ([by_name[n] for n in fold[part]] for part in ("train", "val"))
        labelled = Splits(add_fusion_label(train, args.teacher), add_fusion_label(val, args.teacher), [])
        net = fit_fusion(labelled, profile, args.models / "aanlib-cv" / f"fold{i}", args.variant, args.teacher,
                         args.edge_weight, progress=False, edge_overshoot=overshoot).net
        k = case.n_slices // 2
        images = {"T2": case["T2"][k], "CT": case["CT"][k]}
        images |= {m: fuse_volume(m, case["T2"], case["CT"], args.models / "aanlib-cv" / "fused")[k] for m in args.methods}
        images[ours.replace(f" (teacher: {args.teacher})", " (teacher)")] = synthesise(net, task, case)["FUSED"][k]
        out[f"{case.name}, slice {k + 1}"] = images
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
