"""The main job: run every tutorial notebook headless with papermill and summarise."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ivan_core.core.io import write_json
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.results import collect

#: The notebooks folder of a source checkout.
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def find_notebooks(folder: str | Path = NOTEBOOKS, only: list[str] | None = None) -> list[Path]:
    """Numbered notebooks in ``folder`` (``NN_name.ipynb``), optionally those whose name starts with one of ``only``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {folder}; run from a source checkout of iVAN")
    books = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        books = [p for p in books if any(p.stem.startswith(o) for o in only)]
    if not books:
        raise FileNotFoundError(f"no notebooks matching {only or 'NN_*.ipynb'} in {folder}")
    return books


def run_all(profile: str, out: str | Path | None = None, only: list[str] | None = None,
            folder: str | Path = NOTEBOOKS, train: bool = False) -> list[dict]:
    """Execute notebooks with papermill into ``out`` (default ``runs/<profile>``) and write the summary.

    Each notebook gets ``profile``, ``output_dir=<out>/NN_name`` and, where declared, ``pretrained = not train``.
    Timings go to ``timings.json``; a rerun of ``only`` some notebooks keeps the others' timings and results.
    """
    import papermill

    get_profile(profile)
    out = Path(out or Path("runs") / profile).resolve()
    out.mkdir(parents=True, exist_ok=True)
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else []
    env_profile = os.environ.pop("IVAN_PROFILE", None)  # the notebooks must use the profile given here
    try:
        for book in find_notebooks(folder, only):
            print(f"[ivan] running {book.name} ({profile})", flush=True)
            t0 = time.perf_counter()
            parameters = {"profile": profile, "output_dir": str(out / book.stem)}
            if "pretrained" in papermill.inspect_notebook(str(book)):  # only notebooks that load networks
                parameters["pretrained"] = not train
            papermill.execute_notebook(str(book), str(out / book.name), cwd=str(book.parent), parameters=parameters,
                                       progress_bar=False, log_output=False)
            timings = [t for t in timings if t["notebook"] != book.stem]
            timings.append({"notebook": book.stem, "seconds": round(time.perf_counter() - t0, 1)})
            write_json(timings_path, sorted(timings, key=lambda t: t["notebook"]))
    finally:
        if env_profile is not None:
            os.environ["IVAN_PROFILE"] = env_profile
    rows = collect(out)
    print(f"[ivan] {len(rows)} results in {out / 'summary.md'}")
    return rows
