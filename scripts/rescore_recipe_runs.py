"""Re-score notebook 10's measured full runs on the validation subjects, where a shipped network allows.

    python scripts/rescore_recipe_runs.py [--file results/tutorial_cpu/recipe_curves.json] [--dry-run]

The full runs of ``results/tutorial_cpu/recipe_curves.json`` were scored on the test subjects of
``phantom_splits("tutorial")`` and kept no checkpoint. A run trained with the settings a shipped network
(:mod:`ivan_core.store`) was trained with is that network: it is loaded (inference only, one
thread) and scored on the validation subjects with :func:`~ivan_core.tutorial.recipe.score_probe`; the
test subjects are dropped before anything is loaded (:func:`~ivan_core.tutorial.recipe.recipe_splits`).

A shipped network matches a run when its card's model key equals the run's
(:func:`~ivan_core.core.training.cache_key.model_key`).

Each row keeps its test numbers as ``test_psnr`` / ``test_ssim`` and gets ``val_psnr`` / ``val_ssim``,
``val_network`` (the card) and ``val_match``, or ``val_note`` saying why it could not be re-scored. The
curves (no checkpoints either) and the reference lines are labelled as scored on the test subjects.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from ivan_core.core.io import write_json
from ivan_core.core.tasks import get_task
from ivan_core.core.training.cache_key import model_key
from ivan_core.store import WEIGHTS, card_for_key, load_card
from ivan_core.tutorial.experiment import Splits
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.recipe import recipe_splits, score_probe

#: The label of every number the study measured before recipe choices were scored on validation subjects.
TEST_LABEL = "test subjects (seed 0 split), before the validation protocol"
NOT_SHIPPED = "not re-scored: no shipped network was trained with these settings and the run kept no checkpoint"
def shipped_network(task: str, splits: Splits, overrides: dict[str, Any],
                    profile: str = "tutorial", folder: Path = WEIGHTS) -> tuple[dict | None, str]:
    """The card of the shipped network a run with ``overrides`` on ``splits`` (training and validation
    subjects only) would train, and how it matched (``""`` when none does). Never trains."""
    p = get_profile(profile)
    q = p.changed(**overrides)
    key = model_key(get_task(task), q.train, splits.train, splits.val, q.patch, None, q.model)
    card = card_for_key(key, folder)
    return (card, "exact model key") if card is not None else (None, "")


def rescore(measured: dict[str, Any], splits: Splits, folder: Path = WEIGHTS) -> dict[str, Any]:
    """``measured`` with its labels and every full run that a shipped network allows re-scored on ``splits.val``."""
    if splits.test:
        raise ValueError("re-scoring is on the validation subjects: pass splits without test subjects")
    out = {**measured, "scored_on": TEST_LABEL,
           "variants": {name: {**v, "scored_on": TEST_LABEL} for name, v in measured["variants"].items()},
           "full_run_references_scored_on": TEST_LABEL}
    rows = []
    for row in measured["full_runs"]:
        row = dict(row)
        row["test_psnr"], row["test_ssim"] = row.pop("psnr", row.get("test_psnr")), row.pop("ssim", row.get("test_ssim"))
        row["test_scored_on"] = TEST_LABEL
        for k in ("val_psnr", "val_ssim", "val_network", "val_match", "val_note"):
            row.pop(k, None)
        card, match = shipped_network(row["task"], splits, row["overrides"], folder=folder)
        if card is None:
            row["val_note"] = NOT_SHIPPED
        else:
            probe = score_probe(get_task(row["task"]), splits.val)(0, load_card(card).net)
            row.update(val_psnr=probe["val_psnr"], val_ssim=probe["val_ssim"], val_network=Path(card["path"]).stem,
                       val_match=match)
        rows.append(row)
        print(f"{row['task']:<11} {row['recipe']:<20} test {row['test_psnr']:.2f} dB  "
              + (f"val {row['val_psnr']:.2f} dB / {row['val_ssim']:.3f} ({row['val_network']})" if card else "val -"),
              flush=True)
    out["full_runs"] = rows
    out["validation_rescoring"] = (
        f"full runs with val_psnr / val_ssim: the shipped network trained with the run's settings (val_network, "
        f"val_match), scored on the validation subjects {[s.name for s in splits.val]} by "
        "scripts/rescore_recipe_runs.py; test_psnr / test_ssim are the numbers measured on the test subjects "
        "during the study.")
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=Path(__file__).resolve().parents[1] / "results" / "tutorial_cpu"
                        / "recipe_curves.json")
    parser.add_argument("--dry-run", action="store_true", help="print the scores, write nothing")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    measured = json.loads(args.file.read_text())
    out = rescore(measured, recipe_splits("tutorial", progress=False))
    if not args.dry_run:
        write_json(args.file, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
