"""Output files of a command, checked before any work: right suffix, free (or ``--overwrite``), never an input,
in a folder that can be written; what killed runs left beside them is removed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path


def check_outputs(outputs: Mapping[str, Path], allowed: Sequence[str], what: str, overwrite: bool,
                  inputs: Mapping[str, Path]) -> None:
    """ValueError / FileExistsError / PermissionError, each naming the file and the fix, unless every output can
    be written; then stale temporaries of earlier killed runs beside the outputs are deleted (and named)."""
    from ivan_core.core.io import stale_temporaries

    unknown = sorted(set(outputs) - set(allowed))
    if unknown:
        raise ValueError(f"--output {', '.join(unknown)}: {what} gives {', '.join(allowed)}")
    seen: dict[Path, str] = {}
    for modality, path in outputs.items():
        if not path.name.endswith((".nii", ".nii.gz")):
            raise ValueError(f"{path}: outputs are NIfTI; use a .nii or .nii.gz suffix")
        if path.resolve() in seen:
            raise ValueError(f"--output {seen[path.resolve()]} and {modality} both name {path}; give each its own file")
        seen[path.resolve()] = modality
        for source in inputs.values():
            if path.resolve() == source.resolve() or path.exists() and source.exists() and os.path.samefile(path, source):
                raise ValueError(f"{path}: is the input {source}; an output never replaces an input, even with "
                                 "--overwrite: choose another path")
        if path.is_dir():
            raise ValueError(f"{path}: is a folder; give a file name ending in .nii.gz")
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path}: exists; pass --overwrite to replace it or choose another path")
        _check_writable(path.parent)
    for path in outputs.values():
        for tmp in stale_temporaries(path):
            tmp.unlink(missing_ok=True)
            print(f"[ivan] removed {tmp}, left by a run that was killed while writing", flush=True)


def _check_writable(folder: Path) -> None:
    """PermissionError unless a file can be created in ``folder`` (or in the folder that would hold it)."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{folder}: cannot hold files, since {existing} is a file; choose another output folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise PermissionError(f"{folder}: cannot write there ({exc.strerror}); choose a folder you can write "
                              "to") from None
