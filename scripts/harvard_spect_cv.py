"""Real T2 -> SPECT on the 11 Harvard SPECT-MRI cases: 4-fold cross-validation by case, the baselines beside iVAN.

    python scripts/harvard_spect_cv.py --choose        # colour or grey activity? decided on a validation case
    python scripts/harvard_spect_cv.py --fold 0        # train on the other folds' cases, score fold 0's (0-3)
    python scripts/harvard_spect_cv.py --report        # every fold's table into results/tutorial_cpu
    python scripts/harvard_spect_cv.py --ship          # ship 't2_to_spect' on all 11 cases, and fold 0's

Two ways to learn the colour SPECT: the colour image itself (``t2_to_spect``, X = (T2, T2, T2), Y = SPECT_rgb) or
the grey activity read back through the atlas colour scale (``t2_to_spect_grey``, X = (T2, T2), Y = (SPECT, SPECT)),
the colour scale re-applied to the prediction. ``--choose`` trains both on seven cases, scores both on an eighth
(case 25, for validation), and writes the choice; the folds (:func:`~ivan_core.data.case_folds`) and the shipped
network use it. The choice is frozen before the cross-validation, not nested in it: every case used for it is a
test case of some fold. Every method is scored on the colour
image inside the head (PSNR, SSIM), by the spread of its activity (its 1-99th percentile range inside the head
over the truth's: the colour range kept) and by the share of its power on the two-pixel frequencies (the atlas
SPECT, a 128 x 128 image enlarged by pixel repetition, has none). iVAN and the U-Net are also scored "range matched":
each prediction's activity inside the head given the distribution of the fold's training cases
(:func:`~ivan_core.data.match_activity`), which widens the colour range a loss toward the mean narrows.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.core.tasks import Task, get_task
from ivan_core.data import HARVARD_SPECT, case_folds, head_activity, load_aanlib, rgb_to_spect
from ivan_core.evaluation import score
from ivan_core.metrics import nyquist_share
from ivan_core.store import WEIGHTS
from ivan_core.tutorial.experiment import Method, Splits, baseline_predictors, fit, ivan_predictor, range_matched
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.reporting import markdown_table
from ivan_core.tutorial.ship import export_model

CANDIDATES = {  # the colour one, chosen (harvard_spect_choice.json), is the built-in task
    "colour": get_task("t2_to_spect"),
    "grey": Task("t2_to_spect_grey", ("T2", "T2"), ("SPECT", "SPECT"),
                 "T2 -> SPECT activity (grey; the atlas colour scale re-applied)"),
}
RECIPE = {"aligned_crops": True}
N_FOLDS = 4
CHOICE_TRAIN = (4, 9, 11, 18, 21, 35, 36)  # the cases the representation was chosen with
VALIDATION_CASE = 25
CHOICE_FILE = "harvard_spect_choice.json"


def _cases() -> list:
    return sorted(load_aanlib(pair="SPECT-MRI"), key=lambda c: c.meta["case"])


def _folds() -> list[tuple[list, list]]:
    """``(train, test)`` cases of each fold (:func:`~ivan_core.data.case_folds`, no validation case)."""
    return [(train, test) for train, _, test in case_folds(_cases(), N_FOLDS, seed=0, n_val=0)]


def as_colour(representation: str, predict: Callable) -> Method:
    """A predictor of ``representation`` turned into one of ``{"SPECT_rgb": (S, H, W, 3)}``."""
    if representation == "colour":
        return predict

    def colour(subject):
        activity = np.clip(predict(subject)["SPECT"], 0.0, 1.0)
        return {"SPECT_rgb": HARVARD_SPECT(activity)[..., :3].astype(np.float32)}

    return Method(colour, getattr(predict, "steps", 0), getattr(predict, "seconds", 0.0))


def activity_spread(subject, colour: np.ndarray) -> float:
    """The 1-99th percentile range of the activity of ``colour`` inside the head, over the truth's."""
    def spread(rgb):
        values = rgb_to_spect(np.clip(rgb, 0.0, 1.0))[subject.mask]
        return float(np.subtract(*np.percentile(values, [99, 1])))
    return spread(colour) / spread(subject["SPECT_rgb"])


