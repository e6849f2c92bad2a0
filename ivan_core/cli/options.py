"""Argument types and texts shared by the commands; light to import (no torch), so ``ivan --help`` is instant."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

#: The profiles' names (:data:`ivan_core.tutorial.profiles.PROFILES`, which loads torch; a test keeps them equal).
PROFILE_NAMES = ("paper", "smoke", "tutorial")


def positive_int(text: str) -> int:
    """An integer of at least 1, else an argparse error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small; give 1 or more")
    return value


def regex(text: str) -> str:
    """A regular expression with at least one group, else an argparse error."""
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular expression ({exc}); e.g. '(\\d+)_'") from None
    if not pattern.groups:
        raise argparse.ArgumentTypeError(f"{text!r} has no group; put the subject in one, e.g. '(\\d+)_'")
    return text


def modality_path(text: str) -> tuple[str, Path]:
    """``MODALITY=PATH``, else an argparse error."""
    modality, sep, path = text.partition("=")
    if not sep or not modality or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MODALITY=PATH, e.g. T1=t1.nii.gz")
    return modality, Path(path)


def by_modality(items: Sequence[tuple[str, Path]], flag: str) -> dict[str, Path]:
    """``{modality: path}`` of repeated ``flag`` values; ValueError when a modality is given twice."""
    found: dict[str, Path] = {}
    for modality, path in items:
        if modality in found:
            raise ValueError(f"{flag} {modality}= is given twice ({found[modality]} and {path}); give it once")
        found[modality] = path
    return found


def task_list(inverse: bool = False) -> str:
    """Every task with the modalities it takes and gives (``*_rgb``: colour), for help texts."""
    from ivan_core.core.tasks import TASKS

    lines = ["tasks (modalities in -> out; *_rgb is a colour volume):"]
    for task in TASKS.values():
        given, wanted = (task.outputs, task.inputs) if inverse else (task.inputs, task.outputs)
        lines.append(f"  {task.name:16s} {' + '.join(given)} -> {' + '.join(wanted)}")
    return "\n".join(lines)
