"""Every invertible piece follows one contract (:class:`~ivan_core.core.model.Invertible`), checked by one
round-trip test run over all of them."""

from __future__ import annotations

import pytest
import torch

from ivan_core.core.model import (
    IVAN,
    EnhancedAffineCoupling,
    HaarDownsampling,
    Inverted,
    Invertible,
    InvertibleBlock,
    InvertibleConv1x1,
    InvertibleSequence,
    perturb_,
)

#: One instance of every invertible piece, with the input shape ``(B, C, H, W)`` it takes.
PIECES = {
    InvertibleConv1x1: lambda: (InvertibleConv1x1(4), (2, 4, 8, 8)),
    EnhancedAffineCoupling: lambda: (EnhancedAffineCoupling(4), (2, 4, 8, 8)),
    HaarDownsampling: lambda: (HaarDownsampling(3), (2, 3, 8, 6)),
    InvertibleSequence: lambda: (InvertibleSequence([InvertibleConv1x1(4), HaarDownsampling(4)]), (1, 4, 8, 8)),
    Inverted: lambda: (Inverted(HaarDownsampling(12)), (1, 48, 4, 4)),
    InvertibleBlock: lambda: (InvertibleBlock(6), (2, 6, 8, 8)),
    IVAN: lambda: (IVAN(4, n_blocks=2, hidden=8, levels=1), (2, 4, 8, 8)),
}


def subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *subclasses(direct)}}


def test_every_invertible_piece_is_in_the_round_trip():
    defined = {c for c in subclasses(Invertible) if c.__module__.startswith("ivan_core.")}
    assert defined == set(PIECES), f"add {defined - set(PIECES)} to PIECES"


@pytest.mark.parametrize("piece", list(PIECES), ids=lambda c: c.__name__)
def test_round_trip(piece):
    torch.manual_seed(0)
    module, shape = PIECES[piece]()
    perturb_(module, 0.05)  # couplings start at the identity; make them do something
    module = module.double().eval()
    x = torch.rand(shape, dtype=torch.float64)
    with torch.no_grad():
        y = module(x)
        assert not torch.allclose(y.reshape(-1)[: x.numel()], x.reshape(-1)[: y.numel()]), "the piece did nothing"
        torch.testing.assert_close(module.inverse(y), x, rtol=0, atol=1e-10)
        torch.testing.assert_close(module(module.inverse(y)), y, rtol=0, atol=1e-10)


def test_the_base_class_has_no_default():
    with pytest.raises(NotImplementedError):
        Invertible()(torch.zeros(1, 2, 2, 2))
    with pytest.raises(NotImplementedError):
        Invertible().inverse(torch.zeros(1, 2, 2, 2))
