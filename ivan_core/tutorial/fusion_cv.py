"""Fusion cross-validated over cases: every case tested once, by networks that never saw it.

>>> cases = harvard_cases("CT-MRI", None)                              # doctest: +SKIP
>>> cv = cross_validate_fusion(cases, "tutorial", "runs/cv", k=4)       # doctest: +SKIP
>>> metrics_table(cv.table, by=("method",), metrics=FUSION_METRICS)     # doctest: +SKIP
>>> paired_wins(cv.table, "iVAN (teacher: laplacian_pyramid)")         # doctest: +SKIP
>>> shipped_cross_validation().table                                   # the measured one, shipped  # doctest: +SKIP

Each fold trains the iVAN fusion variants (both by default) of :func:`~ivan_core.tutorial.fusion_study.run_fusion_study`
on its training cases (its own folder under ``models_root``) and scores every method on its test
cases. One row per (case, method) carries the case's fold;
:func:`~ivan_core.tutorial.reporting.metrics_table` gives the mean and standard deviation over
cases, :func:`paired_wins` counts, per metric, the cases where one method
beats each other method on the same case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ivan_core.baselines.fusion.methods import METHODS
from ivan_core.core.subject import Subject
from ivan_core.data import case_folds
from ivan_core.metrics import FUSION_METRICS
from ivan_core.tutorial.experiment import Splits
from ivan_core.tutorial.fusion_study import FUSION_VARIANTS, run_fusion_study
from ivan_core.tutorial.profiles import Profile


@dataclass
class FusionCrossValidation:
    """Result of :func:`cross_validate_fusion`.

    Plain lists and dicts only: :func:`dataclasses.asdict` of it is what a shipped card keeps
    (:func:`shipped_cross_validation` reads it back).

    Attributes
    ----------
    table : list of dict
        :func:`~ivan_core.baselines.fusion.methods.fusion_rows` of every test case of every fold, with ``fold``
        (as :attr:`~ivan_core.tutorial.fusion_study.FusionStudy.table`).
    separation : list of dict
        Each fold's separation rows (the iVAN variants' inverse passes), with ``fold``.
    folds : list of dict
        Each fold's case names: ``{"train": [...], "val": [...], "test": [...]}``, in order.
    """

    table: list[dict]
    separation: list[dict]
    folds: list[dict[str, list[str]]]


def cross_validate_fusion(cases: Sequence[Subject], profile: str | Profile, models_root: str | Path | None,
                          k: int = 4, teacher: str = "laplacian_pyramid", edge_weight: float = 1.0, seed: int = 0,
                          methods: Sequence[str] = tuple(METHODS), progress: bool = True, pretrained: bool = False,
                          variants: Sequence[str] = FUSION_VARIANTS, **overrides: Any) -> FusionCrossValidation:
    """Run :func:`~ivan_core.tutorial.fusion_study.run_fusion_study` on each of ``k`` folds of ``cases``.

    Parameters
    ----------
    cases : sequence of Subject
        Cases with T2 and CT (e.g. the Harvard CT-MRI atlas cases, or phantom subjects).
    profile : str or Profile
    models_root : str or Path, optional
        Fold ``i`` keeps its networks under ``models_root/fold<i>``, and the classical methods' fused
        volumes are kept in ``models_root/fused`` (None keeps nothing).
    k : int
        Folds (:func:`~ivan_core.data.case_folds`, one validation case each).
    teacher, edge_weight, methods, progress, pretrained, variants, **overrides
        As for :func:`~ivan_core.tutorial.fusion_study.run_fusion_study`.

    Returns
    -------
    FusionCrossValidation
    """
    rows, separation, folds = [], [], []
    for i, (train, val, test) in enumerate(case_folds(cases, k, seed=seed)):
        split = Splits(train, val, test)
        root = None if models_root is None else Path(models_root) / f"fold{i}"
        study = run_fusion_study(split, profile, root, teacher, edge_weight, progress, pretrained, methods,
                                 fused_cache=None if models_root is None else Path(models_root) / "fused",
                                 variants=variants, **overrides)
        rows += [{**r, "fold": i} for r in study.table]
        separation += [{**r, "fold": i} for r in study.separation]
        folds.append({part: [s.name for s in getattr(split, part)] for part in ("train", "val", "test")})
    return FusionCrossValidation(rows, separation, folds)


def shipped_cross_validation(variant: str = "harvard", profile: str = "tutorial",
                             folder: str | Path | None = None) -> FusionCrossValidation:
    """The cross-validation kept on the card of a shipped fusion network (``card["cross_validation"]``):
    the measured evidence its recipe was chosen on, readable without the data or the hours it took."""
    from ivan_core.store import find_card

    card = find_card("t2ct_fusion", profile, variant, folder)
    if "cross_validation" not in card:
        raise KeyError(f"the shipped t2ct_fusion network {variant!r} ({profile}) carries no cross-validation")
    return FusionCrossValidation(**card["cross_validation"])


def _measured(rows: Sequence[dict], metrics: Sequence[str] | None) -> list[str]:
    """``metrics``, or by default every one of :data:`ivan_core.metrics.FUSION_METRICS` that all ``rows`` carry
    (a table measured before a metric existed lacks it)."""
    return list(metrics) if metrics is not None else [m for m in FUSION_METRICS if all(m in r for r in rows)]


def paired_wins(rows: Sequence[dict], ours: str, metrics: Sequence[str] | None = None) -> list[dict]:
    """For every other method: on how many cases ``ours`` scores better, per metric (every one of
    :data:`ivan_core.metrics.FUSION_METRICS` is better when larger; by default those all rows carry),
    out of the cases both have.

    Returns rows ``{"method", "cases", <metric>: wins}``; a metric counts as won when ``ours`` beats
    the method on more than half of the cases (``beaten_on``, the list of such metrics).
    """
    metrics = _measured(rows, metrics)
    by_case = {(r["subject"], r["method"]): r for r in rows}
    if not any(method == ours for _, method in by_case):
        raise ValueError(f"no rows for {ours!r}; methods: {sorted({m for _, m in by_case})}")
    out = []
    for method in dict.fromkeys(r["method"] for r in rows):
        if method == ours:
            continue
        cases = [c for c, m in by_case if m == method and (c, ours) in by_case]
        wins = {m: sum(by_case[c, ours][m] > by_case[c, method][m] for c in cases) for m in metrics}
        out.append({"method": method, "cases": len(cases), **wins,
                    "beaten_on": [m for m in metrics if 2 * wins[m] > len(cases)]})
    return out


def best_rule(rows: Sequence[dict], ours: str, metrics: Sequence[str] | None = None) -> dict[str, Any]:
    """The project's rule for calling a fusion method best, applied to ``ours`` in a table of rows.

    ``ours`` may be called best only where (1) its mean POLARITY is positive (the second source's bright
    structures stay bright), (2) no other method beats it on more than half of ``metrics`` (by default every
    fusion metric the rows carry), a metric counting for the other method when it scores strictly higher on
    more than half of the cases where both are defined, and (3) the pictures agree, which a person checks;
    this function checks (1) and (2).

    Returns
    -------
    dict
        ``{"method", "polarity", "beaten_by": {method: [metrics it wins]}, "best"}``: ``polarity`` is the mean
        over the cases that carry one; ``best`` is None when no row of ``ours`` carries POLARITY (a table
        measured before it existed), else a bool.
    """
    metrics = _measured(rows, metrics)
    by_case = {(r["subject"], r["method"]): r for r in rows}
    if not any(method == ours for _, method in by_case):
        raise ValueError(f"no rows for {ours!r}; methods: {sorted({m for _, m in by_case})}")
    polarity = [r["POLARITY"] for (_, m), r in by_case.items() if m == ours and not np.isnan(r.get("POLARITY", np.nan))]
    mean_polarity = float(np.mean(polarity)) if polarity else float("nan")
    beaten_by = {}
    for other in dict.fromkeys(m for _, m in by_case):
        if other == ours:
            continue
        lost = []
        for m in metrics:
            pairs = [(by_case[c, ours][m], by_case[c, other][m]) for c, method in by_case
                     if method == other and (c, ours) in by_case]
            pairs = [(a, b) for a, b in pairs if a == a and b == b]  # NaN: undefined on that case
            if pairs and 2 * sum(b > a for a, b in pairs) > len(pairs):
                lost.append(m)
        if 2 * len(lost) > len(metrics):
            beaten_by[other] = lost
    best = None if not polarity else bool(mean_polarity > 0) and not beaten_by
    return {"method": ours, "polarity": mean_polarity, "beaten_by": beaten_by, "best": best}
