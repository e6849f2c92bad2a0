"""Reading colour-mapped functional images as activity, and matching a prediction's activity range."""

from __future__ import annotations

import numpy as np
import pytest

from ivan_core.core.subject import Subject
from ivan_core.data import HARVARD_PET, HARVARD_SPECT, rgb_to_spect
from ivan_core.data.activity import head_activity, match_activity


def _colour(activity: np.ndarray, cmap=HARVARD_SPECT) -> np.ndarray:
    return cmap(activity)[..., :3].astype(np.float32)


def _spread(values: np.ndarray) -> float:
    return float(np.subtract(*np.percentile(values, [99, 1])))


@pytest.fixture
def narrow():
    """A prediction whose activity spans only 0.4-0.6 inside a centred head, 2 x 2 blocks of one value each."""
    rng = np.random.default_rng(0)
    coarse = 0.4 + 0.2 * rng.random((2, 16, 16))
    activity = coarse.repeat(2, axis=1).repeat(2, axis=2)
    mask = np.zeros(activity.shape, dtype=bool)
    mask[:, 4:28, 4:28] = True
    activity[~mask] = 0.0
    return activity, mask


def test_match_activity_takes_the_reference_range_and_keeps_the_order(narrow):
    activity, mask = narrow
    reference = np.random.default_rng(1).random(50_000)
    matched = match_activity(_colour(activity), reference, mask)
    before, after = rgb_to_spect(_colour(activity))[mask], rgb_to_spect(matched)[mask]
    assert _spread(before) == pytest.approx(0.2, abs=0.02)
    assert _spread(after) == pytest.approx(_spread(reference), abs=0.03)  # up to the scale's 256 levels
    order = np.argsort(before, kind="stable")
    assert (np.diff(after[order]) >= 0).all()  # the prediction's order of pixels is kept


def test_match_activity_leaves_the_outside_and_the_blocks_alone(narrow):
    activity, mask = narrow
    colour = _colour(activity)
    matched = match_activity(colour, np.linspace(0, 1, 1000), mask)
    np.testing.assert_array_equal(matched[~mask], colour[~mask])
    blocks = matched.reshape(2, 16, 2, 16, 2, 3)
    assert np.ptp(blocks, axis=(2, 4)).max() == 0.0  # every 2 x 2 block still holds one colour


def test_match_activity_with_its_own_distribution_changes_little(narrow):
    activity, mask = narrow
    colour = _colour(activity)
    matched = match_activity(colour, rgb_to_spect(colour)[mask], mask)
    assert np.abs(rgb_to_spect(matched) - rgb_to_spect(colour)).max() <= 1.5 / 255


def test_head_activity_pools_every_head_pixel():
    activity = np.linspace(0, 1, 2 * 8 * 8, dtype=np.float32).reshape(2, 8, 8)
    mask = np.zeros((2, 8, 8), dtype=bool)
    mask[:, 2:6, 2:6] = True
    subject = Subject("s", {"PET_rgb": _colour(activity, HARVARD_PET)}, mask)
    values = head_activity([subject, subject], "PET_rgb")
    assert values.shape == (2 * mask.sum(),)
    np.testing.assert_allclose(np.sort(values)[::2], np.sort(activity[mask]), atol=1 / 255)


@pytest.mark.parametrize("change, message", [
    (lambda c, r, m: (c[..., :2], r, m), r"shape \(\.\.\., 3\)"),
    (lambda c, r, m: (c, r, m[:, :-1]), "does not match"),
    (lambda c, r, m: (np.where(m[..., None], np.nan, c), r, m), "NaN"),
    (lambda c, r, m: (c, r[:0], m), "non-empty"),
])
def test_match_activity_rejects_bad_input(narrow, change, message):
    activity, mask = narrow
    colour, reference, mask = change(_colour(activity), np.linspace(0, 1, 10), mask)
    with pytest.raises(ValueError, match=message):
        match_activity(colour, reference, mask)


def test_unknown_colour_scale_is_named():
    with pytest.raises(ValueError, match="no colour scale for 'T2'"):
        match_activity(np.zeros((1, 4, 4, 3)), np.ones(3), np.ones((1, 4, 4), bool), modality="T2")
    with pytest.raises(ValueError, match="at least one subject"):
        head_activity([])


def test_range_matched_predictor_matches_inside_each_head(narrow):
    from ivan_core.tutorial.experiment import Method, range_matched

    activity, mask = narrow
    subject = Subject("s", {"SPECT_rgb": _colour(activity)}, mask)
    predict = Method(lambda s: {"SPECT_rgb": _colour(activity)}, steps=7, seconds=1.5)
    matched = range_matched(predict, np.random.default_rng(2).random(10_000))
    assert (matched.steps, matched.seconds) == (7, 1.5)
    assert _spread(rgb_to_spect(matched(subject)["SPECT_rgb"])[mask]) > 0.9


def test_a_card_description_keeps_the_activity_of_colour_mapped_modalities_only(narrow):
    from ivan_core.data.familiarity import describe_inputs

    activity, mask = narrow
    subject = Subject("s", {"T2": activity.astype(np.float32), "SPECT_rgb": _colour(activity)}, mask)
    described = describe_inputs([subject], ("T2", "SPECT_rgb"))
    assert set(described["activity"]) == {"SPECT_rgb"}
    percentiles = np.asarray(described["activity"]["SPECT_rgb"])
    assert percentiles.shape == (101,) and (np.diff(percentiles) >= 0).all()
    assert percentiles[[0, 100]] == pytest.approx([0.4, 0.6], abs=2 / 255)
    assert "activity" not in describe_inputs([subject], ("T2",))
