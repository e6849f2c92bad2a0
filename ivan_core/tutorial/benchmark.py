"""Training throughput of iVAN (images per second), for the closing notes and README."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from ivan_core.model import IVAN
from ivan_core.tasks import get_task
from ivan_core.training.device import pick_device
from ivan_core.training.losses import bidirectional_loss


def saved_bytes(step: Callable[[], torch.Tensor]) -> int:
    """Bytes of the tensors autograd keeps for the backward pass while ``step()`` builds its loss
    (counted with :func:`torch.autograd.graph.saved_tensors_hooks`; each storage once)."""
    seen: dict[tuple, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        seen[(storage.data_ptr(), t.device.type)] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return int(sum(seen.values()))


def training_throughput(task: str = "t1pd_to_t2", size: int = 128, n_blocks: int = 8, hidden: int = 32,
                        batch_size: int = 4, steps: int = 5, warmup: int = 1,
                        device: str | torch.device | None = None, levels: int = 0) -> dict:
    """Time full training steps (forward, inverse, backward, Adam) on random data.

    Returns ``{"task", "size", "n_blocks", "hidden", "levels", "batch_size", "device", "threads",
    "images_per_s", "seconds_per_step", "saved_mb", "saved_mb_reversible"}``, measured over
    ``steps`` steps after ``warmup``; the last two are what autograd keeps for one loss
    (:func:`saved_bytes`), with ordinary and with reversible backpropagation.
    """
    device = pick_device(device)
    spec = get_task(task)
    torch.manual_seed(0)
    net = IVAN(spec.channels, n_blocks, hidden, levels=levels).to(device)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.rand(batch_size, spec.channels, size, size, device=device)
    y = torch.rand_like(x)

    def step() -> None:
        loss, _ = bidirectional_loss(net, x, y, spec)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    per_step = (time.perf_counter() - t0) / steps
    saved = {}
    for reversible in (False, True):
        net.reversible = reversible
        saved[reversible] = saved_bytes(lambda: bidirectional_loss(net, x, y, spec)[0]) / 2**20
    net.reversible = False
    return {"task": task, "size": size, "n_blocks": n_blocks, "hidden": hidden, "levels": levels, "batch_size": batch_size,
            "device": str(device), "threads": torch.get_num_threads(),
            "images_per_s": batch_size / per_step, "seconds_per_step": per_step,
            "saved_mb": saved[False], "saved_mb_reversible": saved[True]}
