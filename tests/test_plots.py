"""Figures and interactive figures of the notebooks (ivan_core.plots), and the inverse-pass helpers they draw."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from ivan_core import get_task
from ivan_core.core.model import IVAN, perturb_
from ivan_core.plots import browser
from ivan_core.plots.ablation import plot_sweep, plot_tradeoff
from ivan_core.plots.browser import LiveFigure, draw_slice, slice_browser, synthesis_browser
from ivan_core.plots.comparison import show_methods
from ivan_core.plots.error_maps import ERROR_CMAP, abs_error, draw_error, error_scale
from ivan_core.plots.inverse import BitDepthExplorer, plot_inverse_kinds, show_output_copies, show_recovery
from ivan_core.plots.layouts import show_packing
from ivan_core.plots.training import show_row
from ivan_core.tutorial.experiment import recovered_images, recovery_by_bits


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class FakeHandle:
    """Stands in for IPython's DisplayHandle: records what each update shows."""

    def __init__(self, first):
        self.shown = [first]

    def update(self, obj):
        self.shown.append(obj)


@pytest.fixture
def fake_display(monkeypatch):
    """Replace IPython's display in the browser module; return the handles it hands out."""
    handles = []

    def display(obj, display_id=None, raw=False):
        if display_id:
            handles.append(FakeHandle(obj))
            return handles[-1]
        return None

    monkeypatch.setattr(browser, "display", display)
    return handles


def _error_images(fig: Figure) -> list:
    return [im for ax in fig.axes for im in ax.get_images() if im.get_cmap().name == ERROR_CMAP]


def _colorbars(fig: Figure) -> int:
    return sum(1 for ax in fig.axes if ax.get_label() == "<colorbar>")


def test_the_error_convention_is_absolute_and_averages_colour():
    truth, estimate = np.zeros((2, 4, 4), np.float32), np.full((2, 4, 4), 0.25, np.float32)
    assert np.allclose(abs_error(truth, estimate), 0.25) and np.allclose(abs_error(estimate, truth), 0.25)
    colour = np.zeros((4, 4, 3)), np.stack([np.full((4, 4), v) for v in (0.3, 0.0, 0.0)], axis=-1)
    assert abs_error(*colour).shape == (4, 4) and np.allclose(abs_error(*colour), 0.1)
    assert error_scale([np.zeros((3, 3))]) == pytest.approx(1e-6)
    assert error_scale([np.linspace(0, 1, 1001)], percentile=50) == pytest.approx(0.5)
    fig, ax = plt.subplots()
    shown = draw_error(ax, np.ones((4, 4)), 0.5, "e")
    assert shown.get_cmap().name == ERROR_CMAP and shown.get_clim() == (0.0, 0.5) and _colorbars(fig) == 1


def test_show_row_draws_every_error_map_with_the_convention_and_a_colourbar():
    image = np.random.default_rng(0).random((8, 8))
    fig = show_row({"a": image, "b": image}, errors={"|error| a": image * 0.1, "|error| b": image * 0.2})
    assert len(_error_images(fig)) == 2 and _colorbars(fig) == 2
    top = error_scale([image * 0.1, image * 0.2])
    assert all(im.get_clim() == (0.0, pytest.approx(top)) for im in _error_images(fig))


def test_show_methods_puts_each_residual_under_its_method_on_one_scale():
    """The paper's Fig. 6 layout: per example, truth and outputs on top, residuals below."""
    rng = np.random.default_rng(0)
    truth = rng.random((4, 8, 8)).astype(np.float32)
    outputs = {"a": truth + 0.1, "b": truth - 0.3}
    fig = show_methods(truth, outputs, slices=[0, 2])
    assert len(fig.axes) - _colorbars(fig) == 2 * 2 * 3 and len(_error_images(fig)) == 4
    assert all(im.get_clim() == (0.0, pytest.approx(0.3)) for im in _error_images(fig))
    titles = [ax.get_title() for ax in fig.axes]
    assert "ground truth (slice 3)" in titles and "residual, b" in titles
    with pytest.raises(ValueError, match="'a' has shape"):
        show_methods(truth, {"a": truth[:2]}, slices=[0])


