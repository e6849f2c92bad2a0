"""The training-recipe study: held-out quality against training steps and time, one change at a time.

>>> curve = learning_curve("t1pd_to_t2", splits, "tutorial", levels=0)   # doctest: +SKIP
>>> curve[-1]["steps"], curve[-1]["psnr"]                                # doctest: +SKIP
>>> finished_run("t1_to_t2", splits, "tutorial", "runs/models", "λ=16", lam=16.0)  # doctest: +SKIP
>>> curves, references = study_curves(variants, measured, "tutorial")      # doctest: +SKIP

Each point is scored on ``splits.test`` while training runs (``TrainConfig.val_every`` sets how
often), so a curve shows what more steps buy and where a change pays off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ivan_core.data import Subject
from ivan_core.evaluation import score, synthesise
from ivan_core.model import IVAN
from ivan_core.tasks import Task, get_task
from ivan_core.training import train
from ivan_core.training.pairs import TaskDataset
from ivan_core.tutorial.experiment import Splits, fit, phantom_splits
from ivan_core.tutorial.profiles import Profile, get_profile


def score_probe(task: Task, subjects: Sequence[Subject]) -> Callable[[int, IVAN], dict[str, float]]:
    """An ``on_epoch`` hook for :func:`ivan_core.training.train`: mean head PSNR and SSIM of the
    task's outputs over ``subjects`` (``test_psnr``, ``test_ssim``)."""
    def probe(epoch: int, net: IVAN) -> dict[str, float]:
        device = next(net.parameters()).device  # score where it trains
        rows = [r for s in subjects for r in score(s, synthesise(net, task, s, device=device), task.outputs, regions=("head",))]
        return {"test_psnr": float(np.mean([r["psnr"] for r in rows])),
                "test_ssim": float(np.mean([r["ssim"] for r in rows]))}
    return probe


def curve_points(history: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    """``{"epoch", "steps", "seconds", "psnr", "ssim"}`` at every history row with a test score;
    steps and seconds are cumulative training (scoring time not included)."""
    points, steps, seconds = [], 0, 0.0
    for row in history:
        steps += int(row.get("steps", 0))
        seconds += float(row["seconds"])
        if "test_psnr" in row:
            points.append({"epoch": row["epoch"], "steps": steps, "seconds": round(seconds, 1),
                           "psnr": row["test_psnr"], "ssim": row["test_ssim"]})
    return points


def learning_curve(task: Task | str, splits: Splits, profile: str | Profile, progress: bool = True,
                   **overrides: Any) -> list[dict[str, float]]:
    """Train afresh (nothing cached) with the profile's settings and ``overrides``, scoring
    ``splits.test`` every ``val_every`` epochs; returns :func:`curve_points`."""
    p, task = get_profile(profile), get_task(task)
    config = p.train_config(**overrides)
    train_set = TaskDataset(splits.train, task, augment=True, patch=p.patch, seed=config.seed)
    result = train(task, train_set, None, config, progress=progress, on_epoch=score_probe(task, splits.test))
    return curve_points(result.history)


def finished_run(task: Task | str, splits: Splits, profile: str | Profile, models_root: str | None, recipe: str,
                 progress: bool = True, **overrides: Any) -> dict[str, Any]:
    """One full-budget run of the profile with ``overrides``, trained (or reused from ``models_root``)
    by :func:`~ivan_core.tutorial.experiment.fit`, scored on ``splits.test``: ``{"task", "recipe",
    "overrides", "steps", "seconds", "psnr", "ssim"}`` (mean head PSNR / SSIM of the outputs)."""
    task = get_task(task)
    result = fit(task, splits, profile, models_root, progress, **overrides)
    probe = score_probe(task, splits.test)(len(result.history), result.net)
    return {"task": task.name, "recipe": recipe, "overrides": overrides,
            "steps": int(sum(row.get("steps", 0) for row in result.history)),
            "seconds": round(float(sum(row["seconds"] for row in result.history)), 1),
            "psnr": probe["test_psnr"], "ssim": probe["test_ssim"]}


#: Epochs of each curve in the ``smoke`` profile: enough to exercise the code, nothing more.
SMOKE_CURVE = {"epochs": 2, "val_every": 1}


def _use_measured(profile: str | Profile, rerun: bool) -> bool:
    return get_profile(profile).name == "tutorial" and not rerun


def study_curves(variants: Mapping[str, dict[str, Any]], measured: Mapping[str, Any], profile: str | Profile,
                 rerun: bool = False, task: str = "t1pd_to_t2",
                 progress: bool = True) -> tuple[dict[str, list[dict[str, float]]], dict[str, Any]]:
    """The learning curves of notebook 10: measured where that is possible, trained otherwise.

    Parameters
    ----------
    variants : mapping
        Curve name -> :class:`~ivan_core.training.TrainConfig` overrides.
    measured : mapping
        The measured study (``results/tutorial_cpu/recipe_curves.json``): ``variants`` (name ->
        ``{"overrides", "points"}``) and ``references`` (baseline lines).
    profile : str or Profile
        In the ``tutorial`` profile, without ``rerun``, a variant measured with the same overrides
        takes its measured points; any other variant trains here with :func:`learning_curve` (in the
        ``smoke`` profile for :data:`SMOKE_CURVE` epochs).
    rerun : bool
        Train every variant afresh.
    task : str
        The task every curve trains.

    Returns
    -------
    curves : dict
        Name -> :func:`curve_points`.
    references : dict
        ``measured["references"]`` when measured curves are shown, else empty (they belong to the
        measured run's data and budget).
    """
    use = _use_measured(profile, rerun)
    known = measured["variants"]
    curves, splits = {}, None
    for name, overrides in variants.items():
        if use and name in known and known[name]["overrides"] == overrides:
            curves[name] = known[name]["points"]
            continue
        splits = splits or phantom_splits(profile, progress=progress)
        short = SMOKE_CURVE if get_profile(profile).name == "smoke" else {}
        curves[name] = learning_curve(task, splits, profile, progress, **{**overrides, **short})
    return curves, (measured["references"] if use else {})


def study_runs(runs: Sequence[Mapping[str, Any]], profile: str | Profile, models_root: str | None,
               rerun: bool = False, progress: bool = True) -> list[dict[str, Any]]:
    """The full-budget runs of notebook 10: ``runs`` as measured (each a :func:`finished_run` row) in
    the ``tutorial`` profile without ``rerun``; otherwise each trained (or reused from
    ``models_root``) with its ``task``, ``recipe`` and ``overrides``."""
    if _use_measured(profile, rerun):
        return [dict(r) for r in runs]
    splits = phantom_splits(profile, progress=progress)
    return [finished_run(r["task"], splits, profile, models_root, r["recipe"], progress, **r["overrides"]) for r in runs]
