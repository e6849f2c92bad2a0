"""Run profiles: ``smoke`` (seconds, tests), ``tutorial`` (laptop CPU), ``paper`` (the paper's settings, GPU)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ivan_core.core.model import ModelConfig
from ivan_core.core.training import TrainConfig


@dataclass(frozen=True)
class Profile:
    """The data sizes and the training of one kind of run; every behaviour that differs by profile is a field.

    Parameters
    ----------
    n_subjects, size, n_slices : int
        Phantom subjects, image side, slices per subject.
    split : tuple of int
        Subjects for (train, val, test).
    patch : int or None
        Train on random ``patch x patch`` crops; None trains on whole images.
    model : ModelConfig
        The iVAN network.
    train : TrainConfig
        How iVAN (and, with its budget, every baseline) trains.
    fusion : dict
        :meth:`changed` fields for T2 + CT fusion; empty: fusion trains like synthesis.
    harvard_fusion : dict
        :meth:`changed` fields on top of ``fusion`` for the real Harvard CT-MRI cases (a frozen recipe), and
        ``signed_edges``, the edge term it was frozen with.
    measured_recipe : bool
        Notebook 10 may show the stored learning curves (they were measured in this profile).
    curve : dict
        :meth:`changed` fields for every learning curve of notebook 10 (e.g. shorter ones).
    signed_edges : bool
        Fusion's edge terms keep the sign of the sources' edges (see notebook 06).
    fusion_slices : int or None
        Slices of each phantom test subject that notebook 06 fuses and scores with every method, evenly spaced
        (the slow classical methods cost per slice); None: all of them.
    """

    name: str
    n_subjects: int
    size: int
    n_slices: int
    split: tuple[int, int, int]
    patch: int | None
    model: ModelConfig
    train: TrainConfig
    fusion: dict[str, Any] = field(default_factory=dict)
    harvard_fusion: dict[str, Any] = field(default_factory=dict)
    measured_recipe: bool = False
    curve: dict[str, Any] = field(default_factory=dict)
    signed_edges: bool = True
    fusion_slices: int | None = None

    def changed(self, **changes: Any) -> Profile:
        """This profile with ``changes`` to fields of :attr:`model` (ModelConfig), :attr:`train` (TrainConfig) or
        itself, e.g. ``changed(n_blocks=6, lam=4.0, patch=32)``; any other name raises TypeError."""
        model_fields, train_fields = {f.name for f in fields(ModelConfig)}, {f.name for f in fields(TrainConfig)}
        own = {f.name for f in fields(Profile)} - {"name", "model", "train"}
        unknown = sorted(set(changes) - model_fields - train_fields - own)
        if unknown:
            raise TypeError(f"{unknown} are fields of neither ModelConfig {sorted(model_fields)}, TrainConfig "
                            f"{sorted(train_fields)} nor Profile {sorted(own)}")
        return replace(self, **{k: v for k, v in changes.items() if k in own},
                       model=replace(self.model, **{k: v for k, v in changes.items() if k in model_fields}),
                       train=replace(self.train, **{k: v for k, v in changes.items() if k in train_fields}))

    def settings(self) -> dict[str, Any]:
        """Every field of :attr:`model` and :attr:`train` in one flat dict (as a model key's ``config``)."""
        return {**asdict(self.train), **asdict(self.model)}

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for results files."""
        return asdict(self)


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", n_subjects=4, size=48, n_slices=3, split=(2, 1, 1), patch=32,
                     model=ModelConfig(n_blocks=2, hidden=8),
                     train=TrainConfig(epochs=2, batch_size=4, lr=1e-3, lr_step=1, max_steps_per_epoch=2),
                     curve={"epochs": 2, "val_every": 1}),
    "tutorial": Profile("tutorial", n_subjects=20, size=128, n_slices=12, split=(14, 2, 4), patch=48,
                        model=ModelConfig(n_blocks=4, hidden=16, levels=1),
                        train=TrainConfig(epochs=150, batch_size=8, lr=1e-3, lr_step=50, max_steps_per_epoch=20,
                                          lam=64.0, norm="l1", ema=0.998),
                        fusion={"levels": 0, "epochs": 50, "lr_step": 20, "ema": 0.0, "norm": "l2"},
                        harvard_fusion={"levels": 1, "epochs": 150, "lr_step": 60, "signed_edges": False},
                        measured_recipe=True, fusion_slices=2),
    "paper": Profile("paper", n_subjects=24, size=256, n_slices=32, split=(16, 4, 4), patch=None,
                     model=ModelConfig(n_blocks=8, hidden=32),
                     train=TrainConfig(epochs=300, batch_size=4, lr=1e-4, lr_step=50)),
}


def get_profile(name: str | Profile, **changes: Any) -> Profile:
    """Profile ``name`` (or ``name`` itself when a Profile), with optional field ``changes`` (e.g. ``size=32``)."""
    if isinstance(name, Profile):
        profile = name
    else:
        try:
            profile = PROFILES[name]
        except KeyError:
            raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None
    return replace(profile, **changes) if changes else profile
