"""The main job: run every tutorial notebook headless with papermill and summarise."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
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
            folder: str | Path = NOTEBOOKS, train: bool = False, jobs: int = 1) -> list[dict]:
    """Execute notebooks with papermill into ``out`` (default ``runs/<profile>``) and write the summary.

    Each notebook gets ``profile``, ``output_dir=<out>/NN_name`` and, where declared, ``pretrained = not train``.
    With ``jobs > 1`` that many notebooks run at once, the longest of the last run first, each kernel with
    ``cpu_count // jobs`` threads (``OMP_NUM_THREADS``). Timings go to ``timings.json``; a rerun of ``only`` some
    notebooks keeps the others' timings and results.
    """
    import papermill

    get_profile(profile)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    out = Path(out or Path("runs") / profile).resolve()
    out.mkdir(parents=True, exist_ok=True)
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else []
    last = {t["notebook"]: t["seconds"] for t in timings}
    books = find_notebooks(folder, only)
    if jobs > 1:
        books.sort(key=lambda book: -last.get(book.stem, 0.0))
    lock = threading.Lock()

    def execute(book: Path) -> None:
        nonlocal timings
        print(f"[ivan] running {book.name} ({profile})", flush=True)
        t0 = time.perf_counter()
        parameters = {"profile": profile, "output_dir": str(out / book.stem)}
        if "pretrained" in papermill.inspect_notebook(str(book)):  # only notebooks that load networks
            parameters["pretrained"] = not train
        papermill.execute_notebook(str(book), str(out / book.name), cwd=str(book.parent), parameters=parameters,
                                   progress_bar=False, log_output=False)
        with lock:
            timings = [t for t in timings if t["notebook"] != book.stem]
            timings.append({"notebook": book.stem, "seconds": round(time.perf_counter() - t0, 1)})
            write_json(timings_path, sorted(timings, key=lambda t: t["notebook"]))

    threads = {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // jobs))} if jobs > 1 else {}
    saved = {name: os.environ.get(name) for name in ("IVAN_PROFILE", *threads)}
    os.environ.pop("IVAN_PROFILE", None)  # the notebooks must use the profile given here
    os.environ.update(threads)  # kernels inherit the environment when they start
    t0 = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(execute, book) for book in books]:
                future.result()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    rows = collect(out)
    print(f"[ivan] {len(books)} notebooks in {time.perf_counter() - t0:.0f} s; {len(rows)} results in "
          f"{out / 'summary.md'}")
    return rows
