"""iVAN with the cheaper step against the U-Net given the same CPU time, on subjects no choice was made on.

    python scripts/fast_step_study.py --threads 1 --models runs/fast-step --out results/speed

The tutorial profile's iVAN with one subnet for ``s`` and ``t`` and three dense layers per subnet (chosen by step
cost alone, ``scripts/profile_training_step.py``), trained on the tutorial phantom split, beside the lookup table, the
linear map, the shipped U-Net at iVAN's steps and a U-Net given iVAN's measured wall-clock
(:func:`ivan_core.tutorial.comparison.baseline_comparison`), all scored on the fresh test subjects. Writes
``equal_wall_clock.json`` and ``.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.tutorial.comparison import baseline_comparison, comparison_table
from ivan_core.tutorial.experiment import phantom_splits
from ivan_core.tutorial.profiles import get_profile

#: The cheaper step's architecture changes (the rest is the tutorial profile's).
FAST = {"shared_st": True, "dense_layers": 3}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["t1_to_t2", "t1pd_to_t2"])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--models", type=Path, default=Path("runs/fast-step"))
    parser.add_argument("--out", type=Path, default=Path("results/speed"))
    parser.add_argument("--dense-layers", type=int, default=FAST["dense_layers"])
    parser.add_argument("--name", default="equal_wall_clock", help="stem of the result files")
    args = parser.parse_args(argv)
    fast = {**FAST, "dense_layers": args.dense_layers}
    if args.threads:
        torch.set_num_threads(args.threads)
    profile = get_profile("tutorial").changed(**fast)
    rows = baseline_comparison(phantom_splits("tutorial"), profile, args.models, tasks=tuple(args.tasks))
    command = "python scripts/fast_step_study.py " + " ".join(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / f"{args.name}.json", {"command": command, "architecture": fast, "rows": rows})
    atomic_write_text(args.out / f"{args.name}.md",
                      f"# iVAN ({', '.join(f'{k}={v}' for k, v in fast.items())}) against the U-Net at equal "
                      f"steps and at equal wall-clock\n\n`{command}`; fresh phantom test subjects.\n\n"
                      + comparison_table(rows) + "\n")
    print(comparison_table(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
