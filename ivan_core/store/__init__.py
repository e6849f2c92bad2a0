"""The model store: a model key maps to a shipped card, a cached run folder or a new training, and a trained
model ships as weights-only ``<stem>.pt`` plus a ``<stem>.json`` card.

>>> from ivan_core.store import available, load_pretrained
>>> net = load_pretrained("t1pd_to_t2", profile="tutorial")   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from ivan_core.core.io import sha256, write_json
from ivan_core.core.model import IVAN
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import get_task
from ivan_core.core.training.cache_key import key_hash
from ivan_core.store.cards import (
    WEIGHTS,
    PretrainedMismatchError,
    available,
    card_for_key,
    checked_path,
    find_card,
    key_differences,
    read_card,
)
from ivan_core.store.models import BaselineModel, IvanModel, Storable, model_for

__all__ = ["obtain", "ship", "load_card", "load_pretrained", "run_folder", "Storable", "IvanModel", "BaselineModel",
           "model_for", "WEIGHTS", "PretrainedMismatchError", "available", "card_for_key", "checked_path", "find_card",
           "key_differences", "read_card"]


def run_folder(models_root: str | Path, model: Storable, key: dict[str, Any]) -> Path:
    """``<models_root>/<model.folder_name(key)>``: where a model trained under ``key`` is kept."""
    return Path(models_root) / model.folder_name(key)


def obtain(model: Storable, train: Sequence[Subject], val: Sequence[Subject] = (),
           models_root: str | Path | None = None, pretrained: bool = False, progress: bool = True,
           folder: str | Path | None = None) -> Storable:
    """``model`` trained on ``train`` (validated on ``val``): shipped, cached or trained now, in that order.

    With ``pretrained`` a shipped card trained under exactly ``model.key(train, val)`` is loaded (its
    ``source`` set to the card's weights). Otherwise the run lives in :func:`run_folder` under
    ``models_root`` (or in ``folder``): a finished run is loaded, an unfinished one resumes where the
    model can, and its ``key.json`` is (re)written, which marks it used. ``models_root=None`` keeps nothing.
    """
    key = model.key(train, val)
    model.source = None
    if pretrained:
        card = card_for_key(key)
        if card is not None:
            return _from_card(model, card)
    out = Path(folder) if folder is not None else None if models_root is None else run_folder(models_root, model, key)
    if out is not None:
        write_json(out / "key.json", key)
        if (out / model.filename).is_file():
            return model.load(out / model.filename)
    model.fit(train, val, out, progress)
    if out is not None and not (out / model.filename).is_file():
        model.save(out / model.filename)
    return model


def _from_card(model: Storable, card: dict[str, Any]) -> Storable:
    model.load(checked_path(card))
    if isinstance(model, IvanModel):  # weights-only: the run's record comes from the card
        model.set_blocks(card.get("training_inputs", {}))
        model.history = list(card.get("history", []))
        model.steps, model.seconds = int(card["steps"]), float(card["seconds"])
    model.source = card["path"]
    return model


def load_card(card: dict[str, Any]) -> Storable:
    """The trained model of a card (any kind), its weights checked against the card's sha256."""
    return _from_card(model_for(card.get("kind", "ivan"), card["task"]["name"], card["architecture"]), card)


def ship(model: Storable, key: dict[str, Any], dest: str | Path, profile: str, variant: str,
         command: str, test_metrics: dict[str, Any] | None = None, extra: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    """Write ``model``'s weights as ``<dest>/<stem>.pt`` and its card ``<stem>.json``; returns the card.

    The stem is ``<profile>--<task>--<variant>--<key hash>``; ``extra`` adds card fields (e.g. ``intensity_scaling``).
    """
    stem = re.sub(r"[^A-Za-z0-9=.,+-]+", "_", f"{profile}--{model.task.name}--{variant}--{key_hash(key)[:8]}").strip("_")
    dest = Path(dest)
    weights = model.save(dest / f"{stem}.pt")
    data = {"train": [n for n, _ in key["train"]], "patch": key["patch"], "training_seed": key["config"]["seed"],
            "identified_by": "subject names and fingerprints (Subject.fingerprint) in key.train / key.val"}
    if key.get("val"):
        data["val"] = [n for n, _ in key["val"]]
    card = {"kind": model.kind, "name": model.task.name, "variant": variant, "profile": profile, "task": key["task"],
            "architecture": model.describe(), "train_config": key["config"], "data": data,
            "epochs": len(model.history), "steps": model.steps, "seconds": model.seconds, "test_metrics": test_metrics,
            "sha256": sha256(weights), "key_sha": key_hash(key), "key": key, "command": command, **(extra or {}),
            "history": model.history}
    write_json(dest / f"{stem}.json", card)
    return card


def load_pretrained(name: str, profile: str = "tutorial", variant: str = "default",
                    key: dict[str, Any] | None = None, device: str | torch.device = "cpu",
                    folder: str | Path | None = None) -> IVAN:
    """A shipped, trained :class:`~ivan_core.core.model.IVAN` in eval mode.

    Parameters
    ----------
    name : str
        The task name, e.g. ``"t1pd_to_t2"``.
    profile, variant : str
        As :func:`available` lists them.
    key : dict, optional
        The :func:`~ivan_core.core.training.cache_key.model_key` you would train under; the card's must equal it.

    Raises
    ------
    KeyError
        Nothing shipped under that name, profile and variant.
    PretrainedMismatchError
        The card holds no iVAN, its task layouts or key differ (every difference listed), or the sha256 check fails.
    """
    card = find_card(name, profile, variant, folder)
    if card.get("kind", "ivan") != "ivan":
        raise PretrainedMismatchError(f"card {name!r} ({variant}) holds a {card['kind']}, not an iVAN network; "
                                      "use ivan_core.store.load_card")
    task = get_task(card["task"]["name"])
    if [list(task.x_layout), list(task.y_layout)] != [card["task"]["x"], card["task"]["y"]]:
        raise PretrainedMismatchError(f"card {name!r} was trained for layouts {card['task']['x']} -> "
                                      f"{card['task']['y']}, but task {task.name!r} is now {task.x_layout} -> "
                                      f"{task.y_layout}; rebuild the weights")
    if key is not None and key_hash(key) != card["key_sha"]:
        raise PretrainedMismatchError(f"shipped {name!r} ({profile}, {variant}) was trained under another key: "
                                      + "; ".join(key_differences(card["key"], key)))
    return load_card(card).net.to(device).eval()
