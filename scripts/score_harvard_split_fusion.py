"""Score the fusion networks of notebook 06's Harvard split on its held-out test cases, every fusion metric.

    python scripts/score_harvard_split_fusion.py                       # all methods but CS-MCA (30 CPU-min)
    python scripts/score_harvard_split_fusion.py --methods average lrd cs_mca

The split is notebook 06's: ``split_subjects(harvard_cases("CT-MRI"), (5, 1, 2), seed=0)``, test cases 2
and 34. Both shipped iVAN variants of that split are loaded (nothing trains when they match), every
method in ``--methods`` fuses the test cases, and :func:`~ivan_core.tutorial.reporting.metrics_table`
(every fusion metric, mean ± std over the two cases) and :func:`~ivan_core.tutorial.fusion_cv.best_rule`
go to ``--out`` as JSON and markdown.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import torch

from ivan_core.baselines.fusion.methods import METHODS
from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.data import split_subjects
from ivan_core.metrics import FUSION_METRICS
from ivan_core.tutorial.experiment import Splits, harvard_cases
from ivan_core.tutorial.fusion_cv import best_rule
from ivan_core.tutorial.fusion_study import fusion_profile, run_fusion_study
from ivan_core.tutorial.reporting import markdown_table, metrics_table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aanlib", default=None, help="folder of the Harvard pairs (default: IVAN_AANLIB, then "
                                                       "../shared/data/aanlib)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=[m for m in METHODS if m != "cs_mca"])
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-split"), help="run folder (nothing trains "
                                                                                        "when the shipped networks match)")
    parser.add_argument("--out", type=Path, default=Path("results/tutorial_cpu/harvard_split_fusion"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    cases = harvard_cases("CT-MRI", args.aanlib)
    if cases is None:
        return 2
    splits = Splits(*split_subjects(cases, (5, 1, 2), seed=0))
    study = run_fusion_study(splits, fusion_profile("tutorial", harvard=True), args.models, pretrained=True,
                             methods=args.methods, progress=False)
    table = metrics_table(study.table, by=("method",), metrics=FUSION_METRICS)
    rules = [best_rule(study.table, method) for method in study.nets]
    command = shlex.join(["python", "scripts/score_harvard_split_fusion.py", *argv])
    write_json(args.out.with_suffix(".json"), {"command": command, "test": [s.name for s in splits.test],
                                               "table": study.table, "best_rule": rules})
    atomic_write_text(args.out.with_suffix(".md"),
                      f"# Notebook 06's Harvard split, test cases {', '.join(s.name for s in splits.test)}\n\n"
                      f"Mean ± std over the two cases (`{command}`).\n\n" + markdown_table(table.to_dict("records"))
                      + "\n\n" + "\n".join(f"* {r['method']}: POLARITY {r['polarity']:+.3f}; beaten on most metrics by: "
                                           f"{r['beaten_by'] or 'none'}; best: {r['best']}" for r in rules) + "\n")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
