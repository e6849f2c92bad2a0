"""Draw issue 15's Harvard fusion screens against the comparison methods, two metrics at a time.

    python scripts/plot_harvard_fusion_screens.py      # results/tutorial_cpu/harvard_fusion_screens.png

Reads ``harvard_fusion_screen.json`` (written by hand and by ``screen_harvard_fusion.py`` before screens
were scored on validation; every screen there scored on notebook 06's Harvard test cases 2 and 34, at the
top level of its entry; the screen script now writes its scores under ``validation_case`` only, which this
plot does not read) and draws each screened iVAN recipe as a
dot and each classical method as a star in two planes: Q^AB/F against SF (edge fidelity against
sharpness) and Q_MI against AG (source intensities against sharpness). A recipe that wins has to
sit above and to the right of the methods in both. The dots are numbered in file order; the legend
names each number's changes. The axes span the methods and the screens near them: a screen far off
(texture drawn everywhere) is left out of that plane and marked "off a plane" in the legend.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

#: The two planes: (x metric, y metric).
PLANES = (("SF", "Q_ABF"), ("AG", "Q_MI"))
#: The comparison methods the issue's bar names (the teacher and the paper's Table III methods).
RIVALS = ("laplacian_pyramid", "lp_sr", "lrd", "cs_mca", "lp_cnn")


def describe(screen: dict) -> str:
    """A short name for one screen: its own name, or its teacher, edge weight and overrides."""
    if screen.get("name"):
        return screen["name"]
    parts = [screen["teacher"].split(" (")[0]]
    if screen["w_edge"] != 1.0:
        parts.append(f"w_edge {screen['w_edge']:g}")
    parts += [f"{k} {v}" for k, v in screen["overrides"].items()]
    return ", ".join(parts)


def window(values: list[float], rivals: list[float]) -> tuple[float, float]:
    """Axis limits: the rivals' span widened by half of it on each side, then cut to the values' span."""
    lo, hi = min(rivals), max(rivals)
    pad = (hi - lo) / 2
    return max(lo - pad, min(values + rivals)) - pad / 10, min(hi + pad, max(values + rivals)) + pad / 10


def plot_screens(screens: dict, out: Path) -> set[int]:
    """Draw the screens and the rival methods of ``screens`` (the JSON's content) to ``out`` (PNG);
    return the numbers of the screens left off a plane."""
    fig, axes = plt.subplots(1, len(PLANES), figsize=(13, 5.5))
    off = set()
    for ax, (x, y) in zip(axes, PLANES, strict=True):
        limits = {m: window([s[m] for s in screens["screens"]], [screens["methods"][r][m] for r in RIVALS])
                  for m in (x, y)}
        for i, s in enumerate(screens["screens"], 1):
            if not all(limits[m][0] <= s[m] <= limits[m][1] for m in (x, y)):
                off.add(i)
                continue
            ax.scatter(s[x], s[y], s=18, color="tab:blue")
            ax.annotate(str(i), (s[x], s[y]), fontsize=7, xytext=(3, 2), textcoords="offset points")
        for name in RIVALS:
            m = screens["methods"][name]
            ax.scatter(m[x], m[y], marker="*", s=140, color="tab:red")
            ax.annotate(name, (m[x], m[y]), fontsize=8, color="tab:red", xytext=(4, -10), textcoords="offset points")
        ax.set(xlabel=x, ylabel=y, title=f"{y} against {x}, test cases 2 and 34", xlim=limits[x], ylim=limits[y])
    legend = "\n".join(f"{i}: {describe(s)}" + (" (off a plane)" if i in off else "")
                       for i, s in enumerate(screens["screens"], 1))
    fig.text(1.0, 0.5, legend, fontsize=6.5, va="center", family="monospace")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return off


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screens", type=Path, default=Path("results/tutorial_cpu/harvard_fusion_screen.json"))
    parser.add_argument("--out", type=Path, default=Path("results/tutorial_cpu/harvard_fusion_screens.png"))
    args = parser.parse_args(argv)
    off = plot_screens(json.loads(args.screens.read_text()), args.out)
    print(f"{args.out} (screens off a plane: {sorted(off)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
