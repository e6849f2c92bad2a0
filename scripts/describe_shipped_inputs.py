"""Add ``training_inputs`` (:func:`ivan_core.data.familiarity.describe_inputs`) to shipped iVAN cards that lack it
(or its ``activity``, where a card was described before that existed), and measure how far apart the data sources
are (the warning threshold's calibration).

    python scripts/describe_shipped_inputs.py
    python scripts/describe_shipped_inputs.py --calibrate results/tutorial_cpu/familiarity.md

New cards get it when they are shipped; this fills in the cards shipped before. Each card's training subjects are
rebuilt by name (the profile's phantom, or the Harvard cases) and, where the card's key holds their fingerprints
over the task's modalities, checked to be the same data; a card whose subjects cannot be rebuilt is left as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.core.tasks import get_task
from ivan_core.data import load_aanlib
from ivan_core.data.activity import COLOUR_SCALES
from ivan_core.data.familiarity import HISTOGRAM_LIMIT, describe_inputs, histogram, histogram_distance
from ivan_core.data.scaling import match_reference, to_unit
from ivan_core.store import WEIGHTS
from ivan_core.tutorial.experiment import phantom_splits


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calibrate", type=Path, default=None, help="write the distance table here (markdown)")
    args = parser.parse_args(argv)
    describe_cards()
    if args.calibrate:
        calibrate(args.calibrate)
    return 0


def _complete(card: dict) -> bool:
    """Whether the card's ``training_inputs`` holds everything :func:`describe_inputs` gives now (the ``activity`` of
    colour-mapped modalities came later than the rest)."""
    if "training_inputs" not in card:
        return False
    mapped = [m for m in get_task(card["task"]["name"]).modalities if m in COLOUR_SCALES]
    return all(m in card["training_inputs"].get("activity", {}) for m in mapped)


def describe_cards() -> None:
    """Fill in ``training_inputs`` of every shipped iVAN card that lacks it, and the ``activity`` of cards described
    before it existed (the rest of their description is kept as it is)."""
    pool: dict[str, object] = {}
    for path in sorted(WEIGHTS.glob("*.json")):
        card = json.loads(path.read_text())
        if card.get("kind", "ivan") != "ivan" or _complete(card):
            continue
        names = card["data"]["train"]
        for name in names:
            if name not in pool:
                pool.update(_subjects_named(name, card["profile"]))
        subjects = [pool[n] for n in names if n in pool]
        if len(subjects) != len(names):
            print(f"skipped {path.name}: cannot rebuild {sorted(set(names) - set(pool))}")
            continue
        task = get_task(card["task"]["name"])
        stored = dict(card["key"].get("train", []))
        if all(m in s.images for s in subjects for m in task.modalities):
            changed = [s.name for s in subjects if stored.get(s.name) != s.fingerprint(task.modalities)]
            if changed:
                print(f"skipped {path.name}: {changed} are not the data it was trained on")
                continue
        fresh = describe_inputs(subjects, task.modalities)
        described = ({**card["training_inputs"], "activity": fresh["activity"]} if "training_inputs" in card
                     else fresh)
        write_json(path, {**card, "training_inputs": described})
        print(f"described {path.name}")


def calibrate(out: Path) -> None:
    """The mean histogram distance (over a task's inputs) of each data source's subjects to each shipped network's
    training data, scaled as ``ivan synthesise`` scales them: the table :data:`HISTOGRAM_LIMIT` was set from."""
    sources = {"phantom (fresh test subjects)": list(phantom_splits("tutorial", progress=False).test)}
    for pair in ("CT-MRI", "PET-MRI"):
        try:
            sources[f"Harvard {pair}"] = load_aanlib(pair=pair)
        except FileNotFoundError:
            print(f"Harvard {pair} not found; left out")
    rows = []
    for path in sorted(WEIGHTS.glob("*.json")):
        card = json.loads(path.read_text())
        if "training_inputs" not in card:
            continue
        task, trained = get_task(card["task"]["name"]), card["training_inputs"]["histogram"]
        reference = card["intensity_scaling"]["reference"]
        for source, subjects in sources.items():
            if not all(m in s.images for s in subjects for m in task.inputs):
                continue
            means = [np.mean([histogram_distance(histogram(match_reference(s.images[m], reference[m])
                                                           if m in reference else to_unit(s.images[m])), trained[m])
                              for m in task.inputs]) for s in subjects]
            own = sum(s.name in card["data"]["train"] for s in subjects)
            rows.append(f"| {card['name']} / {card['variant']} | {source} | {len(subjects)} ({own} trained on) | "
                        f"{min(means):.2f} | {np.median(means):.2f} | {max(means):.2f} | "
                        f"{sum(m > HISTOGRAM_LIMIT for m in means)} |")
    atomic_write_text(out, "# How unlike each data source is to each shipped network's training data\n\n"
                      "Mean over the task's inputs of the histogram distance (half the L1 distance of 20-bin "
                      "histograms of the voxels above the minimum, 0 same, 1 disjoint) per subject, after the "
                      "network's own scaling (`python scripts/describe_shipped_inputs.py --calibrate " + str(out)
                      + "`). `ivan` warns above " + f"{HISTOGRAM_LIMIT}.\n\n"
                      "| network | source | subjects | min | median | max | warned |\n"
                      "| --- | --- | --- | --- | --- | --- | --- |\n"
                      + "\n".join(rows) + "\n")
    print(f"wrote {out}")


def _subjects_named(name: str, profile: str) -> dict[str, object]:
    """Every subject of the source ``name`` comes from (the profile's phantom split, or one Harvard pair)."""
    if name.startswith("aanlib-"):
        pair = "-".join(name.split("-")[1:3])
        return {s.name: s for s in load_aanlib(pair=pair)}
    splits = phantom_splits(profile, progress=False)
    return {s.name: s for s in (*splits.train, *splits.val)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
