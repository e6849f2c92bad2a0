"""The two-pixel checkerboard of shipped networks, each scored on data its training never saw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ivan_core.core.grid import block_size
from ivan_core.core.subject import Subject
from ivan_core.data import load_aanlib
from ivan_core.metrics import checkerboard_ratio, nyquist_share
from ivan_core.store import load_card
from ivan_core.tutorial.colour_fusion import LUMA, with_luma
from ivan_core.tutorial.experiment import phantom_splits

#: The atlas pair a task's atlas networks are trained on.
ATLAS_PAIR = {"t1_to_pet": "PET-MRI", "t2ct_fusion": "CT-MRI", "t2_to_spect": "SPECT-MRI",
              "t2spect_fusion": "SPECT-MRI"}


def held_out(card: dict[str, Any], atlas: Path | None, phantom: dict[str, list[Subject]] | None = None
             ) -> tuple[list[Subject], str]:
    """The subjects to score a card's network on, and what they are in words.

    Phantom networks get the profile's fresh test subjects (cached in ``phantom`` by profile); atlas networks the
    cases of their pair in neither their training nor validation list, or every case, so labelled, where they saw
    all. Without ``atlas`` an atlas network gets no subjects.
    """
    phantom = {} if phantom is None else phantom
    if all(name.startswith("phantom-") for name in card["data"]["train"]):
        if card["profile"] not in phantom:
            phantom[card["profile"]] = phantom_splits(card["profile"], progress=False).test
        return phantom[card["profile"]], "fresh phantom test subjects"
    if atlas is None:
        return [], "atlas pairs not found"
    seen = set(card["data"]["train"]) | set(card["data"].get("val", []))
    cases = load_aanlib(atlas, ATLAS_PAIR[card["name"]])
    if LUMA in card["task"]["x"]:
        cases = with_luma(cases)
    unseen = [c for c in cases if c.name not in seen]
    if unseen:
        return unseen, "held-out atlas cases " + ", ".join(c.name.rsplit("-", 1)[-1] for c in unseen)
    return cases, "all atlas cases (every one seen in training)"


def _middle(subject: Subject, slices: int | None) -> Subject:
    if slices is None or subject.n_slices <= slices:
        return subject
    start = (subject.n_slices - slices) // 2
    return subject.take(slice(start, start + slices))


def census(cards: list[dict[str, Any]], atlas: Path | None, slices: int | None = None,
           phantom: dict[str, list[Subject]] | None = None) -> list[dict[str, Any]]:
    """One row per card and output: the checkerboard ratio and shares over the held-out slices.

    ``ratio`` is :func:`~ivan_core.metrics.checkerboard_ratio` against the truth (synthesis) or the larger of the
    sources (fusion), on the references' own pixel grid (``grid``): where they are enlarged by pixel repetition
    (:func:`~ivan_core.core.grid.block_size`) and the prediction lies on the same blocks, one pixel of each block,
    else every pixel. ``share`` and ``reference_share`` are :func:`~ivan_core.metrics.nyquist_share` of the
    prediction and of that reference, on every pixel. ``slices`` keeps the middle ones of each subject.
    """
    rows, phantom = [], {} if phantom is None else phantom
    for card in cards:
        subjects, data = held_out(card, atlas, phantom)
        subjects = [_middle(s, slices) for s in subjects]
        if not subjects:
            continue
        model = load_card(card)
        predictions = [model.predict(s) for s in subjects]
        for output in predictions[0]:
            fused = output == "FUSED"
            predicted = np.concatenate([p[output] for p in predictions])
            names = tuple(dict.fromkeys(card["task"]["x"])) if fused else (output,)
            references = [np.concatenate([s[m] for s in subjects]) for m in names]
            b = min(block_size(references), block_size([predicted]))
            rows.append({"task": card["name"], "variant": card["variant"], "kind": card.get("kind", "ivan"),
                         "output": output, "reference": f"the larger source ({', '.join(names)})" if fused else "the truth",
                         "data": data, "slices": len(predicted),
                         "grid": "x".join(str(n // b) for n in predicted.shape[1:3]),
                         "ratio": checkerboard_ratio(predicted[:, ::b, ::b], [r[:, ::b, ::b] for r in references]),
                         "share": nyquist_share(predicted),
                         "reference_share": max(nyquist_share(r) for r in references)})
    return rows
