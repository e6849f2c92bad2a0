"""Harvard CT-MRI fusion with the recipe chosen inside each fold (nested), then shipped.

    python scripts/harvard_fusion_nested.py --fold 0 --fold 1   # train every candidate of those folds
    python scripts/harvard_fusion_nested.py --report            # choose on validation, score the test cases once
    python scripts/harvard_fusion_nested.py --ship              # the recipe most folds chose, trained on all 8 cases

The candidates (:data:`CANDIDATES`, all with crops on the Haar grid and gradients clipped as for the colour-fusion
network of :mod:`ivan_core.tutorial.colour_fusion`): the unsupervised loss with edge weight 2 and that network's fine
term (both set before any CT-MRI network was scored with them), and the teacher loss (a label plus the edge term,
weight 1, the shipped recipe's) with the Laplacian pyramid or the maximum rule as the teacher, the latter also with
the fine term (weight 1, the edge term's, as in the colour fusion). Every fold of
:func:`~ivan_core.data.case_folds` (seed 0, one validation case) trains each on its training cases; its validation
case picks one by :data:`CHOICE_RULE` (:func:`choose`, the classical methods fused on the validation case beside
them); only the picked network fuses the fold's test cases.
The test cases never enter a choice. Tables (the full fusion metric set, per-case wins, the "best" rule of
:func:`~ivan_core.tutorial.fusion_cv.best_rule`, the checkerboard ratio of every fold's pick) go to ``--results``
(``harvard_fusion_nested.json`` and ``.md``, another stem with ``--name``), with the middle slice of three test
cases (``harvard_fusion_nested_cases.png``). ``--candidates`` trains and chooses among some of them; with one, the
recipe is frozen and only cross-validated. ``--ship`` replaces the shipped ``harvard`` variant, its card holding the
nested cross-validation.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ivan_core.baselines.fusion.methods import METHODS, add_fusion_label
from ivan_core.core.inference import synthesise
from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.core.tasks import get_task
from ivan_core.data import case_folds
from ivan_core.evaluation.scoring import fusion_rows
from ivan_core.metrics import FUSION_METRICS, checkerboard_ratio
from ivan_core.plots.fusion import show_fusion_cases
from ivan_core.store import WEIGHTS
from ivan_core.tutorial.colour_fusion import FINE_WEIGHT, MAX_GRAD_NORM
from ivan_core.tutorial.experiment import Splits, harvard_cases
from ivan_core.tutorial.fusion_cv import FusionCrossValidation, best_rule, paired_wins
from ivan_core.tutorial.fusion_study import evenly_spaced, fit_fusion, fuse_volume, fusion_profile, score_fusion
from ivan_core.tutorial.reporting import markdown_table, metrics_table
from ivan_core.tutorial.ship import export_model


@dataclass(frozen=True)
class Recipe:
    """One candidate: the fusion loss (``"unsupervised"`` or ``"teacher"``), the teacher whose fused image is the
    label, the unsupervised loss's edge weight (the teacher loss's is 1) and the fine term's weight."""

    variant: str
    teacher: str = "laplacian_pyramid"
    gradient_weight: float = 2.0
    fine_weight: float = 0.0


#: The candidate recipes, by label.
CANDIDATES = {
    "unsupervised, fine term": Recipe("unsupervised", fine_weight=FINE_WEIGHT),
    "teacher: Laplacian pyramid": Recipe("teacher", "laplacian_pyramid"),
    "teacher: maximum": Recipe("teacher", "maximum"),
    "teacher: maximum, fine term": Recipe("teacher", "maximum", fine_weight=1.0),
}
#: The most two-pixel power a candidate may draw on the validation case, over the stronger source's.
MAX_CHECKERBOARD = 2.0
#: How the validation case picks (:func:`choose`).
CHOICE_RULE = ("candidates ranked by: POLARITY > 0 and checkerboard ratio <= "
               f"{MAX_CHECKERBOARD:g} on the validation case, then no classical method higher on more than half of the "
               "12 metrics there, then the highest Q_ABF there")
OURS = "iVAN (nested)"
#: The stem of the result files.
NAME = "harvard_fusion_nested"
#: The fused image the test cases carry: it starts the inverse pass's "inverse synthesis" row.
LABEL = "laplacian_pyramid"


def profile_of(name: str):
    """The Harvard fusion profile with crops on the Haar grid, gradients clipped at the colour fusion's norm."""
    return fusion_profile(name, harvard=True).changed(aligned_crops=True, max_grad_norm=MAX_GRAD_NORM)


def candidate(train, val, args: argparse.Namespace, fold: str, recipe: Recipe, progress: bool = True):
    """Train (or load) one candidate ``recipe`` on ``train``, validated on ``val``. The pairs carry the recipe's
    teacher's fused image as their output; the unsupervised loss never reads it."""
    labelled = Splits(add_fusion_label(train, recipe.teacher), add_fusion_label(val, recipe.teacher), [])
    return fit_fusion(labelled, profile_of(args.profile), args.models / fold, recipe.variant, recipe.teacher,
                      progress=progress, gradient_weight=recipe.gradient_weight, fine_weight=recipe.fine_weight)


