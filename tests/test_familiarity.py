"""Whether a scan looks like a network's training data: histograms, sizes, planes."""

import numpy as np

from conftest import make_subject
from ivan_core.data.familiarity import HISTOGRAM_LIMIT, describe_inputs, histogram, histogram_distance, unfamiliar


def test_histogram_distance_is_zero_for_the_same_and_one_for_disjoint_values():
    low, high = np.full((2, 8, 8), 0.1), np.full((2, 8, 8), 0.9)
    low[0, 0, 0] = high[0, 0, 0] = 0.0  # the minimum is left out
    assert histogram_distance(histogram(low), histogram(low)) == 0.0
    assert histogram_distance(histogram(low), histogram(high)) == 1.0
    assert abs(sum(histogram(np.random.default_rng(0).random((4, 8, 8)))) - 1.0) < 1e-4


def test_the_training_data_is_familiar_and_other_data_is_not():
    subjects = [make_subject(f"s{i}", slices=3, size=32, seed=i) for i in range(3)]
    description = describe_inputs(subjects, ("T1", "T2"))
    assert description["sizes"] == [[32, 32]] and description["planes"] == ["axial"]
    fresh = make_subject("new", slices=3, size=32, seed=9)
    assert unfamiliar(description, {"T1": fresh.images["T1"]}, axis=2) == []
    dark = {"T1": fresh.images["T1"] ** 6}  # most voxels near 0: another contrast
    (reason,) = unfamiliar(description, dark, axis=2)
    assert "T1" in reason and str(HISTOGRAM_LIMIT) in reason
    found = unfamiliar(description, {"T1": np.pad(fresh.images["T1"], ((0, 0), (40, 40), (40, 40)))}, axis=1)
    assert any("112 x 112" in r for r in found) and any("coronal" in r for r in found)
