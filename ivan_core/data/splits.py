"""Train / validation / test splits by subject, never by slice."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ivan_core.core.subject import Subject

PARTS = ("train", "val", "test")


def _counts(n: int, fractions: Sequence[float | int]) -> list[int]:
    """Subjects per part from fractions (floats summing to 1) or counts (ints summing to n)."""
    if len(fractions) != 3:
        raise ValueError(f"need three parts (train, val, test), got {tuple(fractions)}")
    if all(isinstance(f, (int, np.integer)) for f in fractions):
        counts = [int(f) for f in fractions]
        if sum(counts) != n:
            raise ValueError(f"counts {tuple(counts)} sum to {sum(counts)}, but there are {n} subjects")
    else:
        if any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
            raise ValueError(f"fractions must be >= 0 and sum to 1, got {tuple(fractions)}")
        # val and test: rounded, at least 1 when asked for; train takes the rest
        held = [max(1, round(f * n)) if f > 0 else 0 for f in fractions[1:]]
        counts = [n - sum(held), *held]
    empty = [part for part, c in zip(PARTS, counts) if c <= 0]
    if empty:
        raise ValueError(
            f"{n} subject(s) split as {dict(zip(PARTS, counts))} leaves {', '.join(empty)} empty; "
            "use more subjects or other fractions"
        )
    return counts


def split_subjects(
    subjects: Sequence[Subject],
    fractions: Sequence[float | int] = (0.7, 0.15, 0.15),
    seed: int = 0,
) -> tuple[list[Subject], list[Subject], list[Subject]]:
    """Shuffle subjects into train, validation and test lists, each sorted by name: by subject, never by slice.

    Parameters
    ----------
    subjects : sequence of Subject
        Unique names; the split depends on the names and ``seed``, not on the order.
    fractions : (float, float, float) or (int, int, int)
        Fractions summing to 1 (validation and test rounded, at least one each; train takes the rest) or counts
        summing to ``len(subjects)``.
    seed : int
        Seed of the shuffle.

    ValueError on repeated names, bad fractions or counts, or an empty part.
    """
    names = [s.name for s in subjects]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"subject names must be unique for a split; repeated: {duplicates}")
    ordered = sorted(subjects, key=lambda s: s.name)
    counts = _counts(len(ordered), fractions)
    order = np.random.default_rng(seed).permutation(len(ordered))
    bounds = np.cumsum([0, *counts])
    parts = [
        sorted((ordered[i] for i in order[a:b]), key=lambda s: s.name)
        for a, b in zip(bounds[:-1], bounds[1:])
    ]
    return parts[0], parts[1], parts[2]


def case_folds(
    subjects: Sequence[Subject], k: int, seed: int = 0, n_val: int = 1
) -> list[tuple[list[Subject], list[Subject], list[Subject]]]:
    """``k`` cross-validation folds by subject: each subject is tested in exactly one fold and not trained on there.

    The subjects are shuffled once (by ``seed``, not their order) and dealt into ``k`` test groups differing in size by at
    most one; the ``n_val`` subjects after each test group validate, the rest train. Returns ``k`` tuples ``(train, val,
    test)``, each sorted by name. ValueError on repeated names, ``k`` outside ``[2, len(subjects)]`` or no training subject.
    """
    names = [s.name for s in subjects]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"subject names must be unique for folds; repeated: {duplicates}")
    n = len(subjects)
    if not 2 <= k <= n:
        raise ValueError(f"need 2 <= k <= {n} (the subjects), got k={k}")
    ordered = sorted(subjects, key=lambda s: s.name)
    shuffled = [ordered[i] for i in np.random.default_rng(seed).permutation(n)]
    groups = np.array_split(np.arange(n), k)
    if n - max(len(g) for g in groups) - n_val < 1:
        raise ValueError(f"{n} subjects in {k} folds with {n_val} validation subject(s) leave none to train on")
    folds = []
    for group in groups:
        test = [shuffled[i] for i in group]
        after = [shuffled[(group[-1] + 1 + j) % n] for j in range(n - len(group))]
        val, train = after[:n_val], after[n_val:]
        folds.append(tuple(sorted(part, key=lambda s: s.name) for part in (train, val, test)))
    return folds