def choose(val_rows: list[dict], classical: list[dict]) -> str:
    """The candidate :data:`CHOICE_RULE` picks from its validation rows (one per candidate, each with its
    ``"CHECKERBOARD"`` ratio), judged beside the ``classical`` methods' rows on the same case."""
    def passes(row: dict) -> tuple[bool, bool, float]:
        clean = row["POLARITY"] > 0 and row["CHECKERBOARD"] <= MAX_CHECKERBOARD
        undominated = not best_rule([row, *classical], row["method"])["beaten_by"]
        return clean, undominated, row["Q_ABF"]
    return max(val_rows, key=passes)["method"]


def report(cases, args: argparse.Namespace) -> dict:
    """Choose in every fold, fuse its test cases once; write the tables and the picture."""
    task = get_task("t2ct_fusion")
    candidates = {label: CANDIDATES[label] for label in args.candidates}
    cache = args.fused_cache
    rows, separation, folds, choices, checker, pictures, few = [], [], [], [], [], {}, []
    for i, (train, val, test) in enumerate(case_folds(cases, args.k)):
        nets = {label: candidate(train, val, args, f"fold{i}", r, progress=False).net for label, r in candidates.items()}
        (val_case,) = val
        val_fused = {label: synthesise(net, task, val_case)["FUSED"] for label, net in nets.items()}
        val_rows = [{**r, "CHECKERBOARD": checkerboard_ratio(val_fused[r["method"]], [val_case["T2"], val_case["CT"]])}
                    for r in fusion_rows(val_case, val_fused)]
        classical = fusion_rows(val_case, {m: fuse_volume(m, val_case["T2"], val_case["CT"], cache)
                                           for m in args.methods})
        picked = choose(val_rows, classical)
        choices.append({"fold": i, "val": val_case.name, "picked": picked,
                        "val_scores": {r["method"]: {m: r[m] for m in ("Q_ABF", "POLARITY", "CHECKERBOARD", "SCD", "AG")}
                                       for r in val_rows},
                        "val_beaten_by": {r["method"]: best_rule([r, *classical], r["method"])["beaten_by"]
                                          for r in val_rows}})
        labelled = add_fusion_label(test, LABEL)  # the label starts the inverse pass's "inverse synthesis" row
        scored, separated, fused = score_fusion({OURS: nets[picked]}, labelled, args.methods, cache)
        rows += [{**r, "fold": i} for r in scored]
        separation += [{**r, "fold": i} for r in separated]
        for j, case in enumerate(labelled):
            volumes = fused[case.name]
            checker.append({"fold": i, "case": case.name, "recipe": picked,
                            "ratio": checkerboard_ratio(volumes[OURS], [case["T2"], case["CT"]])})
            if j == 0 and len(pictures) < 3:
                k = case.n_slices // 2
                pictures[f"{case.name}, slice {k + 1}"] = {"T2": case["T2"][k], "CT": case["CT"][k],
                                                          **{m: v[k] for m, v in volumes.items()}}
        if args.cs_mca_slices:
            sub = [evenly_spaced(case, args.cs_mca_slices) for case in labelled]
            few += [{**r, "fold": i} for r in score_fusion({OURS: nets[picked]}, sub,
                                                           [*dict.fromkeys([*args.methods, "cs_mca"])], cache)[0]]
        folds.append({"train": [s.name for s in train], "val": [s.name for s in val], "test": [s.name for s in test]})
    cv = FusionCrossValidation(rows, separation, folds)
    wins, rule = paired_wins(rows, OURS), best_rule(rows, OURS)
    table = metrics_table(rows, by=("method",), metrics=FUSION_METRICS)
    flags = (["--k", str(args.k)] if args.k != 4 else []) + (["--candidates", *candidates] if len(candidates) < len(
        CANDIDATES) else []) + (["--name", args.name] if args.name != NAME else [])
    command = shlex.join(["python", "scripts/harvard_fusion_nested.py", "--report", *flags])
    few_rule = best_rule(few, OURS) if few else {}
    out = {"ours": OURS, "candidates": {label: asdict(r) for label, r in candidates.items()}, "choice_rule": CHOICE_RULE,
           "choices": choices,
           "checkerboard": checker, "wins": wins, "best_rule": rule, "with_cs_mca": {"slices_per_case": args.cs_mca_slices,
           "table": few, "wins": paired_wins(few, OURS) if few else [], "best_rule": few_rule}, **asdict(cv)}
    write_json(args.results / f"{args.name}.json", out)
    verdict = (f"{OURS}: mean POLARITY {rule['polarity']:+.3f}; methods that beat it case by case on more than half "
               f"of the {len(FUSION_METRICS)} fusion metrics: {rule['beaten_by'] or 'none'}.")
    picks = markdown_table([{"fold": c["fold"], "validation case": c["val"], "picked": c["picked"],
                             **{f"{lab}: {m}": f"{c['val_scores'][lab][m]:.3f}" for lab in candidates
                                for m in ("Q_ABF", "POLARITY", "CHECKERBOARD")},
                             **{f"{lab}: beaten by": ", ".join(c["val_beaten_by"][lab]) or "none" for lab in candidates}}
                            for c in choices])
    boards = markdown_table([{**c, "ratio": f"{c['ratio']:.2f}"} for c in checker])
    atomic_write_text(args.results / f"{args.name}.md",
                      f"# Harvard CT-MRI fusion, {args.k}-fold cross-validation over {len(cases)} cases, recipe chosen "
                      f"inside each fold\n\nMean ± std over cases (`{command}`). Candidates: "
                      + "; ".join(f"{label} (fine term {r.fine_weight:g})" for label, r in candidates.items())
                      + f"; crops on the Haar grid, gradients clipped at {MAX_GRAD_NORM:g}. "
                      f"Each fold's validation case picks by: {CHOICE_RULE}; "
                      "the test cases enter no choice.\n\n## The choice in each fold\n\n" + picks
                      + "\n\n## Test cases\n\n" + markdown_table(table.to_dict("records"))
                      + f"\n\nCases on which {OURS} scores higher:\n\n"
                      + markdown_table([{**w, "beaten_on": ", ".join(w["beaten_on"])} for w in wins])
                      + f"\n\n{verdict}\n\n" + (with_cs_mca(few, few_rule, args.cs_mca_slices) if few else "")
                      + f"## Checkerboard: two-pixel power over the stronger source's\n\n{boards}\n")
    fig = show_fusion_cases(pictures, title="Harvard CT-MRI: each case fused by the network its fold chose "
                                            "on validation, never trained on it")
    fig.savefig(args.results / f"{args.name}_cases.png", dpi=110)
    print(verdict, flush=True)
    return out


