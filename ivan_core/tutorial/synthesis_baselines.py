"""pix2pix, CycleGAN and Hi-Net (the paper's Table I) trained with iVAN's budget, cached and shipped like the U-Net.

>>> splits = phantom_splits("tutorial")                                     # doctest: +SKIP
>>> model = fit_baseline("Hi-Net", "t1pd_to_t2", splits, "tutorial", "runs/x/models")  # doctest: +SKIP
>>> model.predict(splits.test[0])["T2"].shape                               # doctest: +SKIP

:func:`fit_baseline` mirrors :func:`ivan_core.tutorial.experiment.fit_unet`: the profile's
:class:`~ivan_core.core.training.TrainConfig` (with overrides), a cache key holding only the settings the
method reads (:data:`ivan_core.baselines.synthesis.gans.FIT_SETTINGS`) and its
:meth:`~ivan_core.baselines.synthesis.gans.AdversarialBaseline.describe`, and a folder
``<models_root>/<name>-<task>-<hash>/`` with :data:`FILENAME` and ``key.json``. A shipped model is
a card of ``kind == "gan"`` in :mod:`ivan_core.store` (:func:`load_card_baseline`, written by
:func:`export_baseline`).
"""

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

#: The file of a trained model in its folder. Not ``model.pt``: :func:`ivan_core.tutorial.ship.export_all`
#: takes every folder with ``key.json`` and ``model.pt`` for an iVAN run.
FILENAME = "gan.pt"
#: The ``kind`` of their cards in :mod:`ivan_core.store`.
KIND = "gan"
#: The method names, as in the paper's Table I.
NAMES = tuple(METHODS)


def baseline_key(name: str, task: Task | str, splits: Splits, profile: str | Profile, **overrides: Any
                 ) -> tuple[AdversarialBaseline, dict[str, Any]]:
    """The untrained model ``name`` for ``task`` under ``profile`` (with ``overrides``), and its cache key.

    The key is :func:`~ivan_core.core.training.cache_key.model_key` of the training subjects (no
    validation subjects: none is read) and the profile's crop, with ``config`` reduced to
    :data:`~ivan_core.baselines.synthesis.gans.FIT_SETTINGS` and ``model`` the model's ``describe()``.
    """
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
    """pix2pix, CycleGAN or Hi-Net trained with exactly iVAN's budget for ``profile``, or loaded.

    Parameters
    ----------
    name : {"pix2pix", "CycleGAN", "Hi-Net"}
    task : Task or str
    splits : Splits
        Trained on ``splits.train`` (the profile's crops and augmentation, as iVAN and the U-Net).
    profile : str or Profile
    models_root : str or Path, optional
        Cache folder: the model lives in :func:`baseline_dir` (with ``key.json``); a rerun with the
        same key loads it. None keeps nothing on disk.
    progress : bool
    pretrained : bool
        Use a model shipped in :mod:`ivan_core.store` when one was trained under exactly this
        key (:func:`load_card_baseline`); otherwise train (or load from ``models_root``).
    **overrides
        :class:`~ivan_core.core.training.TrainConfig` fields (only those in
        :data:`~ivan_core.baselines.synthesis.gans.FIT_SETTINGS` change the model).

    Returns
    -------
    AdversarialBaseline
        Trained, in eval mode, with ``steps``, ``seconds`` and ``history``.
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
    """The trained model of a ``kind == "gan"`` card of :mod:`ivan_core.store` (as
    :func:`~ivan_core.store.read_card` gives it, with ``path``), its file checked against the
    card's sha256; the analogue of :func:`ivan_core.store.load_card_unet`."""
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
    """Ship the model of a :func:`fit_baseline` folder: its file as it is, as ``<stem>.pt``, and a card
    ``<stem>.json`` in ``dest`` (default :data:`ivan_core.store.WEIGHTS`); returns the card.

    The analogue of ``ivan_core.tutorial.ship._export_unet``: ``kind`` :data:`KIND`, ``variant``
    the method's name, ``architecture`` its ``describe()``, and the test metrics of
    :func:`~ivan_core.tutorial.ship.phantom_test_metrics`.
    """
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
