"""The training-recipe study: validation quality against training steps and time, one change at a time.

>>> splits = recipe_splits("tutorial")                                          # doctest: +SKIP
>>> curve = learning_curve("t1pd_to_t2", splits, "tutorial", levels=0)          # doctest: +SKIP
>>> curve[-1]["steps"], curve[-1]["psnr"]                                       # doctest: +SKIP
>>> finished_run("t1_to_t2", splits, "tutorial", "runs/models", "λ=16", lam=16.0)  # doctest: +SKIP
>>> curves, references = study_curves(variants, measured, "tutorial")             # doctest: +SKIP

Every recipe choice (a curve, a full run, λ, depth, when to stop) is scored on the validation
subjects, ``splits.val``, while training runs (``TrainConfig.val_every`` sets how often); the test
subjects are kept for the final tables and scored once. The functions here take only splits whose
``test`` is empty (:func:`validation_splits`, :func:`recipe_splits`) and raise otherwise, so a recipe
cannot be chosen on the test subjects by mistake.
"""

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
    """:func:`~ivan_core.tutorial.experiment.phantom_splits` with the test part dropped (:func:`validation_splits`)."""
    return validation_splits(phantom_splits(profile, seed=seed, progress=progress))


def _checked(splits: Splits) -> Splits:
    """``splits`` if it holds no test subject and some validation subject, else a ValueError."""
    if splits.test:
        raise ValueError("recipe choices are scored on validation subjects, never on test subjects: pass splits without "
                         f"test subjects (validation_splits(splits)); got test {[s.name for s in splits.test]}")
    if not splits.val:
        raise ValueError("recipe choices are scored on validation subjects, and these splits have none")
    return splits


def score_probe(task: Task, subjects: Sequence[Subject]) -> Callable[[int, IVAN], dict[str, float]]:
    """An ``on_epoch`` hook for :func:`ivan_core.core.training.train`: mean head PSNR and SSIM of the
    task's outputs over ``subjects``, the validation subjects (``val_psnr``, ``val_ssim``)."""
    def probe(epoch: int, net: IVAN) -> dict[str, float]:
        device = next(net.parameters()).device  # score where it trains
        rows = [r for s in subjects for r in score(s, synthesise(net, task, s, device=device), task.outputs, regions=("head",))]
        return {"val_psnr": float(np.mean([r["psnr"] for r in rows])),
                "val_ssim": float(np.mean([r["ssim"] for r in rows]))}
    return probe


