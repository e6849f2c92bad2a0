"""Atomic file writes: the one helper every file of this package is written through."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

_UMASK = os.umask(0)
os.umask(_UMASK)


def _temp_prefix(path: Path) -> str:
    """Temporary files of ``path`` are ``.<name>.<pid>.<random>.tmp``: the pid says whether their writer still runs."""
    return f".{path.name}."


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None], exclusive: bool = False) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path``, fsync it and move it into place; an interrupted
    write leaves the old file (or none), never half a file.

    ``exclusive``: the move fails with FileExistsError when ``path`` exists by then (another run took it), instead
    of replacing it (a hard link, atomic on POSIX file systems; where links are refused, a check right before).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; give it the usual permissions
        if exclusive:
            _place_exclusive(Path(tmp), path)
        else:
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _place_exclusive(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # FileExistsError if another writer got there first
    except FileExistsError:
        raise FileExistsError(f"{path}: was written by someone else while this ran; nothing replaced it") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(f"{path}: was written by someone else while this ran; nothing replaced it") from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Temporary files :func:`atomic_write` left beside ``path`` in runs that were killed (their process is gone)."""
    path = Path(path)
    stale = []
    for tmp in path.parent.glob(f"{_temp_prefix(path)}*.tmp"):
        pid = tmp.name[len(_temp_prefix(path)):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            stale.append(tmp)
    return sorted(stale)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, see :func:`atomic_write`."""
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Atomically write ``data`` as indented JSON (non-finite floats become null)."""
    return atomic_write_text(path, json.dumps(_finite(data), indent=2) + "\n")


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if data == data and abs(data) != float("inf") else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
