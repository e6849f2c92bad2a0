"""The training-recipe study: validation quality against training steps and time, one change at a time.
Recipe choices are scored on ``splits.val`` only; splits with test subjects raise ValueError."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ivan_core.core.inference import synthesise
from ivan_core.core.model import IVAN
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training import train
from ivan_core.core.training.pairs import TaskDataset
from ivan_core.evaluation import score
from ivan_core.tutorial.experiment import Splits, fit, phantom_splits
from ivan_core.tutorial.profiles import Profile, get_profile

#: What a point or run scored here was scored on (its ``scored_on``).
VALIDATION = "validation subjects"


def validation_splits(splits: Splits) -> Splits:
    """``splits`` without its test subjects: what the recipe functions take."""
    return Splits(list(splits.train), list(splits.val), [])


def recipe_splits(profile: str | Profile, seed: int = 0, progress: bool = True) -> Splits:
    """:func:`~ivan_core.tutorial.experiment.phantom_splits` without its test part."""
    return validation_splits(phantom_splits(profile, seed=seed, progress=progress))


def _checked(splits: Splits) -> Splits:
    """``splits`` if it has validation subjects and no test subjects, else ValueError."""
    if splits.test:
        raise ValueError("recipe choices are scored on validation subjects, never on test subjects: pass splits without "
                         f"test subjects (validation_splits(splits)); got test {[s.name for s in splits.test]}")
    if not splits.val:
        raise ValueError("recipe choices are scored on validation subjects, and these splits have none")
    return splits


def score_probe(task: Task, subjects: Sequence[Subject]) -> Callable[[int, IVAN], dict[str, float]]:
    """An ``on_epoch`` hook: mean head ``val_psnr`` and ``val_ssim`` of the task's outputs over ``subjects``."""
    def probe(epoch: int, net: IVAN) -> dict[str, float]:
        device = next(net.parameters()).device  # score where it trains
        rows = [r for s in subjects for r in score(s, synthesise(net, task, s, device=device), task.outputs, regions=("head",))]
        return {"val_psnr": float(np.mean([r["psnr"] for r in rows])),
                "val_ssim": float(np.mean([r["ssim"] for r in rows]))}
    return probe


def curve_points(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``{"epoch", "steps", "seconds", "psnr", "ssim", "scored_on"}`` at every validated history row (cumulative)."""
    points, steps, seconds = [], 0, 0.0
    for row in history:
        steps += int(row.get("steps", 0))
        seconds += float(row["seconds"])
        if "val_psnr" in row:
            points.append({"epoch": row["epoch"], "steps": steps, "seconds": round(seconds, 1),
                           "psnr": row["val_psnr"], "ssim": row["val_ssim"], "scored_on": VALIDATION})
    return points


def learning_curve(task: Task | str, splits: Splits, profile: str | Profile, progress: bool = True
                   ) -> list[dict[str, Any]]:
    """Train afresh on ``splits.train`` with the profile; :func:`curve_points` on ``splits.val``."""
    splits = _checked(splits)
    p, task = get_profile(profile), get_task(task)
    train_set = TaskDataset(splits.train, task, augment=True, patch=p.patch, seed=p.train.seed)
    result = train(task, train_set, None, p.train, progress=progress, on_epoch=score_probe(task, splits.val),
                   model=p.model)
    return curve_points(result.history)


def finished_run(task: Task | str, splits: Splits, profile: str | Profile, models_root: str | None, recipe: str,
                 progress: bool = True, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One full-budget run (:func:`~ivan_core.tutorial.experiment.fit`) of the profile with ``overrides``
    (:meth:`~ivan_core.tutorial.profiles.Profile.changed`) scored on ``splits.val``:
    ``{"task", "recipe", "overrides", "steps", "seconds", "psnr", "ssim", "scored_on"}``."""
    splits = _checked(splits)
    task = get_task(task)
    overrides = dict(overrides or {})
    result = fit(task, splits, get_profile(profile).changed(**overrides), models_root, progress)
    probe = score_probe(task, splits.val)(len(result.history), result.net)
    return {"task": task.name, "recipe": recipe, "overrides": overrides,
            "steps": int(sum(row.get("steps", 0) for row in result.history)),
            "seconds": round(float(sum(row["seconds"] for row in result.history)), 1),
            "psnr": probe["val_psnr"], "ssim": probe["val_ssim"], "scored_on": VALIDATION}


def _use_measured(profile: str | Profile, rerun: bool) -> bool:
    return get_profile(profile).measured_recipe and not rerun


def measured_points(measured: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The stored points of variant ``name``, each with its ``scored_on`` label (``"not recorded"`` if none)."""
    variant = measured["variants"][name]
    scored_on = variant.get("scored_on", measured.get("scored_on", "not recorded"))
    return [{**point, "scored_on": scored_on} for point in variant["points"]]


def study_curves(variants: Mapping[str, dict[str, Any]], measured: Mapping[str, Any], profile: str | Profile,
                 rerun: bool = False, task: str = "t1pd_to_t2",
                 progress: bool = True) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """The learning curves of notebook 10: ``(curves, references)``, curve name -> :func:`curve_points`.

    ``variants`` maps curve names to TrainConfig overrides. A variant stored in ``measured["variants"]`` with the
    same overrides takes its stored points where the profile's ``measured_recipe`` allows, without ``rerun``
    (``references`` is then ``measured["references"]``, else empty); others train with :func:`learning_curve` and
    the profile's ``curve`` changes.
    """
    use = _use_measured(profile, rerun)
    known = measured["variants"]
    curves, splits = {}, None
    for name, overrides in variants.items():
        if use and name in known and known[name]["overrides"] == overrides:
            curves[name] = measured_points(measured, name)
            continue
        splits = splits or recipe_splits(profile, progress=progress)
        p = get_profile(profile)
        curves[name] = learning_curve(task, splits, p.changed(**{**overrides, **p.curve}), progress)
    return curves, (measured["references"] if use else {})


def measured_run(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored full run with ``psnr``/``ssim`` from its validation scores if present, else its test scores."""
    out = dict(row)
    if "val_psnr" in row:
        return {**out, "psnr": row["val_psnr"], "ssim": row["val_ssim"], "scored_on": VALIDATION}
    return {**out, "psnr": row["test_psnr"], "ssim": row["test_ssim"],
            "scored_on": row.get("test_scored_on", "test subjects")}


def study_runs(runs: Sequence[Mapping[str, Any]], profile: str | Profile, models_root: str | None,
               rerun: bool = False, progress: bool = True) -> list[dict[str, Any]]:
    """The full runs of notebook 10: stored (:func:`measured_run`) in ``tutorial`` without ``rerun``, else
    each run by :func:`finished_run`.
    """
    if _use_measured(profile, rerun):
        return [measured_run(r) for r in runs]
    splits = recipe_splits(profile, progress=progress)
    return [finished_run(r["task"], splits, profile, models_root, r["recipe"], progress, r["overrides"]) for r in runs]