def curve_points(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``{"epoch", "steps", "seconds", "psnr", "ssim", "scored_on"}`` at every history row with a
    validation score (:func:`score_probe`); steps and seconds are cumulative training (scoring time
    not included)."""
    points, steps, seconds = [], 0, 0.0
    for row in history:
        steps += int(row.get("steps", 0))
        seconds += float(row["seconds"])
        if "val_psnr" in row:
            points.append({"epoch": row["epoch"], "steps": steps, "seconds": round(seconds, 1),
                           "psnr": row["val_psnr"], "ssim": row["val_ssim"], "scored_on": VALIDATION})
    return points


def learning_curve(task: Task | str, splits: Splits, profile: str | Profile, progress: bool = True,
                   **overrides: Any) -> list[dict[str, Any]]:
    """Train afresh (nothing cached) on ``splits.train`` with the profile's settings and ``overrides``,
    scoring ``splits.val`` every ``val_every`` epochs; returns :func:`curve_points`. ``splits`` must hold
    no test subject (:func:`validation_splits`)."""
    splits = _checked(splits)
    p, task = get_profile(profile), get_task(task)
    config = p.train_config(**overrides)
    train_set = TaskDataset(splits.train, task, augment=True, patch=p.patch, seed=config.seed)
    result = train(task, train_set, None, config, progress=progress, on_epoch=score_probe(task, splits.val))
    return curve_points(result.history)


def finished_run(task: Task | str, splits: Splits, profile: str | Profile, models_root: str | None, recipe: str,
                 progress: bool = True, **overrides: Any) -> dict[str, Any]:
    """One full-budget run of the profile with ``overrides``, trained (or reused from ``models_root``)
    by :func:`~ivan_core.tutorial.experiment.fit`, scored on ``splits.val`` (``splits`` must hold no test
    subject): ``{"task", "recipe", "overrides", "steps", "seconds", "psnr", "ssim", "scored_on"}`` (mean
    head PSNR / SSIM of the outputs)."""
    splits = _checked(splits)
    task = get_task(task)
    result = fit(task, splits, profile, models_root, progress, **overrides)
    probe = score_probe(task, splits.val)(len(result.history), result.net)
    return {"task": task.name, "recipe": recipe, "overrides": overrides,
            "steps": int(sum(row.get("steps", 0) for row in result.history)),
            "seconds": round(float(sum(row["seconds"] for row in result.history)), 1),
            "psnr": probe["val_psnr"], "ssim": probe["val_ssim"], "scored_on": VALIDATION}


#: Epochs of each curve in the ``smoke`` profile: enough to exercise the code, nothing more.
SMOKE_CURVE = {"epochs": 2, "val_every": 1}


def _use_measured(profile: str | Profile, rerun: bool) -> bool:
    return get_profile(profile).name == "tutorial" and not rerun


def measured_points(measured: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The measured points of variant ``name``, each with the ``scored_on`` label of the variant (or of
    the whole file; ``"not recorded"`` when neither says)."""
    variant = measured["variants"][name]
    scored_on = variant.get("scored_on", measured.get("scored_on", "not recorded"))
    return [{**point, "scored_on": scored_on} for point in variant["points"]]


def study_curves(variants: Mapping[str, dict[str, Any]], measured: Mapping[str, Any], profile: str | Profile,
                 rerun: bool = False, task: str = "t1pd_to_t2",
                 progress: bool = True) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """The learning curves of notebook 10: measured where that is possible, trained otherwise.

    Parameters
    ----------
    variants : mapping
        Curve name -> :class:`~ivan_core.core.training.TrainConfig` overrides.
    measured : mapping
        The measured study (``results/tutorial_cpu/recipe_curves.json``): ``variants`` (name ->
        ``{"overrides", "points", "scored_on"}``), ``references`` (baseline lines) and ``scored_on``.
    profile : str or Profile
        In the ``tutorial`` profile, without ``rerun``, a variant measured with the same overrides
        takes its measured points (:func:`measured_points`, labelled with what they were scored on);
        any other variant trains here with :func:`learning_curve` on :func:`recipe_splits`, scored on
        the validation subjects (in the ``smoke`` profile for :data:`SMOKE_CURVE` epochs).
    rerun : bool
        Train every variant afresh.
    task : str
        The task every curve trains.

    Returns
    -------
    curves : dict
        Name -> points (:func:`curve_points`), each with its ``scored_on``.
    references : dict
        ``measured["references"]`` when measured curves are shown, else empty (they belong to the
        measured run's data and budget).
    """
    use = _use_measured(profile, rerun)
    known = measured["variants"]
    curves, splits = {}, None
    for name, overrides in variants.items():
        if use and name in known and known[name]["overrides"] == overrides:
            curves[name] = measured_points(measured, name)
            continue
        splits = splits or recipe_splits(profile, progress=progress)
        short = SMOKE_CURVE if get_profile(profile).name == "smoke" else {}
        curves[name] = learning_curve(task, splits, profile, progress, **{**overrides, **short})
    return curves, (measured["references"] if use else {})


def measured_run(row: Mapping[str, Any]) -> dict[str, Any]:
    """A measured full run (a row of ``full_runs``) as notebook 10 shows it: ``psnr`` / ``ssim`` on the
    validation subjects where the run was re-scored there (``val_psnr``, ``val_ssim``), else its test
    numbers (``test_psnr``, ``test_ssim``, with the file's ``test_scored_on`` label); ``scored_on`` says which."""
    out = dict(row)
    if "val_psnr" in row:
        return {**out, "psnr": row["val_psnr"], "ssim": row["val_ssim"], "scored_on": VALIDATION}
    return {**out, "psnr": row["test_psnr"], "ssim": row["test_ssim"],
            "scored_on": row.get("test_scored_on", "test subjects")}


def study_runs(runs: Sequence[Mapping[str, Any]], profile: str | Profile, models_root: str | None,
               rerun: bool = False, progress: bool = True) -> list[dict[str, Any]]:
    """The full-budget runs of notebook 10: ``runs`` as measured (:func:`measured_run`: validation
    numbers where they were re-scored) in the ``tutorial`` profile without ``rerun``; otherwise each
    trained (or reused from ``models_root``) with its ``task``, ``recipe`` and ``overrides`` and scored
    on the validation subjects (:func:`finished_run` on :func:`recipe_splits`)."""
    if _use_measured(profile, rerun):
        return [measured_run(r) for r in runs]
    splits = recipe_splits(profile, progress=progress)
    return [finished_run(r["task"], splits, profile, models_root, r["recipe"], progress, **r["overrides"]) for r in runs]