def test_draw_slice_lays_panels_out_in_rows_with_error_maps_and_counts_slices_from_one():
    volume = np.zeros((3, 8, 8), np.float32)
    fig = draw_slice({"a": volume, "b": volume, "gap": None, "err": volume + 0.1}, 0, title="t",
                     errors=["err"], ncols=2)
    grid = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(grid) == 4 and _colorbars(fig) == 1 and len(_error_images(fig)) == 1
    assert fig._suptitle.get_text() == "t - slice 1/3"
    centre = [(ax.get_position().x0 + ax.get_position().x1) / 2 for ax in grid]
    middle = [(ax.get_position().y0 + ax.get_position().y1) / 2 for ax in grid]
    assert middle[0] == middle[1] > middle[3] and centre[1] > centre[0] and centre[3] > centre[2]
    with pytest.raises(ValueError, match="do not exist"):
        draw_slice({"a": volume}, 0, errors=["b"])


def test_synthesis_browser_puts_each_error_map_under_its_prediction(subjects):
    s = subjects[0]
    view = synthesis_browser({"T1": s["T1"]}, {"T2": s["T2"]}, {"iVAN": {"T2": s["T2"] + 0.1}, "copy": {"T2": s["T1"]}})
    assert view.draw_options["ncols"] == 4 and view.draw_options["errors"] == ("|error| T2 (iVAN)", "|error| T2 (copy)")
    fig = view.figure()
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[:4] == ["T1 (input)", "T2 (target)", "T2 (iVAN)", "T2 (copy)"]
    assert titles[4:] == ["|error| T2 (iVAN)", "|error| T2 (copy)"]
    assert len(_error_images(fig)) == 2 and _colorbars(fig) == 2


def test_the_slice_browser_redraws_its_plain_output_when_the_slider_moves(fake_display, subjects):
    view = slice_browser({"T1": subjects[0]["T1"]}, title="s0", start=0)
    view._ipython_display_()
    (handle,) = fake_display
    assert handle.shown[0]._suptitle.get_text() == "s0 - slice 1/3"
    assert (view.slider.min, view.slider.value, view.slider.max) == (1, 1, 3)  # counts from 1, as the titles
    view.slider.value = 3
    assert len(handle.shown) == 2 and handle.shown[1]._suptitle.get_text() == "s0 - slice 3/3"


def test_a_live_figure_is_drawn_once_and_redrawn_per_value(fake_display):
    import ipywidgets as widgets

    drawn = []

    def draw(value):
        drawn.append(value)
        fig, ax = plt.subplots()
        ax.set_title(str(value))
        return fig

    live = LiveFigure(widgets.IntSlider(value=1, min=0, max=3), draw)
    live.control.value = 2  # not displayed yet: nothing to redraw
    assert drawn == []
    live._ipython_display_()
    live.control.value = 3
    assert drawn == [2, 3] and fake_display[0].shown[-1].axes[0].get_title() == "3"


def test_the_bit_depth_explorer_redraws_when_the_bit_depth_changes(fake_display):
    rng = np.random.default_rng(0)
    truth = rng.random((16, 16))
    recovered = {"all channels": {b: truth + 2.0**-b for b in (2, 4, 8)},
                 "one image per output": {b: truth + 0.05 for b in (2, 4, 8)}}
    psnr = {label: {b: -20 * np.log10(float(np.abs(v - truth).mean())) for b, v in r.items()}
            for label, r in recovered.items()}
    explorer = BitDepthExplorer(truth, recovered, psnr, {"from the real output": 20.0}, "T1")
    assert explorer.slider.value == 8 and list(explorer.slider.options) == [2, 4, 8]
    explorer._ipython_display_()
    (handle,) = fake_display
    assert handle.shown[0]._suptitle.get_text() == "outputs saved with 8 bits"
    explorer.slider.value = 2
    redrawn = handle.shown[-1]
    assert len(handle.shown) == 2 and redrawn._suptitle.get_text() == "outputs saved with 2 bits"
    assert "2-bit: 12.0 dB" in " ".join(ax.get_title() for ax in redrawn.axes)
    assert len(_error_images(redrawn)) == 2 and _colorbars(redrawn) == 2
    with pytest.raises(ValueError, match="same bit depths"):
        BitDepthExplorer(truth, {"a": {2: truth}, "b": {4: truth}}, {"a": {2: 1.0}, "b": {4: 1.0}})