def scored(subjects: list, predictors: dict) -> list[dict]:
    """Head-region colour scores, activity spread and two-pixel share of every method on every subject."""
    rows = []
    for method, predict in predictors.items():
        for subject in subjects:
            colour = predict(subject)["SPECT_rgb"]
            row = score(subject, {"SPECT_rgb": colour}, ("SPECT_rgb",), regions=("head",))[0]
            rows.append({"method": method, **row, "spread": activity_spread(subject, colour),
                         "share": nyquist_share(colour), "steps": getattr(predict, "steps", 0)})
    return rows


def ivan(representation: str, train: list, models: Path):
    """iVAN of ``representation`` trained on ``train``: the shipped network where one was trained on exactly these
    cases (all 11, fold 0's), else cached under ``models`` or trained now."""
    return fit(CANDIDATES[representation], Splits(train, [], []), get_profile("tutorial").changed(**RECIPE), models,
               pretrained=True)


def choose(models: Path, out: Path, command: str) -> str:
    """Train both representations on :data:`CHOICE_TRAIN`; the better PSNR on :data:`VALIDATION_CASE` wins."""
    train = [c for c in _cases() if c.meta["case"] in CHOICE_TRAIN]
    validation = [c for c in _cases() if c.meta["case"] == VALIDATION_CASE]
    rows = []
    for representation in CANDIDATES:
        result = ivan(representation, train, models / "choose")
        rows += [{**r, "representation": representation}
                 for r in scored(validation, {f"iVAN ({representation})": as_colour(representation, ivan_predictor(result))})]
    chosen = max(rows, key=lambda r: r["psnr"])["representation"]
    write_json(out / CHOICE_FILE, {"command": command, "validation": VALIDATION_CASE,
                                   "train": [c.name for c in train], "rows": rows, "chosen": chosen})
    print(markdown_table(rows), f"\nchosen: {chosen}")
    return chosen


def chosen(out: Path) -> str:
    path = out / CHOICE_FILE
    if not path.exists():
        raise SystemExit(f"{path} not found: run `python scripts/harvard_spect_cv.py --choose` first")
    return json.loads(path.read_text())["chosen"]


def fold_rows(fold: int, representation: str, models: Path) -> list[dict]:
    """Train every method on the fold's training cases and score it on its test cases."""
    train, test = _folds()[fold]
    task = CANDIDATES[representation]
    splits = Splits(train, [], test)
    profile = get_profile("tutorial").changed(**RECIPE)
    predictors = {"iVAN": ivan_predictor(ivan(representation, train, models / f"fold{fold}")),
                  **baseline_predictors(task, splits, profile, models / f"fold{fold}")}
    colour = {name: as_colour(representation, p) for name, p in predictors.items()}
    reference = head_activity(train)
    for name in ("iVAN", "U-Net"):
        colour[f"{name}, range matched"] = range_matched(colour[name], reference)
    rows = scored(test, colour)
    for row in rows:
        row["fold"] = fold
    return rows


