"""Cheaper iVAN steps: screened on validation subjects, then against the U-Net given the same CPU time on test subjects.

    python scripts/fast_step_study.py --screen --threads 1              # choose: validation subjects only
    python scripts/fast_step_study.py --threads 1 --tasks t1_to_t2 --name equal_wall_clock_t1_to_t2  # test subjects

``--screen`` trains every architecture of :data:`SCREEN` (the tutorial profile with cheaper subnets; one also with
1.5 times the steps, to see what equal quality costs) on the tutorial
phantom split and scores it, beside the shipped tutorial network, on the validation subjects
(:func:`ivan_core.tutorial.recipe.finished_run`); each (architecture, task) row is kept under
``--models``/``screen``, so the screen can run in parallel processes (``--variant``, ``--tasks``) and be collected
later. It writes ``architecture_screen.json`` and ``.md`` to ``--out``.

Without ``--screen``, the chosen architecture is trained and scored on the fresh test subjects beside the lookup
table, the linear map, the shipped U-Net at iVAN's steps and a U-Net given iVAN's measured wall-clock
(:func:`ivan_core.tutorial.comparison.baseline_comparison`). Writes ``<--name>.json`` and ``.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.tutorial.comparison import baseline_comparison, comparison_table
from ivan_core.tutorial.experiment import fit, phantom_splits
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.recipe import VALIDATION, finished_run, recipe_splits, score_probe

#: The cheaper step's architecture changes (the rest is the tutorial profile's).
FAST = {"shared_st": True, "dense_layers": 3}
#: Architectures screened on validation subjects: name -> ModelConfig changes ("shipped" loads the shipped network).
SCREEN = {"shipped": {},
          "shared s,t, 3 dense layers": FAST,
          "shared s,t, 3 dense layers, hidden 12": {**FAST, "hidden": 12},
          "shared s,t, 3 dense layers, 3 blocks": {**FAST, "n_blocks": 3},
          "shared s,t, 3 dense layers, 1.5 times the steps": {**FAST, "epochs": 225, "lr_step": 75}}
TASKS = ("t1_to_t2", "t1pd_to_t2")


def screen_row(name: str, task: str, models: Path) -> dict:
    """One architecture on one task, scored on the validation subjects (cached as JSON under ``models/screen``)."""
    path = models / "screen" / f"{name.replace(' ', '_').replace(',', '')}--{task}.json"
    if path.is_file():
        return json.loads(path.read_text())
    splits = recipe_splits("tutorial")
    if name == "shipped":
        result = fit(task, splits, "tutorial", None, pretrained=True)
        if not result.pretrained:
            raise RuntimeError(f"no shipped tutorial network for {task} trained on these subjects")
        probe = score_probe(result.task, splits.val)(len(result.history), result.net)
        row = {"task": task, "recipe": name, "overrides": {}, "steps": int(sum(r.get("steps", 0) for r in result.history)),
               "seconds": round(float(sum(r["seconds"] for r in result.history)), 1),
               "psnr": probe["val_psnr"], "ssim": probe["val_ssim"], "scored_on": VALIDATION}
    else:
        row = finished_run(task, splits, "tutorial", str(models), name, overrides=SCREEN[name])
    write_json(path, row)
    return row


def screen_table(rows: list[dict]) -> str:
    """Markdown: validation PSNR / SSIM per task and architecture, with the difference from the shipped network."""
    shipped = {r["task"]: r for r in rows if r["recipe"] == "shipped"}
    lines = ["| task | architecture (and budget) | validation PSNR (dB) | SSIM | PSNR - shipped (dB) | steps |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        base = shipped.get(r["task"])
        delta = f"{r['psnr'] - base['psnr']:+.2f}" if base else "-"
        lines.append(f"| {r['task']} | {r['recipe']} | {r['psnr']:.2f} | {r['ssim']:.3f} | {delta} | {r['steps']} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--models", type=Path, default=Path("runs/fast-step"))
    parser.add_argument("--out", type=Path, default=Path("results/speed"))
    parser.add_argument("--screen", action="store_true", help="score the SCREEN architectures on validation subjects")
    parser.add_argument("--variant", nargs="+", choices=list(SCREEN), default=list(SCREEN),
                        help="with --screen: the architectures to run")
    parser.add_argument("--dense-layers", type=int, default=FAST["dense_layers"])
    parser.add_argument("--hidden", type=int, default=None, help="growth channels (default: the tutorial profile's)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="iVAN's epochs, its learning-rate steps stretched alike (default: the tutorial profile's)")
    parser.add_argument("--name", default="equal_wall_clock", help="stem of the result files")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    command = "python scripts/fast_step_study.py " + " ".join(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.screen:
        for name in args.variant:
            for task in args.tasks:
                screen_row(name, task, args.models)
        rows = [json.loads(p.read_text()) for p in sorted((args.models / "screen").glob("*.json"))]
        rows.sort(key=lambda r: (r["task"], list(SCREEN).index(r["recipe"])))
        write_json(args.out / "architecture_screen.json", {"command": command, "architectures": SCREEN, "rows": rows})
        atomic_write_text(args.out / "architecture_screen.md",
                          "# Cheaper iVAN architectures, chosen on validation subjects\n\n"
                          "`python scripts/fast_step_study.py --screen --threads 1` (rows cached under "
                          f"`{args.models}/screen`, each run by the process that trained it); tutorial phantom split, "
                          f"{VALIDATION}, head region; every network trained for the tutorial profile's schedule unless its name "
                          "says otherwise.\n\n"
                          + screen_table(rows) + "\n")
        print(screen_table(rows), flush=True)
        return 0
    fast = {**FAST, "dense_layers": args.dense_layers} | ({"hidden": args.hidden} if args.hidden else {})
    tutorial = get_profile("tutorial")
    if args.epochs:
        fast |= {"epochs": args.epochs,
                 "lr_step": round(tutorial.train.lr_step * args.epochs / tutorial.train.epochs)}
    profile = tutorial.changed(**fast)
    rows = baseline_comparison(phantom_splits("tutorial"), profile, args.models, tasks=tuple(args.tasks))
    write_json(args.out / f"{args.name}.json", {"command": command, "architecture": fast, "rows": rows})
    atomic_write_text(args.out / f"{args.name}.md",
                      f"# iVAN ({', '.join(f'{k}={v}' for k, v in fast.items())}) against the U-Net at equal "
                      f"steps and at equal wall-clock\n\n`{command}`; fresh phantom test subjects.\n\n"
                      + comparison_table(rows) + "\n")
    print(comparison_table(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
