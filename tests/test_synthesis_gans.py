"""pix2pix, CycleGAN and Hi-Net: shapes, determinism, files, unpaired batches, learning, cache keys."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from conftest import make_subject
from ivan_core.baselines.synthesis.gans import (
    ADVERSARIAL,
    CycleGAN,
    HiNet,
    HiNetGenerator,
    ImagePool,
    Pix2Pix,
    from_describe,
    make_baseline,
    unpaired_batches,
)
from ivan_core.baselines.synthesis.unet import UNetBaseline
from ivan_core.core.tasks import get_task
from ivan_core.core.training import TrainConfig, loader
from ivan_core.store import BaselineModel, load_card, run_folder
from ivan_core.tutorial.experiment import baseline_predictors, fit_baseline, phantom_splits
from ivan_core.tutorial.profiles import get_profile
from ivan_core.tutorial.ship import export_all, export_model

#: Tiny networks for 16 x 16 crops (one strided PatchGAN layer after the first).
TINY = {"pix2pix": {"features": (4, 4, 4, 4, 4, 4), "disc_channels": 4, "disc_layers": 1},
        "CycleGAN": {"features": (4, 4, 4, 4, 4, 4), "disc_channels": 4, "disc_layers": 1, "pool_size": 4},
        "Hi-Net": {"features": 4, "levels": 2, "disc_channels": 4, "disc_layers": 1}}
TASKS = ("t1_to_t2", "t1pd_to_t2")
FAST = TrainConfig(epochs=1, batch_size=2, lr=1e-3, lr_step=1, max_steps_per_epoch=3)


def tiny(name, task, seed=0):
    return make_baseline(name, task, seed=seed, **TINY[name])


@pytest.fixture(scope="module")
def people():
    """Three 16 x 16 subjects with T2 = 1 - T1 and PD = 0.5 + 0.4 T1 exactly."""
    return [make_subject(f"s{i}", slices=3, size=16, seed=i) for i in range(3)]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_trains_with_the_budget_and_predicts_whole_subjects(name, task, people):
    model = tiny(name, task).fit(people[:2], FAST, patch=16, progress=False)
    assert model.steps == 3 and model.seconds > 0 and len(model.history) == 1
    row = model.history[0]
    assert row["steps"] == 3 and np.isfinite(row["generator"]) and np.isfinite(row["discriminator"])
    big = make_subject("big", slices=2, size=32, seed=9)  # whole slices larger than the crops
    pred = model.predict(big)
    assert set(pred) == {"T2"} and pred["T2"].shape == big["T2"].shape and pred["T2"].dtype == np.float32
    assert np.isfinite(pred["T2"]).all() and np.abs(pred["T2"]).max() < 100
    assert not model.generators.training


def test_pix2pix_generator_is_the_unet_baseline_s_network():
    unet, p2p = UNetBaseline("t1pd_to_t2", seed=3), Pix2Pix("t1pd_to_t2", seed=3)
    assert [k for k in unet.net.state_dict()] == [k for k in p2p.generators["G"].state_dict()]
    assert all(torch.equal(a, b) for a, b in zip(unet.net.state_dict().values(), p2p.generators["G"].state_dict().values()))


def test_hinet_has_one_branch_per_input_and_fuses_by_sum_product_and_max():
    assert len(HiNet("t1pd_to_t2").generators["G"].encoders) == 2
    assert len(HiNet("t1_to_t2").generators["G"].encoders) == 1
    g = HiNetGenerator([1, 1], 1, features=4, levels=3).eval()
    a, b = torch.rand(2, 1, 24, 40), torch.rand(2, 1, 24, 40)
    out, recon = g([a, b])
    assert out.shape == (2, 1, 24, 40) and [r.shape for r in recon] == [a.shape, b.shape]
    out2, _ = g([b, a])  # sum, product and max are symmetric in the branches, the encoders are not
    assert not torch.allclose(out, out2)


def test_cyclegan_identity_only_where_channels_match():
    assert CycleGAN("t1_to_t2").uses_identity and not CycleGAN("t1pd_to_t2").uses_identity
    assert CycleGAN("t1pd_to_t2").describe()["loss"]["identity_used"] is False


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_training_is_deterministic_given_the_seed(name, people):
    runs = [tiny(name, "t1pd_to_t2").fit(people[:2], FAST, patch=16, progress=False) for _ in range(2)]
    other = tiny(name, "t1pd_to_t2").fit(people[:2], replace(FAST, seed=1), patch=16, progress=False)
    a, b, c = (m.predict(people[2])["T2"] for m in (*runs, other))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert [r["generator"] for r in runs[0].history] == [r["generator"] for r in runs[1].history]


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_weights_round_trip_and_refuse_another_architecture(name, people, tmp_path):
    model = tiny(name, "t1_to_t2").fit(people[:2], FAST, patch=16, progress=False)
    model.save(tmp_path / "m.pt")
    data = torch.load(tmp_path / "m.pt", weights_only=True)  # plain data only
    assert set(data) == {"generators", "discriminators", "steps", "seconds", "history", "describe"}
    again = tiny(name, "t1_to_t2", seed=5).load(tmp_path / "m.pt")
    assert again.steps == 3 and again.history == model.history
    assert np.array_equal(again.predict(people[2])["T2"], model.predict(people[2])["T2"])
    rebuilt = from_describe("t1_to_t2", model.describe()).load(tmp_path / "m.pt")
    assert np.array_equal(rebuilt.predict(people[2])["T2"], model.predict(people[2])["T2"])
    with pytest.raises(ValueError, match=name):
        make_baseline(name, "t1_to_t2").load(tmp_path / "m.pt")  # the default widths


def test_cyclegan_batches_are_unpaired():
    """T2 = 1 - T1 in these subjects: a paired batch satisfies it exactly, CycleGAN's never does (its
    Y stream is other slices, crops and augmentations; 16 x 16 crops of 32 x 32 slices make a chance
    draw of the very same crop of the same slice negligible)."""
    people = [make_subject(f"s{i}", slices=3, size=32, seed=i) for i in range(3)]
    task = get_task("t1_to_t2")
    config = TrainConfig(epochs=3, batch_size=2, seed=4)
    model = CycleGAN(task, **TINY["CycleGAN"])
    datasets = model._datasets(people, config, 16)  # the data and batches fit() uses
    for (x, y) in loader(datasets[0], config, 0):  # the check can see a pair
        assert torch.allclose(y[:, :1], 1 - x[:, :1], atol=1e-6)
    seen, steps = set(), 0
    for epoch in range(config.epochs):
        for x, y in model._epoch_batches(datasets, config, epoch):
            for xi, yi in zip(x, y):
                assert not torch.allclose(yi[:1], 1 - xi[:1], atol=1e-3), f"a pair in epoch {epoch}"
                seen.add(round(float(yi[0].sum()), 3))
            steps += 1
    assert steps == config.epochs * (len(datasets[0]) // 2)
    assert len(seen) > 6  # the Y stream does go over the training slices
    direct = list(unpaired_batches(*datasets, config, 0))
    assert all(torch.equal(a[1], b[1]) for a, b in zip(direct, model._epoch_batches(datasets, config, 0)))


def test_image_pool_is_seeded_and_returns_past_images():
    def run(seed):
        pool = ImagePool(3, seed)
        return [pool.query(torch.full((2, 1, 2, 2), float(i))) for i in range(6)]

    a, b, c = run(0), run(0), run(1)
    assert all(torch.equal(x, y) for x, y in zip(a, b)) and not all(torch.equal(x, y) for x, y in zip(a, c))
    assert any((batch[:, 0, 0, 0] < i).any() for i, batch in enumerate(a))  # past images come back
    assert torch.equal(ImagePool(0).query(torch.ones(1, 1, 2, 2)), torch.ones(1, 1, 2, 2))


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_the_generator_learns_a_simple_mapping(name, people):
    """T1 + PD -> T2 = 1 - T1 over 30 steps: the generator's loss drops (measured: to 0.28-0.43 of its
    first epoch), and for the paired methods its L1 to the target halves (measured: to 0.25-0.33) and
    a held-out subject is predicted better than by copying T1 (mean error 0.15-0.33 against 0.5)."""
    config = TrainConfig(epochs=15, batch_size=2, lr=1e-2, lr_step=100, max_steps_per_epoch=2)
    model = tiny(name, "t1pd_to_t2").fit(people[:2], config, patch=16, progress=False)
    first, last = model.history[0], model.history[-1]
    assert model.steps == 30
    assert np.mean([r["generator"] for r in model.history[-3:]]) < 0.6 * first["generator"]
    if name == "CycleGAN":
        assert last["cycle"] < 0.6 * first["cycle"]
    else:
        assert last["l1"] < 0.5 * first["l1"]
        error = np.abs(model.predict(people[2])["T2"] - people[2]["T2"]).mean()
        assert error < 0.8 * np.abs(people[2]["T1"] - people[2]["T2"]).mean()  # held out, whole slices


def baseline_key(name, task, splits, profile, **overrides):
    p = get_profile(profile).changed(**overrides)
    model = BaselineModel.named(name, task, p.train, p.patch)
    return model, model.key(splits.train, [])


def test_key_holds_only_what_the_method_reads_and_the_model():
    splits = phantom_splits("smoke", progress=False)
    _, key = baseline_key("pix2pix", "t1_to_t2", splits, "smoke")
    same = [baseline_key("pix2pix", "t1_to_t2", splits, "smoke", **o)[1] for o in ({"lam": 4.0}, {"norm": "l1"}, {"n_blocks": 3})]
    assert all(k == key for k in same)  # iVAN's settings and the U-Net's norm do not change these models
    for other in ({"lr": 2e-3}, {"epochs": 3}, {"seed": 1}, {"batch_size": 2}, {"max_steps_per_epoch": 1}):
        assert baseline_key("pix2pix", "t1_to_t2", splits, "smoke", **other)[1] != key, other
    assert baseline_key("Hi-Net", "t1_to_t2", splits, "smoke")[1] != key
    assert baseline_key("pix2pix", "t1pd_to_t2", splits, "smoke")[1] != key
    assert set(key["config"]) == {"epochs", "batch_size", "lr", "lr_step", "lr_gamma", "seed", "max_steps_per_epoch"}
    assert key["model"]["name"] == "pix2pix" and key["val"] == []
    with pytest.raises(ValueError, match="Hi-Net"):
        baseline_key("HiNet", "t1_to_t2", splits, "smoke")


def test_fit_baseline_caches_and_ships(tmp_path):
    """Trained once into the models folder, loaded from it the next time, exported to a card and loaded from that."""
    splits = phantom_splits("smoke", progress=False)
    kw = {"epochs": 1, "max_steps_per_epoch": 1}
    profile = get_profile("smoke").changed(**kw)
    model = fit_baseline("Hi-Net", "t1pd_to_t2", splits, profile, tmp_path / "models", progress=False, pretrained=True)
    untrained, key = baseline_key("Hi-Net", "t1pd_to_t2", splits, "smoke", **kw)
    folder = run_folder(tmp_path / "models", untrained, key)
    assert (folder / "gan.pt").is_file() and (folder / "key.json").is_file() and folder.name.startswith("Hi-Net-t1pd_to_t2-")
    again = fit_baseline("Hi-Net", "t1pd_to_t2", splits, profile, tmp_path / "models", progress=False)
    assert again.seconds == model.seconds  # loaded, not retrained
    expected = model.predict(splits.test[0])["T2"]
    assert np.array_equal(again.predict(splits.test[0])["T2"], expected)

    from ivan_core.store import card_for_key

    (card,) = export_all(tmp_path / "models", "smoke", tmp_path / "weights")  # finds it by its gan.pt
    assert card == export_model(folder, "smoke", tmp_path / "weights")
    assert card["kind"] == "gan" and card["variant"] == "Hi-Net" and card["test_metrics"]["psnr_head"] > 0
    found = card_for_key(key, tmp_path / "weights")
    shipped = load_card(found)
    assert isinstance(shipped.model, HiNet) and np.array_equal(shipped.predict(splits.test[0])["T2"], expected)
    (tmp_path / "weights" / (found["path"].rsplit("/", 1)[1])).write_bytes(b"broken")
    with pytest.raises(ValueError, match="sha256"):
        load_card(found)


def test_baseline_predictors_add_the_adversarial_rows(tmp_path):
    """The synthesis tables' baselines gain pix2pix, CycleGAN and Hi-Net by name, with their budget."""
    splits = phantom_splits("smoke", progress=False)
    methods = baseline_predictors("t1_to_t2", splits, "smoke", tmp_path, progress=False, adversarial=["pix2pix"])
    assert list(methods)[-2:] == ["U-Net", "pix2pix"]
    assert methods["pix2pix"].steps == methods["U-Net"].steps > 0
    assert methods["pix2pix"](splits.test[0])["T2"].shape == splits.test[0]["T2"].shape
    with pytest.raises(ValueError, match="profile"):
        baseline_predictors("t1_to_t2", splits, adversarial=["Hi-Net"])
