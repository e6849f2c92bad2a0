"""Real T1 -> PET on both Harvard PET-MRI cases: leave one case out, the baselines beside iVAN, and the shipped network.

    python scripts/harvard_pet_cv.py --fold 0          # train on case 25 (coronal), test on case 30 (sagittal)
    python scripts/harvard_pet_cv.py --fold 1          # train on case 30, test on case 25
    python scripts/harvard_pet_cv.py --report          # both folds' tables into results/tutorial_cpu
    python scripts/harvard_pet_cv.py --ship            # ship 'aanlib' (both cases) and 'aanlib-case25' (fold 0)
    python scripts/harvard_pet_cv.py --plane           # same case and plane against the other case and plane

iVAN trains with the tutorial profile and crops on its Haar grid (``aligned_crops``: the atlas PET is a 128 x 128
image enlarged by pixel repetition, and crops off that grid taught the shipped network a two-pixel checkerboard,
``scripts/checkerboard_cause.py``); the U-Net gets iVAN's steps, the lookup table and linear map their closed-form
fits. Each fold's test case is scored inside the head (PSNR, SSIM) and by the share of the prediction's power on
the two-pixel frequencies (the real PET has none). The two cases lie in different planes, so every score here
is also the cost of a plane change.

With one case per plane, a plane change cannot be told apart from a case change. ``--plane`` bounds their joint
cost: each method is trained on the first slices of one case (up to :data:`GAP` slices before its middle) and
scored on the last slices of the same case (from :data:`GAP` slices after the middle: same case, same plane) and
on every slice of the other case (new case, new plane), by the same fitted model.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.data import load_aanlib
from ivan_core.metrics import nyquist_share
from ivan_core.store import WEIGHTS
from ivan_core.tutorial.experiment import Splits, baseline_predictors, compare, fit, ivan_predictor
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.reporting import markdown_table
from ivan_core.tutorial.ship import export_model

CASES = ("aanlib-PET-MRI-25", "aanlib-PET-MRI-30")
RECIPE = {"aligned_crops": True}
#: Slices left out on each side of a case's middle between the training and the same-case test slices.
GAP = 1


def _cases() -> dict:
    return {c.name: c for c in load_aanlib(pair="PET-MRI")}


def fold_rows(fold: int, models: Path) -> tuple[list[dict], Path]:
    """Train on one case, score every method on the other (head region, plus the two-pixel share); also
    returns the iVAN run folder."""
    cases = _cases()
    train, test = cases[CASES[fold]], cases[CASES[1 - fold]]
    splits = Splits([train], [], [test])
    profile = get_profile("tutorial").changed(**RECIPE)
    result = fit("t1_to_pet", splits, profile, models / f"fold{fold}")
    predictors = {"iVAN": ivan_predictor(result),
                  **baseline_predictors("t1_to_pet", splits, profile, models / f"fold{fold}")}
    rows = [r for r in compare("t1_to_pet", [test], predictors) if r["region"] == "head"]
    for row in rows:
        row.update(fold=fold, trained_on=train.name, share=nyquist_share(predictors[row["method"]](test)["PET_rgb"]))
    return rows, result.out_dir


def plane_rows(index: int, models: Path) -> list[dict]:
    """Train on the first slices of case ``CASES[index]``; score every method on its last slices (``"same case and
    plane"``) and on the whole other case (``"other case and plane"``), head region."""
    cases = _cases()
    case, other = cases[CASES[index]], cases[CASES[1 - index]]
    middle = case.n_slices // 2
    first = replace(case.take(slice(0, middle - GAP)), name=f"{case.name}-first")
    last = replace(case.take(slice(middle + GAP, None)), name=f"{case.name}-last")
    splits = Splits([first], [], [last, other])
    profile = get_profile("tutorial").changed(**RECIPE)
    result = fit("t1_to_pet", splits, profile, models / f"plane{index}")
    predictors = {"iVAN": ivan_predictor(result),
                  **baseline_predictors("t1_to_pet", splits, profile, models / f"plane{index}")}
    rows = [r for r in compare("t1_to_pet", [last, other], predictors) if r["region"] == "head"]
    for row in rows:
        row.update(trained_on=f"{case.name}, slices 0-{middle - GAP - 1}",
                   test="same case and plane" if row["subject"] == last.name else "other case and plane")
    return rows


def plane_report(models: Path, out: Path, command: str) -> None:
    rows = [r for index in (0, 1) for r in plane_rows(index, models)]
    table = []
    for method in dict.fromkeys(r["method"] for r in rows):
        entry = {"method": method}
        for name in CASES:
            mine = {r["test"]: r for r in rows if r["method"] == method and r["trained_on"].startswith(name + ",")}
            case = name.rsplit("-", 1)[-1]
            same, other = mine["same case and plane"]["psnr"], mine["other case and plane"]["psnr"]
            entry[f"trained on {case}: same case (dB)"] = round(same, 2)
            entry[f"trained on {case}: other case (dB)"] = round(other, 2)
            entry[f"trained on {case}: cost (dB)"] = round(same - other, 2)
        table.append(entry)
    write_json(out / "harvard_pet_plane.json", {"command": command, "recipe": RECIPE, "gap": GAP, "rows": rows})
    atomic_write_text(out / "harvard_pet_plane.md",
                      "# Real T1 -> PET: a new case in a new plane against new slices of the same case\n\n"
                      f"`{command}`. Each method is trained on the first slices of one case (up to {GAP} slice(s) "
                      f"before its middle) and scored, head PSNR, on the last slices of that case (from {GAP} slice(s) "
                      "after the middle) and on every slice of the other case. Case 25 is coronal, case 30 sagittal, so "
                      "the cost (same case minus other case) is a plane change and a case change together: an upper "
                      "bound on what the plane alone costs. The two halves of a case hold different anatomy too.\n\n"
                      + markdown_table(table) + "\n")
    print(markdown_table(table))


def ship(models: Path, dest: Path, command: str) -> None:
    """Ship iVAN trained on both cases as ``aanlib`` and fold 0's (case 25) as ``aanlib-case25``, each card with
    its held-out score."""
    folds = [fold_rows(fold, models) for fold in (0, 1)]
    ivan = [r for rows, _ in folds for r in rows if r["method"] == "iVAN"]
    held = {"psnr_head": float(np.mean([r["psnr"] for r in ivan])), "ssim_head": float(np.mean([r["ssim"] for r in ivan])),
            "on": "the left-out case of a leave-one-case-out run (2 folds, each network trained on the other case)",
            "command": "python scripts/harvard_pet_cv.py --report",
            "per_case": {r["subject"]: {"psnr_head": r["psnr"], "ssim_head": r["ssim"], "trained_on": r["trained_on"]}
                         for r in ivan}}
    result = fit("t1_to_pet", Splits(list(_cases().values()), [], []), get_profile("tutorial").changed(**RECIPE),
                 models / "all")
    card = export_model(result.out_dir, "tutorial", dest, variant="aanlib", command=command,
                        card_extra={"held_out": held})
    print(f"shipped {card['name']} ({card['variant']}): {card['steps']} steps on both cases")
    first = next(r for r in ivan if r["fold"] == 0)
    export_model(folds[0][1], "tutorial", dest, variant="aanlib-case25", command=command,
                 card_extra={"held_out": {"psnr_head": first["psnr"], "ssim_head": first["ssim"],
                                          "on": "Harvard PET-MRI case 30 (held out)",
                                          "command": "python scripts/harvard_pet_cv.py --report"}})


def report(models: Path, out: Path, command: str) -> None:
    rows = [r for fold in (0, 1) for r in fold_rows(fold, models)[0]]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    table = []
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        entry = {"method": method}
        for r in mine:
            entry[f"PSNR, test {r['subject'].rsplit('-', 1)[-1]}"] = round(r["psnr"], 2)
        for metric, label, scale, digits in (("psnr", "PSNR (dB)", 1, 2), ("ssim", "SSIM", 1, 3),
                                             ("share", "two-pixel share (%)", 100, 3)):
            values = scale * np.array([r[metric] for r in mine])
            entry[f"{label}, mean ± std"] = f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"
        table.append(entry)
    write_json(out / "harvard_pet_cv.json", {"command": command, "recipe": RECIPE, "rows": rows})
    atomic_write_text(out / "harvard_pet_cv.md",
                      "# Real T1 -> PET, leave one case out over the two Harvard PET-MRI cases\n\n"
                      f"`{command}`. Head region; share: the percentage of the predicted PET's power on the "
                      "two-pixel frequencies (the real PET has 0: it is a 128 x 128 image enlarged by pixel repetition, "
                      "and every fitted method's prediction is projected onto those 2 x 2 blocks, "
                      "`ivan_core.core.grid`). Fold 0 trains on case 25 (coronal) and tests on "
                      "case 30 (sagittal), fold 1 the other way round, so each score includes a plane change. "
                      "Mean ± std over the two folds.\n\n" + markdown_table(table) + "\n")
    print(markdown_table(table))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fold", type=int, choices=(0, 1), action="append", default=[])
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--ship", action="store_true", help="ship 'aanlib' (trained on both cases) and 'aanlib-case25' (fold 0)")
    parser.add_argument("--plane", action="store_true", help="same case and plane against the other case and plane")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-pet"))
    parser.add_argument("--out", type=Path, default=Path("results/tutorial_cpu"))
    parser.add_argument("--dest", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    command = "python scripts/harvard_pet_cv.py " + shlex.join(argv)
    for fold in args.fold:
        print(markdown_table(fold_rows(fold, args.models)[0]))
    if args.report:
        report(args.models, args.out, command)
    if args.ship:
        ship(args.models, args.dest, command)
    if args.plane:
        plane_report(args.models, args.out, command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
