"""The two-pixel checkerboard of the cross-validated Harvard fusion networks, measured and shown.

    python scripts/fusion_checkerboard.py --variant unsupervised --models runs/harvard-fusion

Each fold's network (trained by ``scripts/ship_harvard_fusion.py --cross-validate VARIANT --fold i``) fuses the
middle slice of its own test cases. The measure is :func:`ivan_core.metrics.checkerboard_ratio`: the fused image's
power at the two-pixel frequencies over the larger of the two sources' power there; a checkerboard drives it far
above 1. The table and the crops go to ``--out`` (``harvard_fusion_checkerboard_<variant>.md`` and
``.png``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from ivan_core.core.inference import synthesise
from ivan_core.core.io import atomic_write_text
from ivan_core.core.tasks import get_task
from ivan_core.core.training.checkpoint import load_model
from ivan_core.data import case_folds, load_aanlib
from ivan_core.metrics import checkerboard_ratio


def fold_network(folder: Path, variant: str):
    """The fold's finished network of ``variant`` (by its forward term's name), or None."""
    for run in sorted(folder.iterdir()) if folder.is_dir() else ():
        key = json.loads((run / "key.json").read_text()) if (run / "key.json").is_file() else {}
        name = (key.get("forward_loss") or {}).get("name", "")
        if (run / "model.pt").is_file() and name.startswith(variant):
            return load_model(run / "model.pt")[0]
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", default="unsupervised", help="forward term name prefix: unsupervised, teacher")
    parser.add_argument("--models", type=Path, default=Path("runs/harvard-fusion"))
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("results/tutorial_cpu"))
    args = parser.parse_args(argv)
    cases = load_aanlib(pair="CT-MRI")
    task = get_task("t2ct_fusion")
    rows, crops = [], []
    for i, (_, _, test) in enumerate(case_folds(cases, args.k)):
        net = fold_network(args.models / "aanlib-cv" / f"fold{i}", args.variant)
        if net is None:
            print(f"fold {i}: no finished {args.variant} network; left out")
            continue
        for case in test:
            k = case.n_slices // 2
            fused = synthesise(net, task, case.take([k]))["FUSED"][0]
            ratio = checkerboard_ratio(fused, [case["T2"][k], case["CT"][k]])
            rows.append(f"| {i} | {case.name} | {k + 1} | {ratio:.1f} |")
            crops.append((f"fold {i}, {case.name}: {ratio:.1f}", fused[96:160, 96:160]))
    command = "python scripts/fusion_checkerboard.py " + " ".join(argv)
    stem = args.out / f"harvard_fusion_checkerboard_{args.variant}"
    atomic_write_text(stem.with_suffix(".md"), f"# Two-pixel checkerboard of the cross-validated {args.variant} "
                      f"fusion networks\n\n`{command}`. Fused power at the two-pixel frequencies over the larger "
                      "source's, middle slice of each test case (1: no more than a source has).\n\n"
                      "| fold | case | slice | ratio |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")
    fig, axes = plt.subplots(1, len(crops), figsize=(2.2 * len(crops), 2.6), squeeze=False)
    for ax, (title, crop) in zip(axes[0], crops):
        ax.imshow(crop, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=6)
        ax.axis("off")
    fig.suptitle(f"{args.variant} fusion, centre 64 x 64 pixels of each test case (no interpolation)", fontsize=8)
    fig.savefig(stem.with_suffix(".png"), dpi=120, bbox_inches="tight")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
