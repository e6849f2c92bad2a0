"""Invertibility and shape behaviour of the iVAN building blocks."""

import pytest
import torch

from ivan_core import IVAN, get_task
from ivan_core.core.model import (
    DenseBlock,
    EnhancedAffineCoupling,
    HaarDownsampling,
    InvertibleConv1x1,
    dense_subnet,
    perturb_,
)


def randomise(net: torch.nn.Module, scale: float = 0.05) -> torch.nn.Module:
    """Make every zero-initialised layer non-trivial."""
    return perturb_(net, scale, seed=1)


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
@pytest.mark.parametrize("channels", [2, 3, 6])
@pytest.mark.parametrize("n_blocks", [1, 8])
def test_round_trip(dtype, tol, channels, n_blocks):
    torch.manual_seed(0)
    net = randomise(IVAN(channels, n_blocks=n_blocks, hidden=8).to(dtype))
    x = torch.rand(2, channels, 17, 13, dtype=dtype)
    with torch.no_grad():
        y = net(x)
        assert (y - x).abs().max() > 1e-3  # the network does something
        err = (net.inverse(y) - x).abs().max().item()
    assert err < tol


def test_inverse_then_forward():
    torch.manual_seed(0)
    net = randomise(IVAN(3, n_blocks=4, hidden=8)).double()
    y = torch.rand(1, 3, 9, 11, dtype=torch.float64)
    with torch.no_grad():
        assert (net(net.inverse(y)) - y).abs().max() < 1e-10


def test_inverse_finite_on_scaled_inputs():
    torch.manual_seed(0)
    net = randomise(IVAN(6, n_blocks=8, hidden=8), scale=0.2)
    x = 100 * torch.randn(2, 6, 16, 16)
    with torch.no_grad():
        assert torch.isfinite(net.inverse(x)).all()
        assert torch.isfinite(net(x)).all()


def test_new_coupling_is_identity():
    coupling = EnhancedAffineCoupling(5, dense_subnet(8))
    x = torch.randn(2, 5, 8, 8)
    with torch.no_grad():
        assert torch.equal(coupling(x), x)


def test_dense_block_shapes_and_zero_init():
    block = DenseBlock(3, 2, growth=4)
    out = block(torch.randn(1, 3, 10, 12))
    assert out.shape == (1, 2, 10, 12)
    assert torch.count_nonzero(out) == 0


def test_conv1x1_log_det_matches_determinant():
    torch.manual_seed(0)
    conv = randomise(InvertibleConv1x1(4))
    w = conv.weight().double()
    assert torch.allclose(torch.linalg.slogdet(w).logabsdet, conv.log_det().double(), atol=1e-5)


def test_gradients_flow_to_every_parameter():
    torch.manual_seed(0)
    net = randomise(IVAN(2, n_blocks=2, hidden=4))
    x = torch.rand(2, 2, 8, 8)
    (net(x).square().mean() + net.inverse(x).square().mean()).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


@pytest.mark.parametrize("channels", [0, 1])
def test_too_few_channels(channels):
    with pytest.raises(ValueError, match="at least 2 channels"):
        IVAN(channels)


def test_wrong_input_shape_names_expected_shape():
    net = IVAN(3, n_blocks=1, hidden=4)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        net(torch.rand(1, 2, 8, 8))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_round_trip_cuda():
    torch.manual_seed(0)
    net = randomise(IVAN(3, n_blocks=8, hidden=8)).cuda()
    x = torch.rand(2, 3, 31, 33, device="cuda")
    with torch.no_grad():
        assert (net.inverse(net(x)) - x).abs().max().item() < 1e-5


def test_haar_downsampling_is_orthogonal_and_exactly_invertible():
    haar = HaarDownsampling(3)
    x = torch.rand(2, 3, 8, 10, dtype=torch.float64)
    y = haar(x)
    assert y.shape == (2, 12, 4, 5)
    assert torch.allclose(haar.inverse(y), x, atol=1e-12)
    assert torch.allclose(y.norm(), x.norm())                    # orthonormal filters keep the energy
    assert torch.allclose(y[:, 0], x[:, 0].unfold(1, 2, 2).unfold(2, 2, 2).sum((-1, -2)) / 2)  # LL = block sum / 2


@pytest.mark.parametrize("levels", [1, 2])
def test_haar_variant_round_trip_and_shape_errors(levels):
    net = perturb_(IVAN(2, n_blocks=2, hidden=4, levels=levels), scale=0.01)
    x = torch.rand(2, 2, 16, 16)
    y = net(x)
    assert y.shape == x.shape
    assert torch.allclose(net.inverse(y), x, atol=1e-4)
    assert len(net.blocks) == 2 and net.blocks[0].mix.weight().shape == (2 * 4**levels,) * 2
    with pytest.raises(ValueError, match="multiples of"):
        net(torch.rand(1, 2, 18, 18) if levels == 2 else torch.rand(1, 2, 15, 16))


