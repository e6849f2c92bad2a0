"""Subject-level splits and paired augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from ivan_core.core.subject import Subject
from ivan_core.core.training.augment import augment_slice
from ivan_core.data import case_folds, split_subjects


def subject(name, slices=2):
    images = {"T1": np.zeros((slices, 4, 4), np.float32)}
    return Subject(name=name, images=images, mask=np.ones((slices, 4, 4), bool))


@pytest.fixture
def twenty():
    return [subject(f"s{i:02d}") for i in range(20)]


def names(part):
    return [s.name for s in part]


def test_split_by_subject(twenty):
    train, val, test = split_subjects(twenty, seed=0)
    assert (len(train), len(val), len(test)) == (14, 3, 3)
    all_names = names(train) + names(val) + names(test)
    assert sorted(all_names) == names(twenty) and len(set(all_names)) == 20
    # deterministic, independent of input order, dependent on the seed
    again = split_subjects(list(reversed(twenty)), seed=0)
    assert [names(p) for p in again] == [names(train), names(val), names(test)]
    other = split_subjects(twenty, seed=1)
    assert [names(p) for p in other] != [names(train), names(val), names(test)]


def test_split_counts_and_small_sets(twenty):
    train, val, test = split_subjects(twenty, (10, 5, 5), seed=3)
    assert (len(train), len(val), len(test)) == (10, 5, 5)
    three = split_subjects(twenty[:3])
    assert [len(p) for p in three] == [1, 1, 1]


def test_split_errors(twenty):
    with pytest.raises(ValueError, match="train empty"):
        split_subjects(twenty[:2])
    with pytest.raises(ValueError, match="sum to 19"):
        split_subjects(twenty, (10, 5, 4))
    with pytest.raises(ValueError, match="val"):
        split_subjects(twenty, (0.9, 0.0, 0.1))
    with pytest.raises(ValueError, match="sum to 1"):
        split_subjects(twenty, (0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match="repeated"):
        split_subjects([subject("a"), subject("a"), subject("b")])


def test_case_folds_test_every_case_once_and_never_train_on_it():
    eight = [subject(f"case{i}") for i in range(8)]
    folds = case_folds(eight, 4, seed=0)
    assert len(folds) == 4
    assert sorted(n for _, _, test in folds for n in names(test)) == names(eight)  # each case tested once
    for train, val, test in folds:
        assert (len(train), len(val), len(test)) == (5, 1, 2)
        assert sorted(names(train) + names(val) + names(test)) == names(eight)  # disjoint, all used
    assert [[names(p) for p in f] for f in case_folds(list(reversed(eight)), 4)] == [[names(p) for p in f] for f in folds]
    assert [len(test) for _, _, test in case_folds(eight[:7], 3, n_val=0)] == [3, 2, 2]
    with pytest.raises(ValueError, match="2 <= k <= 3"):
        case_folds(eight[:3], 4)
    with pytest.raises(ValueError, match="none to train on"):
        case_folds(eight[:3], 2, n_val=1)


def test_augment_same_transform_for_every_array():
    rng = np.random.default_rng(0)
    x = rng.random((2, 8, 8)).astype(np.float32)
    y = 3.0 * x[:1]
    seen = set()
    for _ in range(60):
        ax, ay = augment_slice([x, y], rng)
        np.testing.assert_allclose(ay, 3.0 * ax[:1], rtol=1e-6)
        # right angles and flips only permute pixels
        np.testing.assert_array_equal(np.sort(ax.ravel()), np.sort(x.ravel()))
        seen.add(ax.tobytes())
    assert len(seen) == 8  # 4 rotations x 2 flips


def test_augment_without_flip_gives_the_four_quarter_turns():
    x = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    outputs = {augment_slice([x], np.random.default_rng(seed), flip=False)[0].tobytes() for seed in range(40)}
    assert outputs == {np.ascontiguousarray(np.rot90(x, k, axes=(1, 2))).tobytes() for k in range(4)}
    (r,) = augment_slice([x], np.random.default_rng(0), flip=False)
    assert r.shape in ((2, 3, 5), (2, 5, 3)) and r.flags.c_contiguous


def test_augment_is_reproducible_and_checks_shapes():
    x = np.random.default_rng(1).random((1, 6, 6))
    a = augment_slice([x], np.random.default_rng(5))
    b = augment_slice([x], np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="one H, W"):
        augment_slice([x, np.zeros((1, 5, 6))], np.random.default_rng(0))
