"""Turn trained model folders into shipped weights with cards (``python -m ivan_core pretrain``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ivan_core.store import WEIGHTS, Storable, model_for, ship
from ivan_core.tutorial.profiles import get_profile

#: The command that rebuilds every shipped network of a profile.
COMMAND = "python -m ivan_core pretrain --profile {profile}"


def variant_name(key: dict[str, Any], profile: str) -> str:
    """What sets this network apart from the profile's own: ``"default"``, or e.g. ``"norm=l1"``.

    Fusion networks are compared against the profile's fusion recipe, so their name is their loss.
    """
    own = get_profile(profile).settings()
    if key.get("forward_loss"):
        from ivan_core.tutorial.fusion_study import fusion_profile

        own = fusion_profile(profile).settings()
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


#: The finished file of a run folder, by the kind of model it holds.
RUN_FILES = {"model.pt": "ivan", "unet.pt": "unet", "gan.pt": "gan"}


def run_model(folder: str | Path) -> tuple[Storable, dict[str, Any]]:
    """The trained model of a run folder (:func:`ivan_core.store.obtain`) and its key; FileNotFoundError for an
    unfinished folder."""
    folder = Path(folder)
    found = [name for name in RUN_FILES if (folder / name).is_file()]
    needed = ["key.json", *(["history.json"] if found == ["model.pt"] else [])]
    missing = [name for name in needed if not (folder / name).is_file()]
    if not found or missing:
        raise FileNotFoundError(f"{folder} lacks {missing or ' or '.join(RUN_FILES)}; train it to the end first "
                                "(ivan_core.tutorial.experiment.fit or fit_baseline)")
    key = json.loads((folder / "key.json").read_text())
    model = model_for(RUN_FILES[found[0]], key["task"]["name"], key.get("model") or key["config"])
    return model.load(folder / found[0]), key


def export_model(folder: str | Path, profile: str, dest: str | Path = WEIGHTS, command: str | None = None,
                 variant: str | None = None, card_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ship a run folder's trained model (:func:`ivan_core.store.ship`) with its phantom test metrics; ``variant``
    defaults to :func:`variant_name` for iVAN and to the method name for a baseline. Returns the card."""
    folder = Path(folder)
    model, key = run_model(folder)
    extra = {"intensity_scaling": _scaling(folder)} if model.kind == "ivan" else {}
    if (folder / "inputs.json").is_file():  # what the training inputs looked like: the CLI warns on unlike scans
        extra["training_inputs"] = json.loads((folder / "inputs.json").read_text())
    if variant is None:
        variant = variant_name(key, profile) if model.kind == "ivan" else model.name
    return ship(model, key, dest, get_profile(profile).name, variant, command or COMMAND.format(profile=profile),
                phantom_test_metrics(model.predict, key, profile), {**extra, **(card_extra or {})})


def _scaling(folder: Path) -> dict[str, Any]:
    """The training intensities stored beside the model; FileNotFoundError if missing."""
    path = folder / "scaling.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; it is written when a run starts, so this folder predates it: "
                                "delete the folder and train the run again with ivan_core.tutorial.experiment.fit")
    return json.loads(path.read_text())


def export_all(models_root: str | Path, profile: str, dest: str | Path = WEIGHTS,
               used_since: float | None = None) -> list[dict[str, Any]]:
    """Export every finished model folder below ``models_root`` (:func:`export_model`).

    ``used_since`` (a :func:`time.time` stamp) keeps only folders whose ``key.json`` was written since;
    folders below a ``*-cv`` folder are skipped.
    """
    files = tuple(RUN_FILES)
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
