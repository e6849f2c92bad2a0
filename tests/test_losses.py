"""The bidirectional loss and its variants."""

import pytest
import torch

from ivan_core import IVAN, get_task
from ivan_core.core.model import perturb_
from ivan_core.core.training.losses import bidirectional_loss, distance


@pytest.fixture
def setup():
    torch.manual_seed(0)
    task = get_task("t1pd_to_t2")
    net = perturb_(IVAN(2, n_blocks=2, hidden=4), 0.05, seed=1).double()
    x = torch.rand(2, 2, 8, 8, dtype=torch.float64)
    y = torch.rand(2, 2, 8, 8, dtype=torch.float64)
    return task, net, x, y


def test_matches_equation_10(setup):
    task, net, x, y = setup
    loss, parts = bidirectional_loss(net, x, y, task, lam=2.0)
    with torch.no_grad():
        fwd = ((net(x) - y) ** 2).mean()
        inv = ((net.inverse(y) - x) ** 2).mean()
    assert torch.isclose(loss, 2.0 * fwd + inv)
    assert parts == pytest.approx({"forward": float(fwd), "inverse": float(inv)})


def test_l1(setup):
    task, net, x, y = setup
    loss, _ = bidirectional_loss(net, x, y, task, lam=1.0, norm="l1")
    with torch.no_grad():
        want = (net(x) - y).abs().mean() + (net.inverse(y) - x).abs().mean()
    assert torch.isclose(loss, want)


def test_authors_code_variant_has_vanishing_inverse_term(setup):
    task, net, x, y = setup
    _, parts = bidirectional_loss(net, x, y, task, inverse_from="forward")
    assert parts["inverse"] < 1e-20 < parts["forward"]


def test_repacked_inverse_uses_mean_of_copies(setup):
    task, net, x, y = setup
    _, parts = bidirectional_loss(net, x, y, task, inverse_from="repacked")
    with torch.no_grad():
        y_hat = net(x)
        want = ((net.inverse(y_hat.mean(1, keepdim=True).expand_as(y_hat)) - x) ** 2).mean()
    assert parts["inverse"] == pytest.approx(float(want))


def test_bad_options(setup):
    task, net, x, y = setup
    with pytest.raises(ValueError, match="norm"):
        distance(x, y, "l3")
    with pytest.raises(ValueError, match="inverse_from"):
        bidirectional_loss(net, x, y, task, inverse_from="other")


def test_a_forward_term_must_name_itself():
    from ivan_core.core.training.losses import ForwardTerm

    with pytest.raises(ValueError, match="name"):
        ForwardTerm(lambda y_hat, y, x: (y_hat - y).pow(2).mean())
    assert ForwardTerm(lambda y_hat, y, x: y_hat.sum(), {"name": "sum"}).key["name"] == "sum"
