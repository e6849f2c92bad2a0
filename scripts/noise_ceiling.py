"""The noise ceiling of phantom synthesis: the best PSNR / SSIM any method can reach on each target.

    python scripts/noise_ceiling.py      # results/tutorial_cpu/noise_ceiling.json

For every synthesis target of the tasks in :data:`~ivan_core.tutorial.comparison.SYNTHESIS_TASKS`
(T2, PD, PET_rgb), scores each subject's noise-free images (:func:`ivan_core.data.noise_free`) against
its own noisy ones, inside the head and over the whole image, as the synthesis tables score (the
regions of :func:`ivan_core.evaluation.score`):

* ``ceiling``: the mean of each noisy image given the noise-free signal (``mean=True``), the best
  prediction in the mean-squared sense: the noise ceiling the tables and plots show;
* ``noise_free_signal``: the noise-free signal itself (``mean=False``); for MR it lacks the Rician
  noise floor of the background, so methods beat it over the whole image: not a ceiling.

Test subjects are those of the final tables, validation subjects those notebook 10's curves score.
Values are means and standard deviations (ddof 0) over subjects, with each subject's value.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ivan_core.core.io import write_json
from ivan_core.core.tasks import get_task
from ivan_core.data import noise_free
from ivan_core.evaluation import score
from ivan_core.tutorial.comparison import SYNTHESIS_TASKS
from ivan_core.tutorial.experiment import phantom_splits

ROOT = Path(__file__).resolve().parents[1]


def summary(rows: list[dict]) -> dict:
    """``{modality: {region: {metric: {"mean", "std", "subjects": {name: value}}}}}`` of score rows."""
    out: dict = {}
    for r in rows:
        for metric in ("psnr", "ssim"):
            cell = out.setdefault(r["modality"], {}).setdefault(r["region"], {}).setdefault(metric, {"subjects": {}})
            cell["subjects"][r["subject"]] = round(r[metric], 4)
    for regions in out.values():
        for metrics in regions.values():
            for cell in metrics.values():
                values = np.array(list(cell["subjects"].values()))
                cell["mean"], cell["std"] = round(float(values.mean()), 4), round(float(values.std()), 4)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="tutorial")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "tutorial_cpu" / "noise_ceiling.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    tasks = {name: list(dict.fromkeys(get_task(name).outputs)) for name in SYNTHESIS_TASKS}
    targets = list(dict.fromkeys(m for outputs in tasks.values() for m in outputs))
    splits = phantom_splits(args.profile, progress=False)
    result: dict = {"profile": args.profile, "targets": targets, "tasks": tasks, "regions": ["head", "full"],
                    "subjects": {}, "ceiling": {}, "noise_free_signal": {}}
    for part in ("test", "val"):
        subjects = getattr(splits, part)
        result["subjects"][part] = [s.name for s in subjects]
        for key, mean in (("ceiling", True), ("noise_free_signal", False)):
            rows = [r for s in subjects for r in score(s, noise_free(s, mean=mean).images, targets)]
            result[key][part] = summary(rows)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    write_json(args.out, result)
    for part in ("test", "val"):
        for m in targets:
            cells = [f"{region} {result['ceiling'][part][m][region]['psnr']['mean']:.2f} dB / "
                     f"{result['ceiling'][part][m][region]['ssim']['mean']:.3f}" for region in ("head", "full")]
            print(f"{part:4s} {m:8s} ceiling: {', '.join(cells)}")
    print(f"wrote {args.out} in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