def with_cs_mca(rows: list[dict], rule: dict, slices: int) -> str:
    """The markdown section of the scores on the slices CS-MCA fused."""
    return (f"## With CS-MCA, on {slices} evenly spaced slices of each test case\n\n"
            + markdown_table(metrics_table(rows, by=("method",), metrics=FUSION_METRICS).to_dict("records"))
            + f"\n\nOn these slices, methods that beat {OURS} case by case on more than half of the metrics: "
            f"{rule['beaten_by'] or 'none'}.\n\n")


def ship(cases, args: argparse.Namespace) -> None:
    """Train the recipe most folds picked on every case and ship it as ``harvard`` (ties: the first candidate)."""
    nested = args.results / f"{args.name}.json"
    if not nested.is_file():
        raise SystemExit(f"{nested}: missing; run --report first")
    result = json.loads(nested.read_text())
    votes = Counter(c["picked"] for c in result["choices"])
    label = max(CANDIDATES, key=lambda lab: votes[lab])  # max keeps the first on ties
    trained = candidate(cases, [], args, "all", CANDIDATES[label])
    cv = {k: result[k] for k in ("table", "separation", "folds")}
    extra = {"method": OURS, "recipe": label, "cross_validation": cv,
             "nested_choice": {"rule": CHOICE_RULE, "choices": result["choices"]}}
    card = export_model(trained.out_dir, args.profile, args.dest, variant="harvard",
                        command="python scripts/harvard_fusion_nested.py --ship", card_extra=extra)
    print(f"shipped {card['name']} ({card['variant']}): {label}, {card['steps']} steps on {len(cases)} cases")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aanlib", default=None, help="folder of the Harvard pairs (default: IVAN_AANLIB, then "
                                                       "../shared/data/aanlib)")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-fusion-fine/aanlib-cv"),
                        help="where the fold networks are kept (fold<i>/) and the shipped one trains (all/)")
    parser.add_argument("--fused-cache", type=Path, default=Path("runs/harvard-fusion/aanlib-cv/fused"),
                        help="the classical methods' fused volumes")
    parser.add_argument("--results", type=Path, default=Path("results/tutorial_cpu"))
    parser.add_argument("--profile", default="tutorial")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=[m for m in METHODS if m != "cs_mca"],
                        help="the methods fused on every slice (default: all but CS-MCA, which --cs-mca-slices scores)")
    parser.add_argument("--cs-mca-slices", type=int, default=2,
                        help="CS-MCA (about a minute per 256 x 256 slice on one core) and every other method are also "
                             "scored on this many evenly spaced slices of each test case; 0 leaves CS-MCA out")
    parser.add_argument("--k", type=int, default=4, help="the number of folds")
    parser.add_argument("--candidates", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES),
                        help="the recipes to train and choose among (one: a recipe frozen before, cross-validated)")
    parser.add_argument("--name", default=NAME, help="the stem of the result files in --results")
    parser.add_argument("--fold", type=int, action="append", default=[], help="train this fold's candidates")
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--ship", action="store_true")
    parser.add_argument("--dest", type=Path, default=WEIGHTS)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cases = harvard_cases("CT-MRI", args.aanlib)
    if cases is None:
        return 2
    folds = case_folds(cases, args.k)
    for i in args.fold:
        train, val, _ = folds[i]
        for label in args.candidates:
            candidate(train, val, args, f"fold{i}", CANDIDATES[label])
    if args.report:
        report(cases, args)
    if args.ship:
        ship(cases, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
