"""Figures of the inverse pass: where the inputs hide in the output, what comes back, and at what bit depth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ivan_core.plots.browser import LiveFigure
from ivan_core.plots.error_maps import DIFFERENCE_CMAP, abs_error, draw_error, error_scale

#: One step of an 8-bit image on [0, 1].
STEP_8BIT = 1.0 / 255.0


def _grey(ax, image: np.ndarray, title: str) -> None:
    if image.ndim == 3:
        ax.imshow(np.clip(image, 0.0, 1.0))
    else:
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def show_output_copies(raw: np.ndarray, inputs: Mapping[str, np.ndarray], mask: np.ndarray | None = None,
                       labels: Sequence[str] = ("Y ch0", "Y ch1"), title: str = "") -> Figure:
    """The two copies of one output, their difference, and its histogram against one 8-bit step (±1/255).

    ``raw`` is the ``(C, H, W)`` packed output of one slice (``synthesise(..., raw=True)[k]``), channels 0 and 1 titled
    ``labels``; ``inputs`` maps titles to ``(H, W)`` images drawn first; an ``(H, W)`` bool ``mask`` limits the histogram.
    """
    raw = np.asarray(raw, np.float32)
    diff = raw[0] - raw[1]
    values = diff[mask] if mask is not None else diff.ravel()
    limit = max(float(np.percentile(np.abs(values), 99.5)), STEP_8BIT)
    n = len(inputs) + 4
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n + 0.8, 2.9), gridspec_kw={"width_ratios": [1] * (n - 1) + [1.4]})
    for ax, (name, image) in zip(axes, inputs.items()):
        _grey(ax, image, name)
    _grey(axes[n - 4], raw[0], labels[0])
    _grey(axes[n - 3], raw[1], labels[1])
    shown = axes[n - 2].imshow(diff, cmap=DIFFERENCE_CMAP, vmin=-limit, vmax=limit)
    bar = fig.colorbar(shown, ax=axes[n - 2], fraction=0.046, pad=0.03)
    bar.ax.tick_params(labelsize=7)
    axes[n - 2].set_title(f"{labels[0]} − {labels[1]}", fontsize=9)
    axes[n - 2].axis("off")
    hist = axes[n - 1]
    hist.hist(values, bins=80, range=(-limit, limit), color="0.4")
    for sign in (-1, 1):
        hist.axvline(sign * STEP_8BIT, color="C3", linestyle="--", linewidth=1,
                     label="one 8-bit step" if sign > 0 else None)
    hist.set(xlabel=f"{labels[0]} − {labels[1]}", yticks=[])
    hist.set_title("inside the head" if mask is not None else "whole slice", fontsize=9)
    hist.legend(fontsize=7)
    hist.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_recovery(truth: Mapping[str, np.ndarray], recovered: Mapping[str, Mapping[str, np.ndarray]],
                  error_max: float | None = None, title: str = "", panel_size: float = 2.3) -> Figure:
    """True slices beside what inverse passes recovered, each recovery above its error map.

    ``truth`` maps a modality to its ``(H, W[, 3])`` slice; ``recovered`` maps a label (e.g. ``"saved synthesis (8-bit)"``)
    to ``{modality: slice}`` for every modality of ``truth``; ``error_max`` defaults to their
    :func:`~ivan_core.plots.error_maps.error_scale`.
    """
    errors = {(m, label): abs_error(truth[m], images[m]) for label, images in recovered.items() for m in truth}
    if error_max is None:
        error_max = error_scale(errors.values())
    ncols = 1 + len(recovered)
    fig, axes = plt.subplots(2 * len(truth), ncols, figsize=(panel_size * ncols + 0.5, (panel_size + 0.3) * 2 * len(truth)),
                             squeeze=False)
    for row, m in enumerate(truth):
        top, bottom = axes[2 * row], axes[2 * row + 1]
        _grey(top[0], truth[m], f"{m} (truth)")
        bottom[0].axis("off")
        for col, (label, images) in enumerate(recovered.items(), start=1):
            _grey(top[col], images[m], f"{m} from {label}")
            draw_error(bottom[col], errors[m, label], error_max, f"|error| {m}")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_inverse_kinds(rows: Sequence[dict], metric: str = "psnr", region: str = "head",
                       by: Sequence[str] = ("task", "modality")) -> Figure:
    """Mean ± std over subjects of ``metric``: a group of bars per ``kind``, a bar per group of ``by`` keys.

    ``rows`` are those of :func:`ivan_core.evaluation.inverse_rows`, with any further keys named in ``by``.
    """
    chosen = [r for r in rows if r["region"] == region]
    kinds = list(dict.fromkeys(r["kind"] for r in chosen))
    groups = list(dict.fromkeys(tuple(r.get(k) for k in by) for r in chosen))
    width = 0.8 / max(1, len(groups))
    fig, ax = plt.subplots(figsize=(max(7.0, 1.6 * len(kinds) + 0.25 * len(groups)), 3.8))
    for g, group in enumerate(groups):
        means, stds = [], []
        for kind in kinds:
            v = np.array([r[metric] for r in chosen if r["kind"] == kind and tuple(r.get(k) for k in by) == group])
            means.append(v.mean() if v.size else np.nan)
            stds.append(v.std() if v.size else 0.0)
        ax.bar(np.arange(len(kinds)) + (g - (len(groups) - 1) / 2) * width, means, width, yerr=stds, capsize=2,
               label=": ".join(str(x) for x in group), color=f"C{g % 10}")
    ax.set_xticks(range(len(kinds)), [k.replace(" (", "\n(") for k in kinds], fontsize=8)
    ax.set_ylabel(f"{metric.upper()} ({region})" + (" [dB]" if metric == "psnr" else ""))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def draw_bit_depth(bits: int, truth: np.ndarray, recovered: Mapping[str, Mapping[int, np.ndarray]],
                   psnr: Mapping[str, Mapping[int, float]], references: Mapping[str, float] | None = None,
                   error_max: float | None = None, modality: str = "") -> Figure:
    """PSNR of the recovery against bit depth (left), and the slices recovered at ``bits`` above their error maps.

    ``truth`` is the true ``(H, W)`` slice; ``recovered`` and ``psnr`` map each way of saving to ``{bits: slice}`` and
    ``{bits: PSNR in dB}`` (``bits`` among the keys); ``references`` adds labelled horizontal PSNR lines.
    """
    labels = list(recovered)
    errors = {label: abs_error(truth, recovered[label][bits]) for label in labels}
    if error_max is None:
        error_max = error_scale(errors.values())
    fig = plt.figure(figsize=(4.4 + 2.6 * (1 + len(labels)), 5.2))
    grid = fig.add_gridspec(2, 2 + len(labels), width_ratios=[1.7] + [1.0] * (1 + len(labels)))
    curve = fig.add_subplot(grid[:, 0])
    for i, label in enumerate(labels):
        xs = sorted(psnr[label])
        curve.plot(xs, [psnr[label][b] for b in xs], "-o", color=f"C{i}", markersize=4, label=label)
        curve.plot([bits], [psnr[label][bits]], "o", color=f"C{i}", markersize=10, markerfacecolor="none")
    for j, (label, value) in enumerate((references or {}).items()):
        curve.axhline(value, color="0.3", linestyle=("--", ":", "-.")[j % 3], linewidth=1, label=label)
    curve.axvline(bits, color="0.6", linewidth=1)
    curve.set(xlabel="bits per saved value", ylabel=f"{modality} PSNR (head) [dB]".strip(),
              title=f"{modality} recovered, against bit depth".strip())
    curve.legend(fontsize=7, loc="upper left")
    curve.grid(alpha=0.3)
    _grey(fig.add_subplot(grid[0, 1:2]), truth, f"{modality} (truth)".strip())
    for col, label in enumerate(labels, start=2):
        _grey(fig.add_subplot(grid[0, col]), recovered[label][bits], f"{label}\n{bits}-bit: {psnr[label][bits]:.1f} dB")
        draw_error(fig.add_subplot(grid[1, col]), errors[label], error_max, "|error|")
    fig.suptitle(f"outputs saved with {bits} bits", fontsize=10)
    fig.tight_layout()
    return fig


class BitDepthExplorer(LiveFigure):
    """A bit-depth slider redrawing :func:`draw_bit_depth` in place (a :class:`~ivan_core.plots.browser.LiveFigure`).

    Arguments as :func:`draw_bit_depth`, every label covering the same bit depths; ``start`` defaults to 8 if present,
    else the middle depth. The error colour scale is that of the first depth shown and stays fixed.
    """

    def __init__(self, truth: np.ndarray, recovered: Mapping[str, Mapping[int, np.ndarray]],
                 psnr: Mapping[str, Mapping[int, float]], references: Mapping[str, float] | None = None,
                 modality: str = "", start: int | None = None) -> None:
        options = sorted(next(iter(recovered.values())))
        if any(sorted(r) != options for r in recovered.values()):
            raise ValueError("every way of saving must cover the same bit depths")
        value = start if start is not None else 8 if 8 in options else options[len(options) // 2]
        self.error_max = error_scale(abs_error(truth, r[value]) for r in recovered.values())
        self.slider = widgets.SelectionSlider(options=options, value=value, description="bits",
                                              continuous_update=False)
        super().__init__(self.slider, lambda b: draw_bit_depth(b, truth, recovered, psnr, references,
                                                               self.error_max, modality))
