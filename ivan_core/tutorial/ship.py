"""Turn trained model folders into shipped weights with cards (``python -m ivan_core pretrain``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ivan_core.core.inference import synthesise
from ivan_core.core.io import atomic_write, write_json
from ivan_core.core.training.cache_key import key_hash
from ivan_core.core.training.checkpoint import atomic_save, load_model
from ivan_core.store import WEIGHTS, sha256
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.synthesis_baselines import FILENAME as BASELINE_FILE
from ivan_core.tutorial.synthesis_baselines import export_baseline

#: The command that rebuilds every shipped network of a profile.
COMMAND = "python -m ivan_core pretrain --profile {profile}"


def variant_name(key: dict[str, Any], profile: str) -> str:
    """What sets this network apart from the profile's own: ``"default"``, or e.g. ``"norm=l1"``.

    Fusion networks are compared against the profile's fusion recipe, so their name is their loss.
    """
    own = get_profile(profile).train_config().__dict__
    if key.get("forward_loss"):
        from ivan_core.tutorial.fusion_study import fusion_overrides

        own = get_profile(profile).train_config(**fusion_overrides(profile), inverse_from="repacked").__dict__
    parts = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
             for k, v in sorted(key["config"].items()) if k in own and own[k] != v]
    if key.get("forward_loss"):
        loss = dict(key["forward_loss"])
        name = loss.pop("name")
        parts.append(f"{name}({','.join(f'{k}={v:g}' if isinstance(v, float) else f'{k}={v}' for k, v in sorted(loss.items()))})")
    sources = sorted({name.split("-")[0] for name, _ in key["train"]})
    if sources != ["phantom"]:
        parts.append("+".join(sources))
    return " ".join(parts) or "default"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9=.,+-]+", "_", text).strip("_")


def phantom_test_metrics(predict, key: dict[str, Any], profile: str, seed: int = 0) -> dict[str, float] | None:
    """Mean head PSNR / SSIM / NMSE of ``predict`` over the phantom test subjects of ``profile``.

    None unless the key is a synthesis model trained on exactly that split's training subjects.
    """
    from ivan_core.core.tasks import get_task
    from ivan_core.evaluation import score
    from ivan_core.tutorial.experiment import phantom_splits

    if key.get("forward_loss") or not all(name.startswith("phantom-") for name, _ in key["train"]):
        return None
    task = get_task(key["task"]["name"])
    splits = phantom_splits(profile, seed=seed, progress=False)
    if [[s.name, s.fingerprint(task.modalities)] for s in splits.train] != key["train"]:
        return None
    rows = [r for s in splits.test for r in score(s, predict(s), task.outputs, regions=("head",))]
    return {"psnr_head": float(np.mean([r["psnr"] for r in rows])),
            "ssim_head": float(np.mean([r["ssim"] for r in rows])),
            "nmse_head": float(np.mean([r["nmse"] for r in rows])),
            "test_subjects": [s.name for s in splits.test], "phantom_seed": seed}


def export_model(folder: str | Path, profile: str, dest: str | Path = WEIGHTS,
                 command: str | None = None, variant: str | None = None,
                 card_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``folder``'s trained network as ``<stem>.pt`` (state dict) and card ``<stem>.json`` in ``dest``.

    ``variant`` names it (default :func:`variant_name`); ``card_extra`` adds card fields. U-Net and GAN folders
    are shipped as their kind. Raises FileNotFoundError for an unfinished folder. Returns the card.
    """
    folder, dest = Path(folder), Path(dest)
    if (folder / "unet.pt").is_file():
        return _export_unet(folder, profile, dest, command)
    if (folder / BASELINE_FILE).is_file():
        return export_baseline(folder, profile, dest, command)
    for needed in ("key.json", "model.pt", "history.json"):
        if not (folder / needed).is_file():
            raise FileNotFoundError(f"{folder} lacks {needed}; train it to the end with ivan_core.tutorial.experiment.fit")
    key = json.loads((folder / "key.json").read_text())
    history = json.loads((folder / "history.json").read_text())
    net, task, _ = load_model(folder / "model.pt")
    variant = variant or variant_name(key, profile)
    stem = _slug(f"{profile}--{task.name}--{variant}--{key_hash(key)[:8]}")  # the key tells same-named models apart
    weights = atomic_save({k: v.detach().cpu() for k, v in net.state_dict().items()}, dest / f"{stem}.pt")
    config = key["config"]
    card = {
        "kind": "ivan", "name": task.name, "variant": variant, "profile": get_profile(profile).name,
        "task": key["task"], "architecture": dict(net.config), "train_config": config,
        "data": {"train": [n for n, _ in key["train"]], "val": [n for n, _ in key["val"]],
                 "patch": key["patch"], "training_seed": config["seed"],
                 "identified_by": "subject names and fingerprints (Subject.fingerprint) in key.train / key.val"},
        "epochs": len(history), "steps": int(sum(row["steps"] for row in history)),
        "seconds": float(sum(row["seconds"] for row in history)),
        "test_metrics": phantom_test_metrics(lambda s: synthesise(net, task, s), key, profile),
        "intensity_scaling": _scaling(folder),
        "sha256": sha256(weights), "key_sha": key_hash(key), "key": key,
        "command": command or COMMAND.format(profile=profile), **(card_extra or {}), "history": history,
    }
    write_json(dest / f"{stem}.json", card)
    return card


