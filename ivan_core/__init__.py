"""iVAN: invertible networks with variable augmentation for medical image synthesis and fusion.

The public API is this module's ``__all__``; every name loads on first use, so ``import ivan_core`` is instant
and ``from ivan_core import IVAN, get_task`` needs torch and numpy only.

>>> from ivan_core import IVAN, get_task
>>> task = get_task("t1pd_to_t2")
>>> net = IVAN(task.channels, n_blocks=8, hidden=32)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public names loaded on first use, by the module that holds them.
_LAZY = {
    "ivan_core.core.model": ("IVAN", "Invertible", "ModelConfig"),
    "ivan_core.core.tasks": ("TASKS", "Task", "get_task"),
    "ivan_core.core.subject": ("Subject",),
    "ivan_core.core.training": ("TrainConfig", "train"),
    "ivan_core.core.training.pairs": ("TaskDataset",),
    "ivan_core.core.training.checkpoint": ("load_model",),
    "ivan_core.core.inference": ("synthesise", "recover"),
    "ivan_core.data": ("make_phantom", "load_aanlib", "load_nifti", "load_paired_folder", "split_subjects",
                       "case_folds"),
    "ivan_core.metrics": ("psnr", "ssim", "nmse", "fusion_metrics"),
    "ivan_core.evaluation": ("score",),
    "ivan_core.baselines.fusion": ("fuse",),
    "ivan_core.store": ("available", "load_pretrained"),
    "ivan_core.tutorial.profiles": ("get_profile",),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [*_WHERE, "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'ivan_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
