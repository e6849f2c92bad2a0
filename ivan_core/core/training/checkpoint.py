"""Atomic, safely loadable checkpoints and trained-model files: writes go through :func:`os.replace`,
reads use ``weights_only=True``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ivan_core.core.io import atomic_write
from ivan_core.core.model import IVAN
from ivan_core.core.tasks import Task


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save(obj, path)`` through :func:`ivan_core.core.io.atomic_write`."""
    return atomic_write(path, lambda fh: torch.save(obj, fh))


def safe_load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a file written by :func:`atomic_save` with ``weights_only=True``; FileNotFoundError when missing,
    ValueError when unreadable (e.g. truncated)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:
        raise ValueError(
            f"{path} is not a readable iVAN checkpoint ({err.__class__.__name__}: {err}); "
            "it may be truncated or not a weights-only file, delete it and train again"
        ) from err


def task_to_dict(task: Task) -> dict[str, Any]:
    """Plain-data form of a :class:`Task` (safe to store in a checkpoint)."""
    return {"name": task.name, "x_layout": list(task.x_layout), "y_layout": list(task.y_layout),
            "description": task.description}


def task_from_dict(data: dict[str, Any]) -> Task:
    """Inverse of :func:`task_to_dict`."""
    return Task(data["name"], tuple(data["x_layout"]), tuple(data["y_layout"]), data.get("description", ""))


def save_model(path: str | os.PathLike, net: IVAN, task: Task, meta: dict[str, Any] | None = None) -> Path:
    """Write a trained network, its task and plain-data ``meta`` to ``path``."""
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    return atomic_save({"model": state, "config": dict(net.config), "task": task_to_dict(task),
                        "meta": meta or {}}, path)


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[IVAN, Task, dict[str, Any]]:
    """Read ``(net, task, meta)`` from a :func:`save_model` file or a training checkpoint (its weight average if kept).
    ``net`` is in eval mode on ``device``; a checkpoint's ``meta`` is ``{"train_config", "epochs"}``."""
    data = safe_load(path)
    if "config" in data:
        config, meta = data["config"], data.get("meta", {})
    elif "model_config" in data:
        config, meta = data["model_config"], {"train_config": data.get("train_config", {}), "epochs": data["epoch"]}
    else:
        raise ValueError(f"{path} holds neither a trained model (key 'config') nor a training checkpoint "
                         f"(key 'model_config'); its keys are {sorted(data)}")
    net = IVAN(**config)
    net.load_state_dict(data.get("average_model", data["model"]))
    return net.to(device).eval(), task_from_dict(data["task"]), meta
