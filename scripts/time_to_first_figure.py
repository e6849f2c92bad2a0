"""How long a new reader waits: clone, set up the environment, and run notebook 00 to its first figure.

    python scripts/time_to_first_figure.py [--repo .] [--clone-to /tmp/ivan-fresh]

Clones ``--repo`` into an empty folder, runs the README's set-up (``bash scripts/bootstrap.sh``), then executes
``notebooks/00_overview.ipynb`` cell by cell in a kernel of the new environment, as JupyterLab would, and stops
at the first cell that draws a figure. Writes the seconds of each stage to
``results/time_to_first_figure.json`` and the figure to ``results/time_to_first_figure.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

FIRST_FIGURE = r'''
import base64, json, sys, time
import nbformat
from nbclient import NotebookClient
nb = nbformat.read("notebooks/00_overview.ipynb", as_version=4)
client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "notebooks"}})
t0 = time.perf_counter()
with client.setup_kernel():
    started = time.perf_counter() - t0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        client.execute_cell(cell, index)
        figures = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if figures:
            open(sys.argv[1], "wb").write(base64.b64decode(figures[0]))
            print(json.dumps({"kernel_start_s": started, "cells_s": time.perf_counter() - t0 - started, "cell": index}))
            break
    else:
        raise SystemExit("notebook 00 drew no figure")
'''


def _timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, done.stdout


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=Path("."))
    parser.add_argument("--clone-to", type=Path, default=Path("/tmp/ivan-fresh"))
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    if args.clone_to.exists():
        shutil.rmtree(args.clone_to)
    clone_s, _ = _timed(["git", "clone", "--quiet", str(args.repo.resolve()), str(args.clone_to)], Path.cwd())
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "IVAN_PROFILE")}
    setup_s, _ = _timed(["bash", "scripts/bootstrap.sh", "python", "-c", "import ivan_core"], args.clone_to, env)
    figure = args.out.resolve() / "time_to_first_figure.png"
    notebook_s, out = _timed([str(args.clone_to / ".venv/bin/python"), "-c", FIRST_FIGURE, str(figure)],
                             args.clone_to, env)
    stages = json.loads(out.strip().splitlines()[-1])
    record = {"command": "python scripts/time_to_first_figure.py " + " ".join(argv),
              "clone_s": round(clone_s, 1), "setup_s": round(setup_s, 1),
              "kernel_start_s": round(stages["kernel_start_s"], 1), "cells_to_first_figure_s": round(stages["cells_s"], 1),
              "notebook_s": round(notebook_s, 1), "total_s": round(clone_s + setup_s + notebook_s, 1),
              "first_figure_cell": stages["cell"], "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "figure": str(figure.name)}
    (args.out / "time_to_first_figure.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
