"""The notebooks' exercises: every solution's code is valid Python and names a runtime where the notebook has solutions."""

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
def test_notebooks_with_solutions_give_one_per_exercise(path):
    text = exercises(path)
    solutions = len(SOLUTION.findall(text))
    if solutions:
        assert solutions == len(re.findall(r"^\d+\. \*\*", text, re.M)), "an exercise without a solution"
