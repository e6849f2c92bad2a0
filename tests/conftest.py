"""Shared fixtures: small hand-made subjects that need no phantom build."""

import numpy as np
import pytest

from ivan_core.data import Subject


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
