"""The main job: run every tutorial notebook headless with papermill and summarise."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from ivan_core.core.io import write_json
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.results import collect

#: The notebooks folder of a source checkout.
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: Where a checkout keeps the last measured main job of a profile (``<profile>_cpu/timings.json``): the order of a
#: first run with ``jobs > 1``.
MEASURED = NOTEBOOKS.parent / "results"


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


def _execute(book: Path, out: Path, profile: str, train: bool) -> float:
    """Run one notebook with papermill into ``out``; returns its seconds."""
    import papermill

    print(f"[ivan] running {book.name} ({profile})", flush=True)
    t0 = time.perf_counter()
    parameters = {"profile": profile, "output_dir": str(out / book.stem)}
    if "pretrained" in papermill.inspect_notebook(str(book)):  # only notebooks that load networks
        parameters["pretrained"] = not train
    papermill.execute_notebook(str(book), str(out / book.name), cwd=str(book.parent), parameters=parameters,
                               progress_bar=False, log_output=False)
    return round(time.perf_counter() - t0, 1)


def run_all(profile: str, out: str | Path | None = None, only: list[str] | None = None,
            folder: str | Path = NOTEBOOKS, train: bool = False, jobs: int = 1) -> list[dict]:
    """Execute notebooks with papermill into ``out`` (default ``runs/<profile>``) and write the summary.

    Each notebook gets ``profile``, ``output_dir=<out>/NN_name`` and, where declared, ``pretrained = not train``.
    With ``jobs > 1`` that many notebooks run at once, each in a process of its own (papermill changes the working
    folder of its process), each kernel with ``cpu_count // jobs`` threads (``OMP_NUM_THREADS``), the longest first
    by the last run in ``out`` or else by the measured run of :data:`MEASURED`. Timings go
    to ``timings.json``; a rerun of ``only`` some notebooks keeps the others' timings and results.
    """
    get_profile(profile)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    out = Path(out or Path("runs") / profile).resolve()
    out.mkdir(parents=True, exist_ok=True)
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else []
    measured = MEASURED / f"{profile}_cpu" / "timings.json"
    hint = timings or (json.loads(measured.read_text()) if measured.exists() else [])
    last = {t["notebook"]: t["seconds"] for t in hint}
    books = find_notebooks(folder, only)
    if jobs > 1:
        books.sort(key=lambda book: -last.get(book.stem, 0.0))

    def record(book: Path, seconds: float) -> None:
        nonlocal timings
        timings = [t for t in timings if t["notebook"] != book.stem] + [{"notebook": book.stem, "seconds": seconds}]
        write_json(timings_path, sorted(timings, key=lambda t: t["notebook"]))

    threads = {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // jobs))} if jobs > 1 else {}
    saved = {name: os.environ.get(name) for name in ("IVAN_PROFILE", *threads)}
    os.environ.pop("IVAN_PROFILE", None)  # the notebooks must use the profile given here
    os.environ.update(threads)  # worker processes and their kernels inherit the environment
    t0 = time.perf_counter()
    try:
        if jobs == 1:
            for book in books:
                record(book, _execute(book, out, profile, train))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(_execute, book, out, profile, train): book for book in books}
                for future in as_completed(futures):
                    record(futures[future], future.result())
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
