"""Cross-validate iVAN fusion over the Harvard CT-MRI cases, then ship it trained on all of them.

    python scripts/ship_harvard_fusion.py                 # every fold, the final network, the card
    python scripts/ship_harvard_fusion.py --fold 0        # only fold 0's networks (run folds in parallel)

Every fold trains both fusion variants (or those of ``--cross-validate``) with the profile's fusion recipe
and :func:`~ivan_core.tutorial.fusion_study.harvard_overrides`
(:func:`~ivan_core.tutorial.fusion_study.fit_fusion`) and scores every method of
:data:`ivan_core.fusion.METHODS` on its test cases (:func:`~ivan_core.tutorial.fusion_cv.cross_validate_fusion`).
Finished networks and the classical methods' fused volumes are kept under ``--models``, so an
interrupted or repeated run resumes where it stopped. Then the ``--variant`` network is trained on all
cases and shipped in ``ivan_core/pretrained/weights`` as the variant ``harvard``, its card holding the
cross-validation (:func:`~ivan_core.tutorial.fusion_cv.shipped_cross_validation` reads it back).
The tables go to ``--results`` (``harvard_fusion_cv.json`` and ``.md``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import asdict
from pathlib import Path

from ivan_core.data import case_folds
from ivan_core.fusion.methods import METHODS
from ivan_core.fusion.supervision import add_fusion_label
from ivan_core.io import atomic_write_text, write_json
from ivan_core.pretrained import WEIGHTS
from ivan_core.pretrained.export import export_model
from ivan_core.tutorial.experiment import Splits, harvard_cases
from ivan_core.tutorial.fusion_cv import cross_validate_fusion, paired_wins
from ivan_core.tutorial.fusion_study import FUSION_METRICS, FUSION_VARIANTS, fit_fusion, harvard_overrides, variant_label
from ivan_core.tutorial.reporting import metrics_table

#: The metrics a winning fusion must lead on (at least four, Q^AB/F among them): the paper's Table III
#: columns, with Xydeas-Petrovic's Q^AB/F for its edge column (Piella's Q is reported, not counted).
WIN_METRICS = ("AG", "SF", "EN", "Q_MI", "Q_ABF")


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
    args = parser.parse_args(argv)

    cases = harvard_cases("CT-MRI", args.aanlib)
    if cases is None:
        return 2
    cv_root = args.models / "aanlib-cv"
    recipe = harvard_overrides(args.profile)
    if args.edge_overshoot is not None:
        recipe["edge_overshoot"] = args.edge_overshoot
    if args.fold is not None:
        train, val, _ = case_folds(cases, args.k)[args.fold]
        labelled = Splits(*(add_fusion_label(part, args.teacher) for part in (train, val, [])))
        for variant in args.cross_validate:
            fit_fusion(labelled, args.profile, cv_root / f"fold{args.fold}", variant, args.teacher, args.edge_weight,
                       **recipe)
        return 0

    cv = cross_validate_fusion(cases, args.profile, cv_root, k=args.k, teacher=args.teacher,
                               edge_weight=args.edge_weight, methods=args.methods, variants=args.cross_validate, **recipe)
    ours = variant_label(args.variant, args.teacher)
    wins = paired_wins(cv.table, ours)
    table = metrics_table(cv.table, by=("method",), metrics=FUSION_METRICS)
    write_json(args.results / "harvard_fusion_cv.json", {"ours": ours, "wins": wins, **asdict(cv)})
    atomic_write_text(args.results / "harvard_fusion_cv.md",
                      f"# Harvard CT-MRI fusion, {args.k}-fold cross-validation over {len(cases)} cases\n\n"
                      f"Mean ± std over cases (`{shlex.join(['python', 'scripts/ship_harvard_fusion.py', *argv])}`).\n\n"
                      + markdown_table(table.to_dict("records")) + f"\n\nCases on which {ours} scores higher:\n\n"
                      + markdown_table([{**w, "beaten_on": ", ".join(w["beaten_on"])} for w in wins]) + "\n")

    labelled = Splits(add_fusion_label(cases, args.teacher), [], [])
    result = fit_fusion(labelled, args.profile, args.models / "all", args.variant, args.teacher, args.edge_weight,
                        **recipe)
    card = export_model(result.out_dir, args.profile, args.dest, variant="harvard",
                        command=shlex.join(["python", "scripts/ship_harvard_fusion.py", *argv]),
                        card_extra={"method": ours, "cross_validation": asdict(cv)})
    beaten = [w["method"] for w in wins if sum(m in w["beaten_on"] for m in WIN_METRICS) >= 4 and "Q_ABF" in w["beaten_on"]]
    print(f"shipped {card['name']} ({card['variant']}): {card['steps']} steps on {len(cases)} cases, "
          f"{card['seconds']:.0f} s; {ours} beats on at least four of {', '.join(WIN_METRICS)} (Q_ABF among them): "
          f"{beaten}", flush=True)
    return 0


def markdown_table(records: list[dict]) -> str:
    """Records (one dict per line, the first one's keys as columns) as a markdown table."""
    header = list(records[0])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(r[k]) for k in header) + " |" for r in records])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
