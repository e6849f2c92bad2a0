"""Fusion cross-validated over cases: every case tested once, by networks that never saw it.
One row per (case, method) carries its fold; :func:`paired_wins` counts per-case wins between methods."""

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
    """Result of :func:`cross_validate_fusion`, plain data as a shipped card keeps it: ``table`` (fusion
    rows of every test case, with ``fold``), ``separation`` (inverse-pass rows, with ``fold``) and ``folds``
    (each fold's case names ``{"train", "val", "test"}``)."""

    table: list[dict]
    separation: list[dict]
    folds: list[dict[str, list[str]]]


def cross_validate_fusion(cases: Sequence[Subject], profile: Profile, models_root: str | Path | None,
                          k: int = 4, teacher: str = "laplacian_pyramid", edge_weight: float = 1.0, seed: int = 0,
                          methods: Sequence[str] = tuple(METHODS), progress: bool = True, pretrained: bool = False,
                          variants: Sequence[str] = FUSION_VARIANTS, edge_overshoot: float = 1.0
                          ) -> FusionCrossValidation:
    """Run :func:`~ivan_core.tutorial.fusion_study.run_fusion_study` on each of ``k`` folds of ``cases``
    (with T2 and CT; :func:`~ivan_core.data.case_folds`, one validation case each). Fold ``i`` keeps its networks in
    ``models_root/fold<i>``, fused volumes in ``models_root/fused``; the other arguments go to ``run_fusion_study``."""
    rows, separation, folds = [], [], []
    for i, (train, val, test) in enumerate(case_folds(cases, k, seed=seed)):
        split = Splits(train, val, test)
        root = None if models_root is None else Path(models_root) / f"fold{i}"
        study = run_fusion_study(split, profile, root, teacher, edge_weight, progress, pretrained, methods,
                                 fused_cache=None if models_root is None else Path(models_root) / "fused",
                                 variants=variants, edge_overshoot=edge_overshoot)
        rows += [{**r, "fold": i} for r in study.table]
        separation += [{**r, "fold": i} for r in study.separation]
        folds.append({part: [s.name for s in getattr(split, part)] for part in ("train", "val", "test")})
    return FusionCrossValidation(rows, separation, folds)


def shipped_cross_validation(variant: str = "harvard", profile: str = "tutorial",
                             folder: str | Path | None = None) -> FusionCrossValidation:
    """The cross-validation kept on a shipped fusion network's card; KeyError if it has none."""
    from ivan_core.store import find_card

    card = find_card("t2ct_fusion", profile, variant, folder)
    if "cross_validation" not in card:
        raise KeyError(f"the shipped t2ct_fusion network {variant!r} ({profile}) carries no cross-validation")
    return FusionCrossValidation(**card["cross_validation"])


def _measured(rows: Sequence[dict], metrics: Sequence[str] | None) -> list[str]:
    """``metrics``, or every :data:`ivan_core.metrics.FUSION_METRICS` entry all ``rows`` carry."""
    return list(metrics) if metrics is not None else [m for m in FUSION_METRICS if all(m in r for r in rows)]


def paired_wins(rows: Sequence[dict], ours: str, metrics: Sequence[str] | None = None) -> list[dict]:
    """For every other method: on how many shared cases ``ours`` scores higher, per metric.
    Returns rows ``{"method", "cases", <metric>: wins, "beaten_on"}``; ValueError when no row is ``ours``."""
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
    """Whether ``ours`` may be called best: mean POLARITY > 0 and no method beats it on over half the metrics
    (a metric counts when the other method is higher on more than half the shared cases; the pictures, checked by a
    person, must also agree). Returns ``{"method", "polarity", "beaten_by", "best"}``, ``best`` None without POLARITY."""
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
