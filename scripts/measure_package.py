"""Lines per layer, the docstrings' share and the time ``from ivan_core import IVAN, get_task`` takes after torch.

    python scripts/measure_package.py [--repeats 5]

Import times are the median of fresh interpreters; run it on idle cores for numbers you compare.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ivan_core"
HEAVY = ("scipy", "skimage", "matplotlib", "PIL", "sporco", "monai", "pandas", "sklearn")
PROBE = ("import sys, time; import torch; t = time.perf_counter(); from ivan_core import IVAN, get_task; "
         f"print(time.perf_counter() - t, ','.join(m for m in {HEAVY!r} if m in sys.modules))")


def layer_lines() -> tuple[Counter, int]:
    """Lines of each top-level unit of the package, and the docstring lines of all of them."""
    lines, doc = Counter(), 0
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        parts = path.relative_to(PACKAGE).parts
        lines[parts[0] if len(parts) > 1 else "__init__ / __main__"] += len(source.splitlines())
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and ast.get_docstring(node, clean=False) is not None:
                doc += node.body[0].end_lineno - node.body[0].lineno + 1
    return lines, doc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    lines, doc = layer_lines()
    total = sum(lines.values())
    for unit, n in sorted(lines.items()):
        print(f"{unit:22s} {n:6d}")
    print(f"{'total':22s} {total:6d}   docstrings {doc} lines ({doc / total:.1%})")
    runs = [subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(args.repeats)]
    seconds = statistics.median(float(r[0]) for r in runs)
    heavy = {m for r in runs for m in (r[1].split(",") if len(r) > 1 else [])}
    print(f"from ivan_core import IVAN, get_task after torch: {seconds:.3f} s (median of {args.repeats}); "
          f"heavy modules loaded: {sorted(heavy) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