def report(models: Path, out: Path, command: str) -> None:
    representation = chosen(out)
    rows = [r for fold in range(N_FOLDS) for r in fold_rows(fold, representation, models)]
    table = []
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        entry = {"method": method}
        for fold in range(N_FOLDS):
            entry[f"PSNR fold {fold}"] = round(float(np.mean([r["psnr"] for r in mine if r["fold"] == fold])), 2)
        for metric, label, scale, digits in (("psnr", "PSNR (dB)", 1, 2), ("ssim", "SSIM", 1, 3),
                                             ("spread", "activity spread", 1, 2), ("share", "two-pixel share (%)", 100, 3)):
            values = scale * np.array([r[metric] for r in mine])
            entry[f"{label}, mean ± std over cases"] = f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"
        table.append(entry)
    cases = {}
    for r in rows:
        case = cases.setdefault(r["subject"], {"case": r["subject"].rsplit("-", 1)[-1], "fold": r["fold"]})
        case[r["method"]] = round(r["psnr"], 2)
    write_json(out / "harvard_spect_cv.json", {"command": command, "recipe": RECIPE, "representation": representation,
                                                "rows": rows})
    atomic_write_text(out / "harvard_spect_cv.md",
                      "# Real T2 -> SPECT, 4-fold cross-validation over the 11 Harvard SPECT-MRI cases\n\n"
                      f"`{command}`. iVAN learns the {representation} representation (chosen on validation case "
                      f"{VALIDATION_CASE}, `{CHOICE_FILE}`); the U-Net trains with iVAN's steps, the lookup "
                      "table and linear map by their closed-form fits, all on the same training cases. Scores on the colour "
                      "image inside the head; activity spread: the prediction's 1-99th percentile activity range over the "
                      "truth's (1 keeps the colour range); share: percentage of power on the two-pixel frequencies (the "
                      "real SPECT has 0: it is a 128 x 128 image enlarged by pixel repetition, and every fitted "
                      "method's prediction is projected onto those 2 x 2 blocks, `ivan_core.core.grid`). \"Range matched\": the "
                      "prediction's activity inside the head histogram-matched to the fold's training cases' "
                      "(`ivan_core.data.match_activity`). Mean ± std over "
                      "the 11 cases, each scored once, by the fold that held it out.\n\n"
                      + markdown_table(table) + "\n\n## PSNR (dB) per case\n\n" + markdown_table(list(cases.values())) + "\n")
    print(markdown_table(table))


def ship(models: Path, out: Path, dest: Path, command: str) -> None:
    """Ship iVAN trained on all 11 cases as ``aanlib`` and fold 0's as ``aanlib-fold0`` (notebook 05 shows it on the
    cases it never saw), each card with its held-out scores."""
    representation = chosen(out)
    rows = [r for r in json.loads((out / "harvard_spect_cv.json").read_text())["rows"] if r["method"] == "iVAN"]

    def held(mine: list[dict], on: str) -> dict:
        return {"psnr_head": float(np.mean([r["psnr"] for r in mine])), "ssim_head": float(np.mean([r["ssim"] for r in mine])),
                "on": on, "command": "python scripts/harvard_spect_cv.py --report",
                "per_case": {r["subject"]: {"psnr_head": r["psnr"], "ssim_head": r["ssim"]} for r in mine}}

    result = ivan(representation, _cases(), models / "all")
    card = export_model(result.out_dir, "tutorial", dest, variant="aanlib", command=command, card_extra={
        "held_out": held(rows, "each case scored by the fold that held it out (4-fold cross-validation, 11 cases)")})
    print(f"shipped {card['name']} ({card['variant']}): {card['steps']} steps on all 11 cases")
    train, test = _folds()[0]
    fold0 = ivan(representation, train, models / "fold0")
    card = export_model(fold0.out_dir, "tutorial", dest, variant="aanlib-fold0", command=command, card_extra={
        "held_out": held([r for r in rows if r["fold"] == 0], f"cases {', '.join(str(c.meta['case']) for c in test)} "
                         "(held out: fold 0 of the cross-validation)")})
    print(f"shipped {card['name']} ({card['variant']}): {card['steps']} steps on {len(train)} cases")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--choose", action="store_true", help="decide colour or grey on the validation case")
    parser.add_argument("--fold", type=int, choices=range(N_FOLDS), action="append", default=[])
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--ship", action="store_true", help="ship the network trained on all 11 cases, and fold 0's")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-spect"))
    parser.add_argument("--out", type=Path, default=Path("results/tutorial_cpu"))
    parser.add_argument("--dest", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    command = "python scripts/harvard_spect_cv.py " + shlex.join(argv)
    if args.choose:
        choose(args.models, args.out, command)
    for fold in args.fold:
        print(markdown_table(fold_rows(fold, chosen(args.out), args.models)))
    if args.report:
        report(args.models, args.out, command)
    if args.ship:
        ship(args.models, args.out, args.dest, command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
