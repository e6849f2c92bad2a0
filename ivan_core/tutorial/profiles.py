"""Run profiles: ``smoke`` (seconds, tests), ``tutorial`` (laptop CPU), ``paper`` (the paper's settings, GPU)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ivan_core.core.training import TrainConfig


@dataclass(frozen=True)
class Profile:
    """Sizes for one run.

    Parameters
    ----------
    n_subjects, size, n_slices : int
        Phantom subjects, image side, slices per subject.
    split : tuple of int
        Subjects for (train, val, test).
    patch : int or None
        Train on random ``patch x patch`` crops; None trains on whole images.
    n_blocks, hidden, levels, epochs, batch_size, lr, lr_step, lr_gamma, max_steps_per_epoch, lam, norm, ema
        As in :class:`~ivan_core.core.training.TrainConfig`.
    fusion : dict
        TrainConfig overrides for T2 + CT fusion; empty: fusion trains like synthesis.
    """

    name: str
    n_subjects: int
    size: int
    n_slices: int
    split: tuple[int, int, int]
    n_blocks: int
    hidden: int
    epochs: int
    batch_size: int
    patch: int | None
    lr: float
    lr_step: int
    lr_gamma: float = 0.5
    max_steps_per_epoch: int | None = None
    levels: int = 0
    lam: float = 1.0
    norm: str = "l2"
    ema: float = 0.0
    fusion: dict[str, Any] = field(default_factory=dict)

    def train_config(self, **overrides: Any) -> TrainConfig:
        """The profile's :class:`~ivan_core.core.training.TrainConfig`, then ``overrides``."""
        base = TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, lr_step=self.lr_step,
                           lr_gamma=self.lr_gamma, n_blocks=self.n_blocks, hidden=self.hidden,
                           max_steps_per_epoch=self.max_steps_per_epoch, levels=self.levels, lam=self.lam,
                           norm=self.norm, ema=self.ema)
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for results files."""
        return asdict(self)


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", n_subjects=4, size=48, n_slices=3, split=(2, 1, 1), n_blocks=2,
                     hidden=8, epochs=2, batch_size=4, patch=32, lr=1e-3, lr_step=1,
                     max_steps_per_epoch=2),
    "tutorial": Profile("tutorial", n_subjects=20, size=128, n_slices=12, split=(14, 2, 4),
                        n_blocks=4, hidden=16, epochs=150, batch_size=8, patch=48, lr=1e-3,
                        lr_step=50, max_steps_per_epoch=20, levels=1, lam=64.0, norm="l1", ema=0.998,
                        fusion={"levels": 0, "epochs": 50, "lr_step": 20, "ema": 0.0, "norm": "l2"}),
    "paper": Profile("paper", n_subjects=24, size=256, n_slices=32, split=(16, 4, 4), n_blocks=8,
                     hidden=32, epochs=300, batch_size=4, patch=None, lr=1e-4, lr_step=50),
}


def get_profile(name: str | Profile, **overrides: Any) -> Profile:
    """Return profile ``name`` with optional field overrides (e.g. ``epochs=5``)."""
    if isinstance(name, Profile):
        profile = name
    else:
        try:
            profile = PROFILES[name]
        except KeyError:
            raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None
    return replace(profile, **overrides) if overrides else profile