def test_subnets_come_from_the_constructor():
    made = []

    def tiny(cin, cout):
        conv = torch.nn.Conv2d(cin, cout, 1)
        made.append((cin, cout))
        return conv

    EnhancedAffineCoupling(5, tiny)
    assert made == [(3, 2), (2, 3), (2, 3)]


@pytest.mark.parametrize("levels", [0, 1])
def test_reversible_gradients_equal_ordinary_autograd(levels):
    torch.manual_seed(0)
    plain = perturb_(IVAN(2, n_blocks=3, hidden=4, levels=levels), scale=0.02)
    flat = IVAN(2, n_blocks=3, hidden=4, levels=levels, reversible=True)
    flat.load_state_dict(plain.state_dict())
    x, y = torch.rand(2, 2, 16, 16), torch.rand(2, 2, 16, 16)
    grads = []
    for net in (plain, flat):
        net.zero_grad()
        loss = ((net(x) - y) ** 2).mean() + ((net.inverse(y) - x) ** 2).mean()
        loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
    assert torch.allclose(flat(x), plain(x))
    assert (grads[1] - grads[0]).norm() <= 1e-4 * grads[0].norm()


def test_reversible_memory_is_flat_in_depth():
    from ivan_core.tutorial.benchmark import saved_bytes

    x, y = torch.rand(2, 2, 32, 32), torch.rand(2, 2, 32, 32)

    def loss_bytes(n_blocks, reversible):
        net = IVAN(2, n_blocks=n_blocks, hidden=8, reversible=reversible)
        return saved_bytes(lambda: ((net(x) - y) ** 2).mean() + ((net.inverse(y) - x) ** 2).mean())

    assert loss_bytes(8, True) <= loss_bytes(8, False) / 4
    assert loss_bytes(8, True) == loss_bytes(2, True)
    assert loss_bytes(8, False) > 2 * loss_bytes(2, False)


def test_inference_pads_odd_slices_to_the_network_s_multiple_and_crops_back():
    import numpy as np

    from ivan_core.core.inference import recover, synthesise

    task = get_task("t1_to_t2")
    net = IVAN(task.channels, n_blocks=2, hidden=8, levels=2).eval()
    assert net.size_multiple == 4
    t1 = np.random.default_rng(0).random((2, 13, 18)).astype(np.float32)
    out = synthesise(net, task, {"T1": t1})["T2"]
    assert out.shape == t1.shape
    padded = torch.nn.functional.pad(torch.from_numpy(t1)[:, None].repeat(1, 2, 1, 1), (0, 2, 0, 3), mode="replicate")
    with torch.no_grad():
        want = net(padded)[:, :, :13, :18].mean(dim=1).numpy()
    np.testing.assert_allclose(out, want, atol=1e-5)
    assert recover(net, task, {"T2": out})["T1"].shape == t1.shape


@pytest.mark.parametrize("options", [{"shared_st": True}, {"dense_layers": 2}, {"shared_st": True, "dense_layers": 3}])
def test_the_subnet_options_stay_invertible_and_are_recorded_only_when_changed(options):
    from ivan_core.core.model import ModelConfig
    from ivan_core.core.training import TrainConfig
    from ivan_core.core.training.cache_key import model_key

    net = IVAN(4, n_blocks=2, hidden=8, levels=1, **options)
    x = torch.rand(2, 4, 8, 8)
    net.blocks[0].coupling.r.out.weight.data.normal_(0, 0.1)  # leave the identity start
    assert torch.allclose(net.inverse(net(x)), x, atol=1e-5)
    assert {k: net.config[k] for k in options} == options
    assert "shared_st" not in IVAN(4, n_blocks=2, hidden=8).config  # the paper's network: configs as before
    task = get_task("t1_to_t2")
    plain = model_key(task, TrainConfig(), [], [], 48, model=ModelConfig(n_blocks=2))
    assert "shared_st" not in plain["config"] and "dense_layers" not in plain["config"]
    assert model_key(task, TrainConfig(), [], [], 48, model=ModelConfig(n_blocks=2, **options))["config"] != plain["config"]


def test_a_shared_st_network_saves_and_loads(tmp_path):
    from ivan_core.core.training.checkpoint import load_model, save_model

    task = get_task("t1_to_t2")
    net = IVAN(task.channels, n_blocks=2, hidden=8, shared_st=True, dense_layers=3).eval()
    save_model(tmp_path / "m.pt", net, task)
    loaded, _, _ = load_model(tmp_path / "m.pt")
    x = torch.rand(1, 2, 8, 8)
    assert loaded.config == net.config and torch.equal(loaded(x), net(x))
