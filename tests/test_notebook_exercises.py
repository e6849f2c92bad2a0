"""The notebooks' endings: every exercise has a solution whose code is valid Python, and closings stay short."""

import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTION = re.compile(r"<summary>Solution</summary>\s*```python\n(.*?)```", re.S)


def exercises(path: Path) -> str:
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    return next((c.source for c in cells if c.source.startswith("## Exercises")), "")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_every_solution_parses(path):
    for block in SOLUTION.findall(exercises(path)):
        ast.parse("\n".join(line[3:] if line.startswith("   ") else line for line in block.split("\n")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_every_exercise_has_a_solution(path):
    text = exercises(path)
    assert text, f"{path.name} has no '## Exercises' cell"
    assert len(SOLUTION.findall(text)) == len(re.findall(r"^\d+\. \*\*", text, re.M)), "an exercise without a solution"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_closing_at_most_300_words(path):
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    closing = next((s for s in cells if s.startswith("## What the numbers mean")), "")
    assert closing, f"{path.name} has no '## What the numbers mean' closing"
    assert len(closing.split()) <= 300, f"{path.name}: the closing has {len(closing.split())} words"
