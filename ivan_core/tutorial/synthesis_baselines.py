"""pix2pix, CycleGAN and Hi-Net (the paper's Table I) trained with iVAN's budget, cached in
``<models_root>/<name>-<task>-<hash>/`` and shipped (cards of ``kind == "gan"``) like the U-Net."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ivan_core.baselines.synthesis.gans import FIT_SETTINGS, METHODS, AdversarialBaseline, from_describe, make_baseline
from ivan_core.core.io import atomic_write, write_json
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training.cache_key import key_hash, model_key
from ivan_core.tutorial.profiles import Profile, get_profile

if TYPE_CHECKING:  # experiment imports this module (baseline_predictors)
    from ivan_core.tutorial.experiment import Splits

#: The file of a trained model in its folder (not ``model.pt``, which marks an iVAN run).
FILENAME = "gan.pt"
#: The ``kind`` of their cards in :mod:`ivan_core.store`.
KIND = "gan"
#: The method names, as in the paper's Table I.
NAMES = tuple(METHODS)


def baseline_key(name: str, task: Task | str, splits: Splits, profile: str | Profile, **overrides: Any
                 ) -> tuple[AdversarialBaseline, dict[str, Any]]:
    """The untrained model ``name`` for ``task`` and its cache key: :func:`~ivan_core.core.training.cache_key.model_key`
    of the training subjects, ``config`` reduced to :data:`~ivan_core.baselines.synthesis.gans.FIT_SETTINGS`, plus ``model``."""
    p = get_profile(profile)
    task = get_task(task)
    config = p.train_config(**overrides)
    model = make_baseline(name, task, seed=config.seed)
    key = model_key(task, config, splits.train, [], p.patch)
    return model, {**key, "config": {k: key["config"][k] for k in FIT_SETTINGS}, "model": model.describe()}


def baseline_dir(models_root: str | Path, name: str, key: dict[str, Any]) -> Path:
    """``<models_root>/<name>-<task>-<hash of key>``."""
    return Path(models_root) / f"{name}-{key['task']['name']}-{key_hash(key)}"


def fit_baseline(name: str, task: Task | str, splits: Splits, profile: str | Profile, models_root: str | Path | None,
                 progress: bool = True, pretrained: bool = False, **overrides: Any) -> AdversarialBaseline:
    """pix2pix, CycleGAN or Hi-Net trained on ``splits.train`` with exactly iVAN's budget for ``profile``, or loaded.

    Cached in :func:`baseline_dir` under ``models_root`` (None keeps nothing); ``pretrained`` uses a shipped model
    trained under the same key; ``overrides`` are TrainConfig fields. Returns the model in eval mode with
    ``steps``, ``seconds`` and ``history``.
    """
    p = get_profile(profile)
    model, key = baseline_key(name, task, splits, p, **overrides)
    if pretrained:
        from ivan_core.store import card_for_key

        card = card_for_key(key)
        if card is not None:
            return load_card_baseline(card)
    path = None if models_root is None else baseline_dir(models_root, name, key) / FILENAME
    if path is not None and path.is_file():
        write_json(path.parent / "key.json", key)  # marks it used (export_all's used_since)
        return model.load(path)
    model.fit(splits.train, p.train_config(**overrides), p.patch, progress=progress)
    if path is not None:
        model.save(path)
        write_json(path.parent / "key.json", key)
    return model


def load_card_baseline(card: dict[str, Any], device: str | torch.device = "cpu") -> AdversarialBaseline:
    """The trained model of a ``kind == "gan"`` card, its file checked against the card's sha256
    (PretrainedMismatchError, or FileNotFoundError when missing)."""
    from ivan_core.store import PretrainedMismatchError, sha256

    if card.get("kind") != KIND:
        raise PretrainedMismatchError(f"card {card['name']!r} ({card['variant']}) holds no pix2pix, CycleGAN or Hi-Net "
                                      f"(kind {card.get('kind', 'ivan')!r})")
    path = Path(card["path"])
    if not path.is_file():
        raise FileNotFoundError(f"the card {card['name']!r} ({card['variant']}) names {path}, which is missing; "
                                "reinstall ivan_core or rebuild the weights with `python -m ivan_core pretrain`")
    if sha256(path) != card["sha256"]:
        raise PretrainedMismatchError(f"{path} does not match its card's sha256; the file is damaged or was replaced: "
                                      "rebuild it with `python -m ivan_core pretrain`")
    model = from_describe(card["task"]["name"], card["architecture"]).load(path)
    model.generators.to(device)
    model.discriminators.to(device)
    return model


def export_baseline(folder: str | Path, profile: str, dest: str | Path | None = None,
                    command: str | None = None) -> dict[str, Any]:
    """Ship a :func:`fit_baseline` folder as ``<stem>.pt`` plus card ``<stem>.json`` in ``dest``; returns the card."""
    from ivan_core.store import WEIGHTS, sha256
    from ivan_core.tutorial.ship import COMMAND, phantom_test_metrics

    folder, dest = Path(folder), Path(WEIGHTS if dest is None else dest)
    key = json.loads((folder / "key.json").read_text())
    task = get_task(key["task"]["name"])
    model = from_describe(task, key["model"]).load(folder / FILENAME)
    name = model.name
    stem = re.sub(r"[^A-Za-z0-9=.,+-]+", "_", f"{profile}--{task.name}--{name}--{key_hash(key)[:8]}").strip("_")
    weights = dest / f"{stem}.pt"
    dest.mkdir(parents=True, exist_ok=True)
    atomic_write(weights, lambda fh: fh.write((folder / FILENAME).read_bytes()))
    card = {"kind": KIND, "name": task.name, "variant": name, "profile": get_profile(profile).name,
            "task": key["task"], "architecture": key["model"], "train_config": key["config"],
            "data": {"train": [n for n, _ in key["train"]], "patch": key["patch"], "training_seed": key["config"]["seed"],
                     "identified_by": "subject names and fingerprints (Subject.fingerprint) in key.train"},
            "steps": model.steps, "seconds": model.seconds, "parameters": model.n_parameters(),
            "test_metrics": phantom_test_metrics(model.predict, key, profile),
            "sha256": sha256(weights), "key_sha": key_hash(key), "key": key,
            "command": command or COMMAND.format(profile=profile), "history": model.history}
    write_json(dest / f"{stem}.json", card)
    return card
