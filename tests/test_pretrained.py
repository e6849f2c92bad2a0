"""Shipped weights: export with a card, load by name, refuse anything that does not match."""

import json
from dataclasses import replace

import pytest
import torch

from conftest import make_subject
from ivan_core import get_task
from ivan_core.core.training import TrainConfig
from ivan_core.core.training.cache_key import model_key
from ivan_core.store import (
    IvanModel,
    PretrainedMismatchError,
    available,
    card_for_key,
    find_card,
    load_pretrained,
    run_folder,
)
from ivan_core.tutorial.experiment import Splits, fit, fit_baseline
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.ship import export_all, prune, variant_name

PROFILE = get_profile("smoke", size=16, patch=16)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """One smoke network trained by fit() and exported into a temporary weights folder."""
    root = tmp_path_factory.mktemp("run")
    splits = Splits([make_subject(f"phantom-{i:03d}", seed=i) for i in range(2)], [make_subject("phantom-009", seed=9)], [])
    result = fit("t1pd_to_t2", splits, PROFILE, root / "models", progress=False)
    dest = tmp_path_factory.mktemp("weights")
    (card,) = export_all(root / "models", "smoke", dest)
    return splits, result, dest, card


def test_export_writes_weights_only_and_a_full_card(shipped):
    _, result, dest, card = shipped
    state = torch.load(next(dest.glob("*.pt")), weights_only=True)
    assert set(state) == set(result.net.state_dict())
    on_disk = json.loads(next(dest.glob("*.json")).read_text())
    for field in ("name", "variant", "profile", "task", "architecture", "train_config", "data", "steps", "seconds",
                  "test_metrics", "sha256", "key_sha", "key", "command", "history"):
        assert field in on_disk, field
    assert on_disk["steps"] == sum(row["steps"] for row in result.history)
    assert on_disk["history"] == json.loads(json.dumps(result.history))
    assert "python -m ivan_core pretrain" in on_disk["command"]


def test_available_lists_cards_and_load_pretrained_rebuilds_the_network(shipped):
    _, result, dest, card = shipped
    (listed,) = available(dest)
    assert (listed["name"], listed["profile"]) == ("t1pd_to_t2", "smoke") and "history" not in listed
    net = load_pretrained("t1pd_to_t2", profile="smoke", variant=card["variant"], folder=dest)
    assert not net.training
    x = torch.rand(1, 2, 16, 16)
    with torch.no_grad():
        assert torch.equal(net(x), result.net(x))


def test_a_matching_key_finds_the_card_and_another_does_not(shipped):
    splits, result, dest, card = shipped
    task = get_task("t1pd_to_t2")
    key = model_key(task, result.config, splits.train, splits.val, PROFILE.patch, None, PROFILE.model)
    assert card_for_key(key, dest)["key_sha"] == card["key_sha"]
    other = model_key(task, TrainConfig(**{**result.config.__dict__, "lam": 2.0}), splits.train, splits.val,
                      PROFILE.patch, None, PROFILE.model)
    assert card_for_key(other, dest) is None
    with pytest.raises(PretrainedMismatchError, match="config.lam: shipped 1.0, wanted 2.0"):
        load_pretrained("t1pd_to_t2", "smoke", card["variant"], key=other, folder=dest)


def test_unknown_names_and_damaged_files_are_reported(shipped, tmp_path):
    _, _, dest, card = shipped
    with pytest.raises(KeyError, match="t1pd_to_t2 / smoke"):
        find_card("t1_to_t2", "smoke", folder=dest)
    for f in dest.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    weights = next(tmp_path.glob("*.pt"))
    weights.write_bytes(weights.read_bytes()[:-8] + b"damaged!")
    with pytest.raises(PretrainedMismatchError, match="sha256"):
        load_pretrained("t1pd_to_t2", "smoke", card["variant"], folder=tmp_path)


def test_variant_names_say_what_differs_from_the_profile():
    task = get_task("t1_to_t2")
    subjects = [make_subject("phantom-000")]
    own, model = get_profile("tutorial").train, get_profile("tutorial").model
    assert variant_name(model_key(task, own, subjects, [], 48, None, model), "tutorial") == "default"
    l2 = TrainConfig(**{**own.__dict__, "norm": "l2"})
    assert variant_name(model_key(task, l2, subjects, [], 48, None, model), "tutorial") == "norm=l2"
    assert variant_name(model_key(task, own, subjects, [], 48, None, replace(model, n_blocks=6)), "tutorial") == "n_blocks=6"
    real = [make_subject("aanlib-CT-MRI-2")]
    assert variant_name(model_key(task, own, real, [], 48, None, model), "tutorial") == "aanlib"


def test_fusion_networks_are_named_by_their_loss():
    from ivan_core.baselines.fusion.methods import add_fusion_label
    from ivan_core.core.training.fusion_losses import teacher_forward_loss
    from ivan_core.core.training.losses import ForwardTerm
    from ivan_core.tutorial.fusion_study import fusion_profile

    task = get_task("t2ct_fusion")
    subjects = add_fusion_label([make_subject("phantom-000")], "average")
    fusion = fusion_profile("tutorial")
    recipe, model = fusion.train, fusion.model
    loss = teacher_forward_loss(task, 1.0)
    assert isinstance(loss, ForwardTerm)
    name = "teacher_fusion_loss(norm=l2,w_edge=1)"
    assert variant_name(model_key(task, recipe, subjects, [], 48, loss, model), "tutorial") == name
    longer = TrainConfig(**{**recipe.__dict__, "epochs": 80})
    assert variant_name(model_key(task, longer, subjects, [], 48, loss, model), "tutorial") == f"epochs=80 {name}"


