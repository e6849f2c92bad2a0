"""Colour fusion of MRI with SPECT and PET on the Harvard cases by the classical methods, scored on the luminance
and on colour fidelity.

    python scripts/harvard_colour_fusion.py --slices 3

Every case of the SPECT-MRI (T2 + SPECT) and PET-MRI (T1 + PET) pairs: ``--slices`` evenly spaced slices, each fused
by every classical method except CS-MCA (minutes per 256 x 256 slice) on the YCbCr luminance
(:func:`~ivan_core.baselines.fusion.rules.fuse_colour`). Scores per slice, averaged per case: the twelve fusion metrics
of :func:`~ivan_core.metrics.fusion_metrics` on the luminance (sources: the MRI and the functional image's luminance;
POLARITY asks the functional image's bright uptake to stay bright inside the head), and COLOUR, the mean CIEDE2000
difference from the functional image in its active region (:func:`~ivan_core.metrics.colour_fidelity`, lower is
better). Tables, mean ± std over cases, go to ``--results`` (``harvard_colour_fusion.md`` and ``.json``). No
network is trained here.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

from ivan_core.baselines.fusion import METHODS, fuse_colour, luminance
from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.metrics import FUSION_METRICS, colour_fidelity, fusion_metrics
from ivan_core.tutorial.experiment import harvard_cases
from ivan_core.tutorial.fusion_study import evenly_spaced
from ivan_core.tutorial.reporting import markdown_table, metrics_table

#: Pair -> (grey MRI, colour functional image).
PAIRS = {"SPECT-MRI": ("T2", "SPECT_rgb"), "PET-MRI": ("T1", "PET_rgb")}


def case_rows(case, mri: str, functional: str, methods: list[str], slices: int) -> list[dict]:
    """One row per method: every metric averaged over ``slices`` evenly spaced slices of ``case``."""
    sub = evenly_spaced(case, slices)
    per_method: dict[str, list[dict]] = {m: [] for m in methods}
    for k in range(sub.n_slices):
        grey, rgb = sub[mri][k], sub[functional][k]
        for method in methods:
            fused = fuse_colour(METHODS[method], grey, rgb)
            scores = fusion_metrics(grey, luminance(rgb), luminance(fused), mask=sub.mask[k])
            per_method[method].append({**scores, "COLOUR": colour_fidelity(fused, rgb)})
    return [{"subject": case.name, "method": m, **{key: float(np.nanmean([s[key] for s in scores]))
                                                   for key in scores[0]}} for m, scores in per_method.items()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aanlib", default=None, help="folder of the Harvard pairs (default: IVAN_AANLIB, then "
                                                       "../shared/data/aanlib)")
    parser.add_argument("--slices", type=int, default=3, help="evenly spaced slices per case")
    parser.add_argument("--results", type=Path, default=Path("results/tutorial_cpu"))
    args = parser.parse_args(argv)
    methods = [m for m in METHODS if m != "cs_mca"]
    metrics = (*FUSION_METRICS, "COLOUR")
    out, sections = {}, []
    for pair, (mri, functional) in PAIRS.items():
        cases = harvard_cases(pair, args.aanlib)
        if cases is None:
            return 2
        rows = [r for case in cases for r in case_rows(case, mri, functional, methods, args.slices)]
        out[pair] = rows
        table = metrics_table(rows, by=("method",), metrics=metrics)
        sections.append(f"## {pair}: {mri} with colour {functional.removesuffix('_rgb')}, {len(cases)} cases\n\n"
                        + markdown_table(table.to_dict("records")))
        print(pair, "done", flush=True)
    command = shlex.join(["python", "scripts/harvard_colour_fusion.py", *argv])
    write_json(args.results / "harvard_colour_fusion.json", {"command": command, "slices": args.slices, "rows": out})
    atomic_write_text(args.results / "harvard_colour_fusion.md",
                      "# Colour fusion of MRI with SPECT and PET (Harvard atlas), classical methods\n\n"
                      f"`{command}`. Each method fuses the MRI with the functional image's YCbCr luminance and keeps "
                      f"its chroma; {args.slices} evenly spaced slices per case, mean ± std over cases. The twelve "
                      "fusion metrics are computed on the luminance (higher is better; POLARITY: the functional "
                      "image's bright uptake stays bright); COLOUR is the mean CIEDE2000 difference from the "
                      "functional image in its active region (lower is better; about 1 is just visible). CS-MCA is "
                      "left out (minutes per slice). No iVAN network yet.\n\n" + "\n\n".join(sections) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
