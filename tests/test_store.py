"""The model store keeps anything that follows its protocol: trained once, cached, shipped, loaded back."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import make_subject
from ivan_core.core.io import sha256
from ivan_core.core.tasks import get_task
from ivan_core.core.training.checkpoint import atomic_save, safe_load
from ivan_core.store import PretrainedMismatchError, card_for_key, cards, checked_path, obtain, run_folder, ship


class MeanModel:
    """The smallest model under the protocol: predicts the training mean of the target everywhere."""

    kind, filename, name = "mean", "mean.pt", "mean"

    def __init__(self, offset: float = 0.0):
        self.task, self.offset = get_task("t1_to_t2"), offset
        self.value, self.steps, self.seconds, self.history, self.source = None, 0, 0.0, [], None
        self.fits = 0

    def key(self, train, val):
        return {"task": {"name": self.task.name}, "config": {"seed": 0, "offset": self.offset}, "patch": None,
                "train": [[s.name, s.fingerprint(self.task.modalities)] for s in train], "val": []}

    def folder_name(self, key):
        from ivan_core.core.training.cache_key import key_hash

        return f"mean-{key_hash(key)}"

    def describe(self):
        return {"offset": self.offset}

    def fit(self, train, val, out_dir, progress):
        self.value = float(np.mean([s["T2"].mean() for s in train])) + self.offset
        self.steps, self.fits = 1, self.fits + 1

    def save(self, path):
        return atomic_save({"value": torch.tensor(self.value)}, path)

    def load(self, path):
        self.value = float(safe_load(path)["value"])
        return self

    def predict(self, subject):
        return {"T2": np.full_like(subject["T2"], self.value)}


@pytest.fixture
def subjects():
    return [make_subject(f"phantom-{i:03d}", seed=i) for i in range(2)]


def test_trains_once_then_loads_from_its_run_folder(subjects, tmp_path):
    first = obtain(MeanModel(), subjects, models_root=tmp_path, progress=False)
    assert first.fits == 1 and first.source is None
    key = first.key(subjects, [])
    folder = run_folder(tmp_path, first, key)
    assert json.loads((folder / "key.json").read_text()) == key and (folder / "mean.pt").is_file()
    again = obtain(MeanModel(), subjects, models_root=tmp_path, progress=False)
    assert again.fits == 0 and again.value == pytest.approx(first.value)
    other = obtain(MeanModel(offset=0.5), subjects, models_root=tmp_path, progress=False)  # another key: trained
    assert other.fits == 1 and len(list(tmp_path.iterdir())) == 2
    assert obtain(MeanModel(), subjects, progress=False).fits == 1  # models_root=None keeps nothing


def test_ships_and_loads_a_card_by_key_only(subjects, tmp_path, monkeypatch):
    trained = obtain(MeanModel(), subjects, progress=False)
    key = trained.key(subjects, [])
    card = ship(trained, key, tmp_path, "smoke", "mean", "python make_mean.py", extra={"note": "toy"})
    assert card["sha256"] == sha256(tmp_path / "smoke--t1_to_t2--mean--" f"{card['key_sha'][:8]}.pt")
    assert (card["kind"], card["architecture"], card["note"]) == ("mean", {"offset": 0.0}, "toy")
    monkeypatch.setattr(cards, "WEIGHTS", tmp_path)
    loaded = obtain(MeanModel(), subjects, models_root=tmp_path / "runs", pretrained=True, progress=False)
    assert loaded.fits == 0 and loaded.source == card_for_key(key)["path"] and loaded.value == pytest.approx(trained.value)
    assert not (tmp_path / "runs").exists()
    assert obtain(MeanModel(offset=1.0), subjects, pretrained=True, progress=False).fits == 1  # no card for this key


def test_a_damaged_card_file_is_refused(subjects, tmp_path):
    trained = obtain(MeanModel(), subjects, progress=False)
    card = ship(trained, trained.key(subjects, []), tmp_path, "smoke", "mean", "cmd")
    found = card_for_key(card["key"], tmp_path)
    (tmp_path / found["path"].rsplit("/", 1)[1]).write_bytes(b"broken")
    with pytest.raises(PretrainedMismatchError, match="sha256"):
        checked_path(found)
