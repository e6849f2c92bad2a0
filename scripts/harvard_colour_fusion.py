"""Colour fusion of MRI with SPECT and PET on the Harvard cases: iVAN, cross-validated by case, beside the classical
methods, scored on the luminance and on colour fidelity.

    python scripts/harvard_colour_fusion.py --fold 0 --fold 1   # train iVAN on the other folds' SPECT cases (0-3)
    python scripts/harvard_colour_fusion.py --ship              # ship iVAN trained on all 11 SPECT cases, and fold 0's
    python scripts/harvard_colour_fusion.py --slices 3          # score everything, write the tables

iVAN (:mod:`ivan_core.tutorial.colour_fusion`) is the Harvard CT-MRI fusion recipe frozen before this study (the
unsupervised loss, edge weight 2, crops on the Haar grid) plus a fine term that charges pixel-to-pixel change neither
source has (weight 2; the Sobel edge term cannot see a two-pixel checkerboard) and gradient clipping, trained on the T2
and the SPECT's luminance; no weight is chosen on the SPECT cases' scores. It is cross-validated over the 11 SPECT-MRI
cases with the folds of the T2 -> SPECT synthesis
(:func:`~ivan_core.data.case_folds`, 4 folds, seed 0): each case is fused by the network that never saw it. The two
PET-MRI cases (T1 + PET) are fused by the network trained on all 11 SPECT cases: a different MRI weighting and tracer,
so they test transfer, not the recipe. The classical methods, every one but CS-MCA (minutes per 256 x 256 slice), fuse
the MRI with the functional image's YCbCr luminance (:func:`~ivan_core.baselines.fusion.fuse_colour`), as iVAN does.
Scores on ``--slices`` evenly spaced slices per case, averaged per case: the twelve fusion metrics of
:func:`~ivan_core.metrics.fusion_metrics` on the luminance (sources: the MRI and the functional luminance; POLARITY
asks the bright uptake to stay bright inside the head), COLOUR, the mean CIEDE2000 difference from the functional image
in its active region (:func:`~ivan_core.metrics.colour_fidelity`, lower is better), FROM_MRI, the mean absolute
difference between the fused luminance and the MRI in that region, and every method's checkerboard ratio.
Tables, mean ± std over cases, go to ``--results`` (``harvard_colour_fusion.md`` and ``.json``), the middle slice of
three SPECT cases to ``harvard_colour_fusion_cases.png``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from ivan_core.baselines.fusion import METHODS, fuse_colour, luminance
from ivan_core.baselines.fusion.rules import FusionFn
from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.data import case_folds
from ivan_core.metrics import FUSION_METRICS, checkerboard_ratio, colour_fidelity, functional_region, fusion_metrics
from ivan_core.plots.fusion import show_fusion_cases
from ivan_core.store import WEIGHTS
from ivan_core.tutorial.colour_fusion import fit_colour_fusion, network_rule
from ivan_core.tutorial.experiment import harvard_cases
from ivan_core.tutorial.fusion_cv import best_rule, paired_wins
from ivan_core.tutorial.fusion_study import evenly_spaced
from ivan_core.tutorial.reporting import markdown_table, metrics_table
from ivan_core.tutorial.ship import export_model

#: Pair -> (grey MRI, colour functional image).
PAIRS = {"SPECT-MRI": ("T2", "SPECT_rgb"), "PET-MRI": ("T1", "PET_rgb")}
OURS = "iVAN (unsupervised)"
K = 4
#: The scores a shipped card keeps of its cases (means over the held-out cases; COLOUR: lower is better).
HELD_OUT = ("Q_ABF", "SCD", "POLARITY", "COLOUR")

def case_rows(case, mri: str, functional: str, rules: dict[str, FusionFn], slices: int) -> tuple[list[dict], dict]:
    """One row per method (a grey rule on the luminance, :func:`~ivan_core.baselines.fusion.fuse_colour`), every
    metric averaged over ``slices`` evenly spaced slices of ``case``; and the fused colour volumes of those slices
    ``(S, H, W, 3)`` by method."""
    sub = evenly_spaced(case, slices)
    grey, rgb = sub[mri], sub[functional]
    fused = {method: np.stack([fuse_colour(rule, g, c) for g, c in zip(grey, rgb)]) for method, rule in rules.items()}
    rows = []
    for method, volume in fused.items():
        scores = [{**fusion_metrics(grey[k], luminance(rgb[k]), luminance(volume[k]), mask=sub.mask[k]),
                   "COLOUR": colour_fidelity(volume[k], rgb[k]),
                   "FROM_MRI": float(np.abs(luminance(volume[k]) - grey[k])[functional_region(rgb[k])].mean())}
                  for k in range(sub.n_slices)]
        rows.append({"subject": case.name, "method": method,
                     **{key: float(np.nanmean([s[key] for s in scores])) for key in scores[0]}})
    return rows, fused


def checkerboards(fused: dict[str, np.ndarray], mri: np.ndarray, colour: np.ndarray) -> dict[str, float]:
    """iVAN's checkerboard ratio (``ratio``) and every other method's, of the fused luminance against the larger of
    the MRI's and the functional luminance's two-pixel power; volumes ``(S, H, W)`` and ``(S, H, W, 3)``."""
    sources = [mri, luminance(colour)]
    ratios = {m: checkerboard_ratio(luminance(v), sources) for m, v in fused.items()}
    return {"ratio": ratios.pop(OURS), **ratios}


def spect_folds(cases: list) -> list[tuple[list, list]]:
    """``(train, test)`` of each fold: the folds of ``harvard_spect_cv.py``."""
    ordered = sorted(cases, key=lambda c: c.meta["case"])
    return [(train, test) for train, _, test in case_folds(ordered, K, seed=0, n_val=0)]


def network(train: list, models: Path, progress: bool = True):
    return fit_colour_fusion(train, models, progress=progress)


def report(args: argparse.Namespace, command: str) -> int:
    rules = {m: METHODS[m] for m in METHODS if m != "cs_mca"}
    out, sections, checker, pictures = {}, [], [], {}
    spect = harvard_cases("SPECT-MRI", args.aanlib)
    if spect is None:
        return 2
    rows = []
    for i, (train, test) in enumerate(spect_folds(spect)):
        fusers = {OURS: network_rule(network(train, args.models / f"fold{i}", progress=False).net), **rules}
        for case in test:
            case_scores, fused = case_rows(case, "T2", "SPECT_rgb", fusers, args.slices)
            rows += [{**r, "fold": i} for r in case_scores]
            sub = evenly_spaced(case, args.slices)
            checker.append({"pair": "SPECT-MRI", "fold": i, "case": case.name,
                            **checkerboards(fused, sub["T2"], sub["SPECT_rgb"])})
            if len(pictures) < 3:
                k = sub.n_slices // 2
                pictures[f"{case.name}, slice {k + 1} of {args.slices}"] = {
                    "T2": sub["T2"][k], "SPECT": sub["SPECT_rgb"][k], **{m: v[k] for m, v in fused.items()}}
        print(f"fold {i} scored", flush=True)
    out["SPECT-MRI"] = rows
    sections.append(section("SPECT-MRI", "T2 with colour SPECT", len(spect), rows,
                            "each case fused by the iVAN of the fold that held it out"))
    pet = harvard_cases("PET-MRI", args.aanlib)
    every = network_rule(network(spect, args.models / "all", progress=False).net)
    pet_rows = []
    for case in pet:
        case_scores, fused = case_rows(case, "T1", "PET_rgb", {OURS: every, **rules}, args.slices)
        pet_rows += case_scores
        sub = evenly_spaced(case, args.slices)
        checker.append({"pair": "PET-MRI", "fold": "all SPECT", "case": case.name,
                        **checkerboards(fused, sub["T1"], sub["PET_rgb"])})
    out["PET-MRI"] = pet_rows
    sections.append(section("PET-MRI", "T1 with colour PET", len(pet), pet_rows,
                            "iVAN trained on all 11 SPECT cases (T2 and SPECT): transfer to another weighting and "
                            "tracer, never trained on PET"))
    write_json(args.results / "harvard_colour_fusion.json", {"command": command, "slices": args.slices, "ours": OURS,
                                                              "rows": out, "checkerboard": checker})
    boards = markdown_table([{k: f"{v:.2f}" if isinstance(v, float) else v for k, v in c.items()} for c in checker])
    atomic_write_text(args.results / "harvard_colour_fusion.md",
                      "# Colour fusion of MRI with SPECT and PET (Harvard atlas): iVAN beside the classical methods\n\n"
                      f"`{command}`. Every method fuses the MRI with the functional image's YCbCr luminance and keeps "
                      f"its chroma; {args.slices} evenly spaced slices per case, mean ± std over cases. iVAN is the "
                      "Harvard CT-MRI recipe frozen before this study (unsupervised loss, edge weight 2, crops on the "
                      "Haar grid) plus the fine term (weight 2) and gradient clipping, cross-validated by case over "
                      "the SPECT cases (4 folds, those of the T2 -> SPECT synthesis). The twelve fusion metrics are "
                      "computed on the luminance (higher is better; "
                      "POLARITY: the functional image's bright uptake stays bright); COLOUR is the mean CIEDE2000 "
                      "difference from the functional image in its active region (lower is better; about 1 is just "
                      "visible); FROM_MRI is the mean absolute difference between the fused luminance and the MRI in "
                      "that region (0: the MRI passed through unchanged). CS-MCA is left out (minutes per slice).\n\n"
                      + "\n\n".join(sections)
                      + "\n\n## Checkerboard: each method's two-pixel power over the stronger source's (luminance)\n\n"
                      "Per case, on the scored slices; `ratio` is iVAN's. The functional images are enlarged by pixel "
                      "repetition (no two-pixel power), so a rule that switches between the sources from pixel to "
                      "pixel makes some where neither source has any.\n\n" + boards + "\n")
    fig = show_fusion_cases(pictures, title="Harvard SPECT-MRI: each case fused by the iVAN of the fold that never "
                                            "trained on it, and by the classical methods")
    fig.savefig(args.results / "harvard_colour_fusion_cases.png", dpi=100)
    return 0


def section(pair: str, what: str, n: int, rows: list[dict], how: str) -> str:
    """The markdown of one pair: the table, the case-by-case wins and the "best" verdict."""
    table = metrics_table(rows, by=("method",), metrics=(*FUSION_METRICS, "COLOUR", "FROM_MRI"))
    wins, verdict = paired_wins(rows, OURS, FUSION_METRICS), best_rule(rows, OURS, FUSION_METRICS)
    return (f"## {pair}: {what}, {n} cases ({how})\n\n" + markdown_table(table.to_dict("records"))
            + f"\n\nCases on which {OURS} scores higher (the twelve fusion metrics):\n\n"
            + markdown_table([{**w, "beaten_on": ", ".join(w["beaten_on"])} for w in wins])
            + f"\n\n{OURS}: mean POLARITY {verdict['polarity']:+.3f}; methods that beat it case by case on more than "
              f"half of the {len(FUSION_METRICS)} fusion metrics: {', '.join(verdict['beaten_by']) or 'none'}.")


def ship(args: argparse.Namespace, command: str) -> None:
    """Ship iVAN trained on all 11 SPECT cases as ``t2spect_fusion`` / ``aanlib`` and fold 0's as ``aanlib-fold0``
    (notebook 06 fuses the cases it never saw)."""
    spect = harvard_cases("SPECT-MRI", args.aanlib)
    train, test = spect_folds(spect)[0]
    scored = args.results / "harvard_colour_fusion.json"
    if not scored.is_file():
        raise SystemExit(f"{scored} not found: score first (`python scripts/harvard_colour_fusion.py --slices 3`)")
    rows = [r for r in json.loads(scored.read_text())["rows"]["SPECT-MRI"] if r["method"] == OURS]
    for variant, cases, folder, held in (
            ("aanlib", spect, "all", "each SPECT case fused by the fold that held it out (4-fold cross-validation, "
                                     "11 cases)"),
            ("aanlib-fold0", train, "fold0", f"cases {', '.join(str(c.meta['case']) for c in test)} (held out: fold 0 "
                                             "of the cross-validation)")):
        result = network(cases, args.models / folder)
        mine = [r for r in rows if variant == "aanlib" or r["fold"] == 0]
        card = export_model(result.out_dir, "tutorial", args.dest, variant=variant, command=command, card_extra={
            "held_out": {**{m: float(np.mean([r[m] for r in mine])) for m in HELD_OUT}, "on": held,
                         "command": "python scripts/harvard_colour_fusion.py --slices 3",
                         "per_case": {r["subject"]: {m: r[m] for m in HELD_OUT} for r in mine}}})
        print(f"shipped {card['name']} ({card['variant']}): {card['steps']} steps on {len(cases)} SPECT cases")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aanlib", default=None, help="folder of the Harvard pairs (default: IVAN_AANLIB, then "
                                                       "../shared/data/aanlib)")
    parser.add_argument("--fold", type=int, choices=range(K), action="append", default=[],
                        help="train iVAN on the other folds' SPECT cases")
    parser.add_argument("--ship", action="store_true", help="train iVAN on all 11 SPECT cases and ship it")
    parser.add_argument("--slices", type=int, default=None, help="score: evenly spaced slices per case")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-colour-fusion"))
    parser.add_argument("--results", type=Path, default=Path("results/tutorial_cpu"))
    parser.add_argument("--dest", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    command = shlex.join(["python", "scripts/harvard_colour_fusion.py", *argv])
    if args.fold:
        spect = harvard_cases("SPECT-MRI", args.aanlib)
        if spect is None:
            return 2
        for fold in args.fold:
            train, _ = spect_folds(spect)[fold]
            network(train, args.models / f"fold{fold}")
    if args.ship:
        ship(args, command)
    if args.slices:
        return report(args, command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
