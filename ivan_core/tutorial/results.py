"""Per-notebook result files and the run summary.

Rows are ``{"notebook", "task", "metric", "value", "paper", "std", "n", "paper_std"}`` (the last three optional).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.tutorial.paper import PaperNumber

#: Keys every result row has.
KEYS = ("notebook", "task", "metric", "value", "paper")
#: Keys :func:`result_row` adds: spread and count over test subjects, and the paper's ±.
SPREAD_KEYS = ("std", "n", "paper_std")


def _number(x: float | None) -> float | None:
    return None if x is None else float(x)


def result_row(notebook: str, task: str, metric: str, value: float, paper: float | PaperNumber | None = None,
               *, std: float | None = None, n: int | None = None, paper_std: float | None = None) -> dict:
    """One reported number: ``value`` (mean over ``n`` subjects, spread ``std``) and the paper's number.

    A :class:`~ivan_core.tutorial.paper.PaperNumber` ``paper`` fills ``paper_std`` unless given.
    """
    if isinstance(paper, PaperNumber):
        paper_std = paper.std if paper_std is None else paper_std
        paper = paper.value
    return {"notebook": notebook, "task": task, "metric": metric, "value": float(value), "paper": _number(paper),
            "std": _number(std), "n": None if n is None else int(n), "paper_std": _number(paper_std)}


def write_results(output_dir: str | Path, rows: Sequence[dict]) -> Path:
    """Write ``rows`` to ``output_dir/results.json``; rows with other keys raise ValueError."""
    for row in rows:
        if set(row) not in (set(KEYS), set(KEYS + SPREAD_KEYS)):
            raise ValueError(f"result row {row} must have exactly the keys {KEYS} (optionally with {SPREAD_KEYS})")
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


def _significant(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, rounded as its decimal form reads (2.2150 gives 2.22, where
    ``f"{2.215:.3g}"`` rounds the binary float below it down to 2.21)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:.{digits}g}"
    places = digits - 1 - math.floor(math.log10(abs(value)))
    return f"{float(round(Decimal(repr(float(value))), places)):.{digits}g}"


def format_value(value: float | None, std: float | None = None) -> str:
    """A reported number as the summaries print it: 4 significant digits, ``± std`` with 3, ``–`` for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return _significant(value, 4) if std is None else f"{_significant(value, 4)} ± {_significant(std, 3)}"


def to_markdown(rows: Sequence[dict]) -> str:
    """A markdown table of result rows; ``mean ± std`` where a row has a spread."""
    lines = ["| notebook | task | metric | value | paper |", "| --- | --- | --- | ---: | ---: |"]
    lines += [f"| {r['notebook']} | {r['task']} | {r['metric']} | {format_value(r['value'], r.get('std'))} "
              f"| {format_value(r['paper'], r.get('paper_std'))} |" for r in rows]
    return "\n".join(lines) + "\n"
