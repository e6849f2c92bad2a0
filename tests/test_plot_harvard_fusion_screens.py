"""scripts/plot_harvard_fusion_screens.py: every screen drawn or named off a plane, the picture written."""

import json

import pytest

from conftest import load_script

METRICS = ("AG", "SF", "Q_MI", "Q_ABF")


@pytest.fixture
def plot():
    return load_script("plot_harvard_fusion_screens")


def test_describe_names_the_changes(plot):
    assert plot.describe({"name": "hidden32"}) == "hidden32"
    unnamed = {"teacher": "lrd (note)", "w_edge": 2.0, "overrides": {"levels": 1}}
    assert plot.describe(unnamed) == "lrd, w_edge 2, levels 1"


def test_window_keeps_the_rivals_and_drops_far_screens(plot):
    lo, hi = plot.window([0.5, 0.62, 5.0], [0.6, 0.7])
    assert lo < 0.6 and hi > 0.7 and 0.5 < lo and hi < 5.0


def test_far_screens_are_named_off_a_plane_and_the_png_is_written(plot, tmp_path):
    methods = {m: dict.fromkeys(METRICS, 1.0 + i / 10) for i, m in enumerate(plot.RIVALS)}
    screens = [{"name": "near", **dict.fromkeys(METRICS, 1.2)}, {"name": "far", **dict.fromkeys(METRICS, 9.0)}]
    src = tmp_path / "screens.json"
    src.write_text(json.dumps({"methods": methods, "screens": screens}))
    out = tmp_path / "screens.png"
    assert plot.plot_screens(json.loads(src.read_text()), out) == {2}
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out.unlink()
    assert plot.main(["--screens", str(src), "--out", str(out)]) == 0 and out.is_file()