def _scaling(folder: Path) -> dict[str, Any]:
    """The training intensities stored beside the model; FileNotFoundError if missing."""
    path = folder / "scaling.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; call ivan_core.tutorial.experiment.fit on this run again "
                                "(it returns at once for a finished run) to write it")
    return json.loads(path.read_text())


def _export_unet(folder: Path, profile: str, dest: Path, command: str | None) -> dict[str, Any]:
    """Ship a U-Net baseline of :func:`ivan_core.tutorial.experiment.fit_unet` (its file as it is)."""
    from ivan_core.baselines.synthesis.unet import UNetBaseline
    from ivan_core.core.tasks import get_task

    key = json.loads((folder / "key.json").read_text())
    task = get_task(key["task"]["name"])
    arch = key["model"]
    unet = UNetBaseline(task, arch["features"], tuple(arch["norm"]) if isinstance(arch["norm"], list) else arch["norm"])
    unet.load(folder / "unet.pt")
    stem = _slug(f"{profile}--{task.name}--U-Net--{key_hash(key)[:8]}")
    weights = dest / f"{stem}.pt"
    dest.mkdir(parents=True, exist_ok=True)
    atomic_write(weights, lambda fh: fh.write((folder / "unet.pt").read_bytes()))
    card = {"kind": "unet", "name": task.name, "variant": "U-Net", "profile": get_profile(profile).name,
            "task": key["task"], "architecture": arch, "train_config": key["config"],
            "data": {"train": [n for n, _ in key["train"]], "patch": key["patch"], "training_seed": key["config"]["seed"],
                     "identified_by": "subject names and fingerprints (Subject.fingerprint) in key.train"},
            "steps": unet.steps, "seconds": unet.seconds,
            "test_metrics": phantom_test_metrics(unet.predict, key, profile),
            "sha256": sha256(weights), "key_sha": key_hash(key), "key": key,
            "command": command or COMMAND.format(profile=profile), "history": []}
    write_json(dest / f"{stem}.json", card)
    return card


def export_all(models_root: str | Path, profile: str, dest: str | Path = WEIGHTS,
               used_since: float | None = None) -> list[dict[str, Any]]:
    """Export every finished model folder below ``models_root`` (:func:`export_model`).

    ``used_since`` (a :func:`time.time` stamp) keeps only folders whose ``key.json`` was written since;
    folders below a ``*-cv`` folder are skipped.
    """
    files = ("model.pt", "unet.pt", BASELINE_FILE)
    root = Path(models_root)
    folders: Sequence[Path] = sorted(p.parent for p in root.rglob("key.json")
                                     if any((p.parent / f).is_file() for f in files)
                                     and not any(part.endswith("-cv") for part in p.relative_to(root).parts)
                                     and (used_since is None or p.stat().st_mtime >= used_since))
    return [export_model(f, profile, dest) for f in folders]


def prune(dest: str | Path, profile: str, keep: Sequence[dict[str, Any]]) -> list[Path]:
    """Delete ``profile``'s cards (and weights) in ``dest`` that are not in ``keep``; returns the deleted paths.

    Cards match by name, variant and sha256. Cards trained on non-phantom data (unless replaced by name and
    variant) and cards with ``kept_for`` stay.
    """
    def identity(card: dict[str, Any]) -> tuple[str, str, str]:
        return card["name"], card["variant"], card["sha256"]

    kept = {identity(card) for card in keep}
    replaced = {(card["name"], card["variant"]) for card in keep}
    gone = []
    for card_path in sorted(Path(dest).glob(f"{profile}--*.json")):
        card = json.loads(card_path.read_text())
        own_data = not all(name.startswith("phantom-") for name in card["data"]["train"])
        if identity(card) in kept or card.get("kept_for") or (own_data and (card["name"], card["variant"]) not in replaced):
            continue
        for path in (card_path, card_path.with_suffix(".pt")):
            if path.is_file():
                path.unlink()
                gone.append(path)
    return gone
