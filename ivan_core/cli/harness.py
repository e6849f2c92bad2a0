"""The tutorial harness's commands: ``tutorial``, ``pretrain``, ``compare`` and ``benchmark``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ivan_core.cli.options import PROFILE_NAMES, positive_int


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the harness's sub-commands on ``sub``."""
    tut = sub.add_parser("tutorial", help="run every notebook headless and write a results summary")
    tut.add_argument("--profile", choices=PROFILE_NAMES, default="tutorial")
    tut.add_argument("--out", type=Path, default=None, help="output folder (default runs/<profile>)")
    tut.add_argument("--only", nargs="*", default=None, help="notebook prefixes to run, e.g. 00 02")
    tut.add_argument("--train", action="store_true",
                     help="train every network afresh instead of using the weights shipped in ivan_core")
    tut.add_argument("--jobs", type=positive_int, default=min(2, os.cpu_count() or 1),
                     help="notebooks run at once, each with cpu_count / jobs threads (default: 2 where 2 cores)")
    tut.set_defaults(handler=_tutorial)
    pre = sub.add_parser("pretrain", help="train every network the notebooks use and ship it in ivan_core/store/weights")
    pre.add_argument("--profile", choices=PROFILE_NAMES, default="tutorial")
    pre.add_argument("--out", type=Path, default=None, help="run folder (default runs/pretrain-<profile>); "
                                                           "rerunning resumes its trainings")
    pre.add_argument("--only", nargs="*", default=None, help="notebook prefixes to run, e.g. 03 04")
    pre.set_defaults(handler=_pretrain)
    cmp_ = sub.add_parser("compare", help="iVAN against the lookup table, U-Nets and (on Table I's tasks) "
                                          "pix2pix, CycleGAN and Hi-Net on the same data and budget")
    cmp_.add_argument("--profile", choices=PROFILE_NAMES, default="tutorial")
    cmp_.add_argument("--models", type=Path, default=Path("runs/pretrain-tutorial/models"),
                      help="trained-model folder shared with the notebooks (resumed, and reused)")
    cmp_.add_argument("--tasks", nargs="+", default=None, help="synthesis tasks (default: all five)")
    cmp_.add_argument("--out", type=Path, default=Path("results/tutorial_cpu"))
    cmp_.add_argument("--same-steps-only", action="store_true",
                      help="leave out the (costly) U-Net given iVAN's wall-clock")
    cmp_.set_defaults(handler=_compare)
    bench = sub.add_parser("benchmark", help="training throughput, FLOP utilisation against a peak, memory")
    bench.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    bench.add_argument("--models", nargs="+", default=["tutorial", "paper"], choices=PROFILE_NAMES,
                       help="profiles whose n_blocks/hidden to time")
    bench.add_argument("--batch-size", type=int, default=4)
    bench.add_argument("--steps", type=int, default=3)
    bench.add_argument("--warmup", type=int, default=1)
    bench.add_argument("--variants", nargs="+", default=["fp32", "bf16", "channels_last", "compile", "reversible"],
                       help="fp32, bf16 (autocast), channels_last, compile, reversible")
    bench.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    bench.set_defaults(handler=_benchmark)


def _tutorial(args: argparse.Namespace) -> int:
    from ivan_core.tutorial.runner import run_all

    run_all(args.profile, args.out, args.only, train=args.train, jobs=args.jobs)
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    import time

    from ivan_core.store import WEIGHTS
    from ivan_core.tutorial.runner import run_all
    from ivan_core.tutorial.ship import export_all, prune

    out = args.out or Path("runs") / f"pretrain-{args.profile}"
    start = time.time()
    run_all(args.profile, out, args.only, train=True)
    cards = export_all(out / "models", args.profile, used_since=start)  # what this run's notebooks used
    for card in cards:
        print(f"[ivan] shipped {card['name']} ({card['variant']}): {card['test_metrics']}", flush=True)
    if args.only is None:  # every notebook ran: what none of them used any more goes
        for path in prune(WEIGHTS, args.profile, cards):
            print(f"[ivan] removed {path.name} (no notebook uses it now)", flush=True)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from ivan_core.baselines.synthesis.gans import ADVERSARIAL
    from ivan_core.core.io import atomic_write_text, write_json
    from ivan_core.tutorial.comparison import SYNTHESIS_TASKS, baseline_comparison, comparison_table
    from ivan_core.tutorial.experiment import phantom_splits

    rows = baseline_comparison(phantom_splits(args.profile), args.profile, args.models, args.tasks or SYNTHESIS_TASKS,
                               wall_clock=not args.same_steps_only, adversarial=tuple(ADVERSARIAL))
    json_path = args.out / "synthesis_vs_baselines.json"
    if json_path.exists():  # keep the rows of tasks not rerun now
        done = {r["task"] for r in rows}
        rows = [r for r in json.loads(json_path.read_text()) if r["task"] not in done] + rows
    write_json(json_path, rows)
    atomic_write_text(args.out / "synthesis_vs_baselines.md", comparison_table(rows))
    print(comparison_table(rows))
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    from ivan_core.core.io import write_json
    from ivan_core.tutorial.benchmark import training_throughput

    rows = []
    from ivan_core.tutorial.profiles import PROFILES

    for name in args.models:
        p = PROFILES[name]
        for size in args.sizes:
            for variant in args.variants:
                row = {"model": name, **training_throughput(size=size, n_blocks=p.model.n_blocks, hidden=p.model.hidden,
                                                            levels=p.model.levels, batch_size=args.batch_size,
                                                            steps=args.steps, warmup=args.warmup, variant=variant)}
                print(f"[ivan] {name} {size}px {variant:13s} {row['images_per_s']:8.2f} images/s  "
                      f"{row['achieved_flops'] / 1e9:8.1f} GFLOP/s = {100 * row['utilisation']:5.1f} % of "
                      f"{row['peak_flops'] / 1e9:.0f} GFLOP/s ({row['peak_source']})  "
                      f"peak {row['peak_mb'] or float('nan'):.0f} MB  saved {row['saved_mb']:.0f} MB  "
                      f"outside the network {100 * row['outside_share']:.0f} %", flush=True)
                rows.append(row)
    if args.out:
        write_json(args.out, rows)
    return 0
