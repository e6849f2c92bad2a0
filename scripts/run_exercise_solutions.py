"""Run a notebook's exercise solutions: each solution's code appended to a copy of the notebook, run with papermill.

    python scripts/run_exercise_solutions.py 05_mri_to_pet [--profile tutorial]

Solutions marked ``# rerun`` (run the notebook again) or ``# trains`` (a new network) are left out. Prints what each
solution printed, or its error, so the numbers quoted in the solutions can be checked against a run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

SOLUTION = re.compile(r"<summary>Solution</summary>\s*```python\n(.*?)```", re.S)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook", help="a notebook's name without .ipynb, e.g. 05_mri_to_pet")
    parser.add_argument("--profile", default="tutorial")
    args = parser.parse_args(argv)
    nb = nbformat.read(Path("notebooks") / f"{args.notebook}.ipynb", as_version=4)
    exercises = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    blocks = [b for b in SOLUTION.findall(exercises.source) if "# rerun" not in b and "# trains" not in b]
    at = nb.cells.index(exercises) + 1
    for k, block in enumerate(blocks):
        code = "\n".join(line[3:] if line.startswith("   ") else line for line in block.split("\n"))
        nb.cells.insert(at + k, nbformat.v4.new_code_cell(f"# SOLUTION {k + 1}\n{code}"))
    with tempfile.TemporaryDirectory() as tmp:
        source, executed = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(nb, source)
        done = subprocess.run([sys.executable, "-m", "papermill", "-p", "profile", args.profile, "-p", "output_dir", tmp,
                               str(source), str(executed), "--cwd", "notebooks", "--log-level", "ERROR"],
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stderr[-2000:])
        for cell in nbformat.read(executed, as_version=4).cells:
            if cell.cell_type == "code" and cell.source.startswith("# SOLUTION"):
                shown = [o.get("text") or f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs
                         if o.get("output_type") in ("stream", "error")]
                print(cell.source.split("\n")[0], "".join(shown).strip())
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
