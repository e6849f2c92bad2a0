"""Real T1 -> PET on both Harvard PET-MRI cases: leave one case out, the baselines beside iVAN, and the shipped network.

    python scripts/harvard_pet_cv.py --fold 0          # train on case 25 (coronal), test on case 30 (sagittal)
    python scripts/harvard_pet_cv.py --fold 1          # train on case 30, test on case 25
    python scripts/harvard_pet_cv.py --report          # both folds' tables into results/tutorial_cpu
    python scripts/harvard_pet_cv.py --ship            # train on both cases and ship as the 'aanlib' variant

iVAN trains with the tutorial profile and crops on its Haar grid (``aligned_crops``: the atlas PET is a 128 x 128
image enlarged by pixel repetition, and crops off that grid taught the shipped network a two-pixel checkerboard,
``scripts/checkerboard_cause.py``); the U-Net gets iVAN's steps, the lookup table and linear map their closed-form
fits. Each fold's test case is scored inside the head (PSNR, SSIM) and by the share of the prediction's power on
the two-pixel frequencies (the real PET has none). The two cases lie in different planes, so every score here
is also the cost of a plane change.
"""

from __future__ import annotations

import argparse
import shlex
import sys
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


def fold_rows(fold: int, models: Path) -> list[dict]:
    """Train on one case, score every method on the other (head region, plus the two-pixel share)."""
    cases = {c.name: c for c in load_aanlib(pair="PET-MRI")}
    train, test = cases[CASES[fold]], cases[CASES[1 - fold]]
    splits = Splits([train], [], [test])
    profile = get_profile("tutorial").changed(**RECIPE)
    predictors = {"iVAN": ivan_predictor(fit("t1_to_pet", splits, profile, models / f"fold{fold}")),
                  **baseline_predictors("t1_to_pet", splits, profile, models / f"fold{fold}")}
    rows = [r for r in compare("t1_to_pet", [test], predictors) if r["region"] == "head"]
    for row in rows:
        row.update(fold=fold, trained_on=train.name, share=nyquist_share(predictors[row["method"]](test)["PET_rgb"]))
    return rows


def report(models: Path, out: Path, command: str) -> None:
    rows = [r for fold in (0, 1) for r in fold_rows(fold, models)]
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
                      "two-pixel frequencies (the real PET has 0). Fold 0 trains on case 25 (coronal) and tests on "
                      "case 30 (sagittal), fold 1 the other way round, so each score includes a plane change. "
                      "Mean ± std over the two folds.\n\n" + markdown_table(table) + "\n")
    print(markdown_table(table))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fold", type=int, choices=(0, 1), action="append", default=[])
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--ship", action="store_true", help="train on both cases and ship as the 'aanlib' variant")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-pet"))
    parser.add_argument("--out", type=Path, default=Path("results/tutorial_cpu"))
    parser.add_argument("--dest", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    command = "python scripts/harvard_pet_cv.py " + shlex.join(argv)
    for fold in args.fold:
        print(markdown_table(fold_rows(fold, args.models)))
    if args.report:
        report(args.models, args.out, command)
    if args.ship:
        cases = load_aanlib(pair="PET-MRI")
        result = fit("t1_to_pet", Splits(cases, [], []), get_profile("tutorial").changed(**RECIPE), args.models / "all")
        card = export_model(result.out_dir, "tutorial", args.dest, variant="aanlib", command=command,
                            card_extra={"cross_validation_command": "python scripts/harvard_pet_cv.py --report"})
        print(f"shipped {card['name']} ({card['variant']}): {card['steps']} steps on {len(cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