def test_packing_titles_are_neither_clipped_nor_overlapping():
    rng = np.random.default_rng(0)
    images = {m: rng.random((16, 16)) for m in ("T1", "T2", "PD", "CT", "PET")}
    images["PET_rgb"] = rng.random((16, 16, 3))
    for name in ("t1_to_t2", "t1t2_to_pet", "t1t2_to_pet_3ch"):
        fig = show_packing(get_task(name), images)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes] + [fig._suptitle.get_window_extent(renderer)]
        width, height = fig.bbox.width, fig.bbox.height
        assert all(b.x0 >= -1 and b.x1 <= width + 1 and b.y1 <= height + 1 for b in boxes), name
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), name
        assert fig.axes[0].get_title() == "X ch0\nT1"


def test_sweep_ticks_sit_at_the_swept_values_labelled_as_written():
    values = (0.25, 1.0, 4.0)
    rows = [{"method": f"lambda={v:g}", "region": "head", "modality": "T2", "psnr": 20 + i + s}
            for i, v in enumerate(values) for s in (0, 1)]
    fig = plot_sweep({"λ": (values, rows)}, log_x=["λ"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.25", "1", "4"]
    assert ax.xaxis.get_minor_ticks() == [] or not any(t.label1.get_text() for t in ax.xaxis.get_minor_ticks())


def test_the_tradeoff_plot_has_both_directions_and_one_labelled_point_per_value():
    values = (0.25, 1.0, 4.0)
    forward = [{"method": f"lambda={v:g}", "region": "head", "modality": "T2", "psnr": 20 + i}
               for i, v in enumerate(values)]
    inverse = [{"method": f"lambda={v:g}", "region": "head", "modality": m, "kind": "inverse synthesis",
                "psnr": 30 - i} for i, v in enumerate(values) for m in ("T1", "PD")]
    fig = plot_tradeoff(values, forward, inverse)
    left, right = fig.axes
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["forward: T2", "inverse: T1", "inverse: PD"]
    assert [t.get_text() for t in right.texts] == ["λ=0.25", "λ=1", "λ=4"]
    assert np.allclose(right.lines[0].get_xydata(), [[20, 30], [21, 29], [22, 28]])
    with pytest.raises(ValueError, match="2 values but 3 methods"):
        plot_tradeoff(values[:2], forward, inverse)


def test_output_copies_and_recovery_figures():
    rng = np.random.default_rng(0)
    raw = rng.random((2, 16, 16)).astype(np.float32)
    mask = np.zeros((16, 16), bool)
    mask[4:12, 4:12] = True
    fig = show_output_copies(raw, {"T1": raw[0]}, mask=mask)
    diff = fig.axes[3].get_images()[0]
    assert np.allclose(diff.get_array(), raw[0] - raw[1]) and diff.get_clim()[0] == -diff.get_clim()[1]
    assert _colorbars(fig) == 1 and fig.axes[4].get_title() == "inside the head"
    truth = {"T1": raw[0], "PD": raw[1]}
    fig = show_recovery(truth, {"saved": {"T1": raw[0] + 0.1, "PD": raw[1]}, "real": {"T1": raw[1], "PD": raw[0]}})
    assert len(_error_images(fig)) == 4 and _colorbars(fig) == 4
    assert {im.get_clim() for im in _error_images(fig)} == {_error_images(fig)[0].get_clim()}


def test_plot_inverse_kinds_groups_bars_by_kind():
    rows = [{"task": t, "kind": k, "modality": "T1", "region": "head", "psnr": p}
            for t in ("a", "b") for k, p in (("round trip (8-bit)", 50.0), ("inverse synthesis", 20.0))]
    fig = plot_inverse_kinds(rows)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["round trip\n(8-bit)", "inverse synthesis"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a: T1", "b: T1"]


def test_inverse_helpers_recover_each_start_and_sweep_bit_depths(subjects):
    task = get_task("t1pd_to_t2")
    net = perturb_(IVAN(task.channels, n_blocks=2, hidden=4), scale=0.05)
    s = subjects[0]
    images = recovered_images(net, task, s, bits=8)
    assert list(images) == ["round trip (8-bit)", "saved synthesis (8-bit)", "inverse synthesis"]
    assert all(set(v) == {"T1", "PD"} and v["T1"].shape == s["T1"].shape for v in images.values())
    study = recovery_by_bits(net, task, s, bits=(4, 16), index=1)
    assert study["modality"] == "T1" and study["truth"].shape == s["T1"][1].shape
    assert set(study["recovered"]) == {"all channels", "one image per output"}
    assert study["psnr"]["all channels"][16] > study["psnr"]["all channels"][4] > 0
    assert study["psnr"]["all channels"][16] > 60  # a random invertible net round-trips 16-bit values closely


def test_modality_grids_count_slices_from_one_and_the_joint_histogram_draws_the_lookup_mean(subjects):
    from ivan_core.plots.modalities import show_joint_histogram, show_modalities

    fig = show_modalities(subjects[:1], slice_index=0)
    assert fig.axes[0].get_ylabel() == "s0\nslice 1"
    fig = show_joint_histogram(subjects, "T1", "T2")
    line = fig.axes[0].lines[0]
    assert line.get_label() == "mean T2 per T1 bin"
    assert np.allclose(line.get_ydata(), 1 - line.get_xdata(), atol=0.02)  # conftest: T2 = 1 - T1


def test_the_fusion_browser_has_two_rows_sources_first(subjects):
    from ivan_core.plots.browser import fusion_browser

    s = subjects[0]
    fused = {name: s["T2"] for name in ("average", "maximum", "dwt", "iVAN (teacher)", "iVAN (unsupervised)")}
    view = fusion_browser({"T2": s["T2"], "CT": s["CT"]}, fused)
    assert view.draw_options["ncols"] == 4
    axes = view.figure().axes
    assert [ax.get_title() for ax in axes[:3]] == ["T2 (source)", "CT (source)", "average"]
    assert axes[0].get_subplotspec().rowspan.start == 0 and axes[4].get_subplotspec().rowspan.start == 1


def test_paired_plot_joins_each_subject_and_marks_the_mean():
    from ivan_core.plots.ablation import plot_pairs

    rows = [{"subject": s, "method": m, "region": "head", "modality": "T2", "psnr": p + (m == "L2")}
            for s, p in (("a", 20.0), ("b", 22.0)) for m in ("L1", "L2")]
    fig = plot_pairs({"loss norm": (rows, ["L1", "L2"])})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["L1", "L2"]
    assert [list(line.get_ydata()) for line in ax.lines[:2]] == [[20.0, 21.0], [22.0, 23.0]]
    assert list(ax.lines[2].get_ydata()) == [21.0, 22.0] and ax.lines[2].get_label() == "mean"


def test_network_diagram_is_read_off_the_network():
    from ivan_core.core.model import IVAN
    from ivan_core.plots.diagrams import network_diagram

    fig = network_diagram(IVAN(2, n_blocks=2, hidden=4, levels=1), size=(16, 24))
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_text()]  # arrows are empty annotations
    assert texts[0] == "X: 2×16×24" and texts[-1] == "Y = f(X): 2×16×24"
    boxes = texts[1:-1]
    assert len(boxes) == 6  # Haar, 2 x (1x1 convolution, coupling), inverse Haar
    assert boxes[0].startswith("Haar transform") and "2×16×24 → 8×8×12" in boxes[0]
    assert [b.split(",")[0].split(":")[0] for b in boxes[1:5]] == ["1×1 convolution", "enhanced coupling"] * 2
    assert boxes[-1].startswith("inverse Haar") and "8×8×12 → 2×16×24" in boxes[-1]
    plt.close(fig)