def test_fit_uses_a_shipped_network_only_for_its_own_key(shipped, tmp_path, monkeypatch):
    import ivan_core.store as pretrained

    splits, result, dest, _ = shipped
    monkeypatch.setattr(pretrained.cards, "WEIGHTS", dest)
    loaded = fit("t1pd_to_t2", splits, PROFILE, tmp_path, progress=False, pretrained=True)
    assert loaded.pretrained and loaded.history == json.loads(json.dumps(result.history))
    assert not any(tmp_path.iterdir())  # nothing trained
    fresh = fit("t1pd_to_t2", splits, PROFILE.changed(lam=2.0), tmp_path, progress=False, pretrained=True)
    assert not fresh.pretrained
    key = json.loads(next(tmp_path.glob("*/key.json")).read_text())
    assert (run_folder(tmp_path, IvanModel("t1pd_to_t2", PROFILE.model, TrainConfig()), key) / "model.pt").is_file()


def test_a_shipped_unet_is_found_by_its_key(tmp_path, monkeypatch):
    import ivan_core.store as pretrained
    splits = Splits([make_subject(f"phantom-{i:03d}", seed=i) for i in range(2)], [], [])
    trained = fit_baseline("U-Net", "t1_to_t2", splits, PROFILE, tmp_path / "models", progress=False)
    dest = tmp_path / "weights"
    (card,) = export_all(tmp_path / "models", "smoke", dest)
    assert (card["kind"], card["variant"], card["steps"]) == ("unet", "U-Net", trained.steps)
    monkeypatch.setattr(pretrained.cards, "WEIGHTS", dest)
    loaded = fit_baseline("U-Net", "t1_to_t2", splits, PROFILE, tmp_path / "elsewhere", progress=False, pretrained=True)
    assert not (tmp_path / "elsewhere").exists()
    x = make_subject("t", seed=7)
    assert (loaded.predict(x)["T2"] == trained.predict(x)["T2"]).all()
    with pytest.raises(PretrainedMismatchError, match="no|not an iVAN"):
        key = json.loads(next((tmp_path / "models").glob("*/key.json")).read_text())
        assert pretrained.card_for_key(key, dest)["variant"] == "U-Net"
        pretrained.load_pretrained("t1_to_t2", "smoke", "U-Net", folder=dest)


def test_the_unet_cache_follows_its_own_settings_only(tmp_path):
    splits = Splits([make_subject(f"phantom-{i:03d}", seed=i) for i in range(2)], [], [])
    fit_baseline("U-Net", "t1_to_t2", splits, PROFILE, tmp_path, progress=False)
    # iVAN's settings: the same U-Net is reused
    fit_baseline("U-Net", "t1_to_t2", splits, PROFILE.changed(lam=9.0, n_blocks=3), tmp_path, progress=False)
    assert len(list(tmp_path.glob("unet-*"))) == 1
    fit_baseline("U-Net", "t1_to_t2", splits, PROFILE.changed(lr=5e-4), tmp_path, progress=False)  # its own: retrained
    assert len(list(tmp_path.glob("unet-*"))) == 2


def test_export_all_takes_what_a_run_used_and_prune_drops_the_rest(tmp_path):
    """A pretrain run ships only the folders its notebooks touched, and removes older cards of its profile."""
    import os
    import time

    splits = Splits([make_subject(f"phantom-{i:03d}", seed=i) for i in range(2)], [], [])
    fit_baseline("U-Net", "t1_to_t2", splits, PROFILE, tmp_path / "models", progress=False)
    fit_baseline("U-Net", "t1_to_t2", splits, PROFILE.changed(lr=5e-4), tmp_path / "models", progress=False)
    old, new = sorted((tmp_path / "models").glob("unet-*/key.json"))
    for key in (old, new):
        os.utime(key, (1.0, 1.0))  # both trained long ago
    start = time.time()
    dest = tmp_path / "weights"
    assert len(export_all(tmp_path / "models", "smoke", dest)) == 2
    # loaded, so used now
    again = fit_baseline("U-Net", "t1_to_t2", splits, PROFILE.changed(lr=5e-4), tmp_path / "models", progress=False)
    (card,) = export_all(tmp_path / "models", "smoke", dest, used_since=start)
    assert card["train_config"]["lr"] == 5e-4 and card["steps"] == again.steps
    gone = prune(dest, "smoke", [card])
    assert len(gone) == 2 and sorted(p.suffix for p in gone) == [".json", ".pt"]
    assert [c["sha256"] for c in available(folder=dest)] == [card["sha256"]]
    renamed = {**card, "variant": "renamed"}  # the same weights under another name: the old card goes
    (dest / "smoke--renamed.json").write_text(json.dumps(renamed))
    assert [p.name for p in prune(dest, "smoke", [renamed])][0].startswith("smoke--t1_to_t2--U-Net")
    atlas = {**renamed, "variant": "aanlib", "data": {"train": ["aanlib-CT-MRI-2"]}}  # data this run may lack
    (dest / "smoke--atlas.json").write_text(json.dumps(atlas))
    assert prune(dest, "smoke", [renamed]) == [] and (dest / "smoke--atlas.json").is_file()
