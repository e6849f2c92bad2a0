"""Per-notebook result files and the run summary the main job writes.

Each notebook calls :func:`write_results` with rows ``{"task", "metric", "value",
"paper"}`` (``paper`` is the paper's number or None); :func:`collect` gathers every
``results.json`` below a run folder into ``summary.json`` and ``summary.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from ivan_core.io import atomic_write_text, write_json

KEYS = ("notebook", "task", "metric", "value", "paper")


def result_row(notebook: str, task: str, metric: str, value: float, paper: float | None = None) -> dict:
    """One reported number."""
    return {"notebook": notebook, "task": task, "metric": metric, "value": float(value),
            "paper": None if paper is None else float(paper)}


def write_results(output_dir: str | Path, rows: Sequence[dict]) -> Path:
    """Write ``rows`` to ``output_dir/results.json`` after checking their keys."""
    for row in rows:
        if set(row) != set(KEYS):
            raise ValueError(f"result row {row} must have exactly the keys {KEYS}")
    return write_json(Path(output_dir) / "results.json", list(rows))


def collect(run_dir: str | Path) -> list[dict]:
    """Gather all ``results.json`` under ``run_dir`` into ``summary.json`` and ``summary.md``."""
    run_dir = Path(run_dir)
    rows: list[dict] = []
    for path in sorted(run_dir.glob("*/results.json")):
        rows.extend(json.loads(path.read_text()))
    write_json(run_dir / "summary.json", rows)
    atomic_write_text(run_dir / "summary.md", to_markdown(rows))
    return rows


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.4g}"


def to_markdown(rows: Sequence[dict]) -> str:
    """A markdown table of result rows."""
    lines = ["| notebook | task | metric | value | paper |", "| --- | --- | --- | ---: | ---: |"]
    lines += [f"| {r['notebook']} | {r['task']} | {r['metric']} | {_fmt(r['value'])} | {_fmt(r['paper'])} |"
              for r in rows]
    return "\n".join(lines) + "\n"
