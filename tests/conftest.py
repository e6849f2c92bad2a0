"""Shared fixtures: small hand-made subjects that need no phantom build, a fake Harvard atlas, scripts as modules."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from ivan_core.core.subject import Subject


def make_subject(name: str = "s0", slices: int = 3, size: int = 16, seed: int = 0) -> Subject:
    """A subject whose modalities are fixed functions of one random 'anatomy'."""
    rng = np.random.default_rng(seed)
    base = rng.random((slices, size, size)).astype(np.float32)
    images = {"T1": base, "T2": (1 - base), "PD": 0.5 + 0.4 * base, "CT": base ** 2, "PET": 0.2 + 0.6 * base}
    images["PET_rgb"] = np.stack([images["PET"], 0.5 * images["PET"], 1 - images["PET"]], axis=-1)
    mask = np.zeros((slices, size, size), bool)
    mask[:, 2:-2, 2:-2] = True
    return Subject(name, {k: v.astype(np.float32) for k, v in images.items()}, mask)


@pytest.fixture
def subjects() -> list[Subject]:
    return [make_subject(f"s{i}", seed=i) for i in range(4)]


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported as a module (its ``main(argv)`` can then be called)."""
    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write_fake_atlas(root: Path, cases, slices: int = 1, size: int = 32) -> Path:
    """A Harvard-atlas-shaped folder ``root/CT-MRI/{CT,MRI}/<case><slice:03d>.png`` of random 8-bit pairs."""
    rng = np.random.default_rng(0)
    for modality in ("CT", "MRI"):
        (root / "CT-MRI" / modality).mkdir(parents=True)
    for case in cases:
        for k in range(1, slices + 1):
            for modality in ("CT", "MRI"):
                pixels = (rng.random((size, size)) * 255).astype(np.uint8)
                Image.fromarray(pixels).save(root / "CT-MRI" / modality / f"{case}{k:03d}.png")
    return root
