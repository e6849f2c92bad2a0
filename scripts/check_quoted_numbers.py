"""Check that every decimal number the notebooks' markdown quotes is one their executed copies print.

    python scripts/check_quoted_numbers.py                       # every notebook against results/tutorial_cpu/executed
    python scripts/check_quoted_numbers.py --executed runs/main-job 03_t1_to_t2

A quoted number ``x`` with ``d`` decimals matches when some number in the executed copy's outputs, or in a file
under ``results/`` that the same markdown cell names, rounds to ``x`` at ``d`` decimals (signs and the typographic
minus are kept). Markdown is read from ``notebooks/`` (the text a reader gets), outputs from the executed copies.
Unmatched numbers are listed per cell, for a person to judge: the paper's own numbers, numbers of another run that
the text names, and arithmetic on printed numbers are expected there. Exit status 0 always; the list is the result.
"""

from __future__ import annotations

import argparse
import re
import sys
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"(?<![\w.])[-−]?\d+\.\d+(?![\w.]*\d)")
FILE = re.compile(r"`((?:results|\.\./results)/[^`\s]+\.(?:md|json))`")


def numbers(text: str) -> list[str]:
    """The decimal numbers in ``text``, typographic minus as ``-``."""
    return [m.replace("−", "-") for m in NUMBER.findall(text)]


def printed(nb: nbformat.NotebookNode) -> str:
    """Every text output of an executed notebook: streams, plain text and HTML of results."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            for kind in ("text/plain", "text/html", "text/markdown"):
                data = out.get("data", {}).get(kind)
                if data:
                    parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


def rounded_forms(values: list[str]) -> set[tuple[int, Decimal]]:
    """Each value rounded (half up and half even) to 0-8 decimals, as ``(decimals, value)``."""
    forms = set()
    for v in values:
        d = Decimal(v)
        for places in range(9):
            q = Decimal(1).scaleb(-places)
            forms |= {(places, d.quantize(q, rounding=r)) for r in (ROUND_HALF_UP, ROUND_HALF_EVEN)}
    return forms


def unmatched(markdown: str, sources: str) -> list[str]:
    """The numbers of ``markdown`` no number of ``sources`` rounds to."""
    forms = rounded_forms(numbers(sources))
    out = []
    for q in numbers(markdown):
        places = len(q.split(".")[1])
        if places > 8 or (places, Decimal(q)) not in forms:
            out.append(q)
    return out


def check(name: str, executed: Path) -> list[tuple[int, list[str]]]:
    """``(cell index, unmatched numbers)`` for every markdown cell of ``notebooks/<name>.ipynb`` with any."""
    text_nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    run = printed(nbformat.read(executed / f"{name}.ipynb", as_version=4))
    report = []
    for i, cell in enumerate(text_nb.cells):
        if cell.cell_type != "markdown":
            continue
        files = [ROOT / f.removeprefix("../") for f in FILE.findall(cell.source)]
        extra = "\n".join(f.read_text() for f in files if f.is_file())
        missing = unmatched(cell.source, run + "\n" + extra)
        if missing:
            report.append((i, missing))
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="notebook names without .ipynb (default: all)")
    parser.add_argument("--executed", type=Path, default=ROOT / "results" / "tutorial_cpu" / "executed")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0
    for name in names:
        for i, missing in check(name, args.executed):
            total += len(missing)
            print(f"{name} cell {i}: {', '.join(missing)}")
    print(f"{total} quoted number(s) not found in the executed copies or the files their cells name")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
