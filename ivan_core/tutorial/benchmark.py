"""Training throughput of iVAN: images/s, FLOP/s against a peak, memory, and data-loading share.

FLOPs use :mod:`torch.utils.flop_counter` formulas; the peak is a data-sheet figure or a timed matmul.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from ivan_core.core.model import IVAN
from ivan_core.core.tasks import get_task
from ivan_core.core.training.device import pick_device
from ivan_core.core.training.losses import bidirectional_loss

#: Variants the benchmark knows: TrainConfig-style switches on top of float32.
VARIANTS: dict[str, dict[str, bool]] = {
    "fp32": {},
    "bf16": {"amp": True},
    "channels_last": {"channels_last": True},
    "compile": {"compile": True},
    "reversible": {"reversible": True},
}
#: Dense peak FLOP/s from vendors' data sheets (SXM parts; no sparsity), by name fragment and dtype.
DATASHEET_PEAK: dict[str, dict[str, float]] = {
    "H200": {"float32": 67e12, "bfloat16": 989e12},
    "H100": {"float32": 67e12, "bfloat16": 989e12},
    "A100": {"float32": 19.5e12, "bfloat16": 312e12},
    "L4": {"float32": 30.3e12, "bfloat16": 121e12},
}


class PeakMemory:
    """Peak memory (``peak_mb``, None if unavailable) while the ``with`` block runs, and its ``source``.

    CUDA: the allocator's peak. CPU: process resident memory sampled every 1 ms (an upper bound).
    """

    _STATM = Path("/proc/self/statm")

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak_mb: float | None = None
        self.source = "unavailable"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._peak_pages = 0

    def _rss_pages(self) -> int:
        return int(self._STATM.read_text().split()[1])

    def _sample(self) -> None:
        while not self._stop.wait(0.001):
            self._peak_pages = max(self._peak_pages, self._rss_pages())

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        elif self._STATM.is_file():
            self._peak_pages = self._rss_pages()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            self.peak_mb, self.source = torch.cuda.max_memory_allocated(self.device) / 2**20, "CUDA allocator peak"
        elif self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._peak_pages = max(self._peak_pages, self._rss_pages())
            self.peak_mb = self._peak_pages * os.sysconf("SC_PAGE_SIZE") / 2**20
            self.source = "process resident memory, sampled every 1 ms"


def saved_bytes(step: Callable[[], torch.Tensor]) -> int:
    """Bytes autograd saves for backward while ``step()`` builds its loss (each storage once)."""
    seen: dict[tuple, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        seen[(storage.data_ptr(), t.device.type)] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return int(sum(seen.values()))


class FlopCount(TorchDispatchMode):
    """Count FLOPs of every operator run inside it, backward included (also :func:`torch.autograd.grad` calls)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += int(formula(*args, **kwargs, out_val=out))
        return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_flops(device: torch.device, dtype: torch.dtype, n: int | None = None, reps: int = 5) -> float:
    """FLOP/s of an ``n x n`` matmul, best of ``reps``: the stand-in peak."""
    n = n or (8192 if device.type == "cuda" else 1024)
    a = torch.rand(n, n, device=device).to(dtype)
    b = torch.rand(n, n, device=device).to(dtype)
    a @ b
    best = float("inf")
    for _ in range(reps):
        _sync(device)
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def peak_flops(device: torch.device, dtype: torch.dtype) -> tuple[float, str]:
    """The peak FLOP/s to compare against and its source (data sheet or timed matmul)."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for fragment, peaks in DATASHEET_PEAK.items():
            if fragment in name and str(dtype).removeprefix("torch.") in peaks:
                return peaks[str(dtype).removeprefix("torch.")], f"data sheet ({name})"
    return matmul_flops(device, dtype), f"measured {str(dtype).removeprefix('torch.')} matmul"


def data_seconds_per_step(task: str, size: int, batch_size: int, steps: int) -> float:
    """Seconds to load and augment one phantom batch with the training loop's loader."""
    from ivan_core.core.training import TrainConfig
    from ivan_core.core.training.loop import loader
    from ivan_core.core.training.pairs import TaskDataset
    from ivan_core.data import make_phantom

    subjects = make_phantom(2, size=size, n_slices=max(batch_size, 4), seed=0, progress=False)
    dataset = TaskDataset(subjects, task, augment=True)
    config = TrainConfig(batch_size=batch_size)
    t0, done = time.perf_counter(), 0
    while done < steps:
        for _ in loader(dataset, config, done):
            done += 1
            if done >= steps:
                break
    return (time.perf_counter() - t0) / steps


def training_throughput(task: str = "t1pd_to_t2", size: int = 128, n_blocks: int = 8, hidden: int = 32,
                        batch_size: int = 4, steps: int = 5, warmup: int = 1, device: str | torch.device | None = None,
                        levels: int = 0, variant: str = "fp32") -> dict[str, Any]:
    """Time full training steps of one model and :data:`VARIANTS` entry on random data.

    Returns the settings plus ``images_per_s``, ``seconds_per_step``, ``flops_per_step``, ``achieved_flops``,
    ``peak_flops``, ``peak_source``, ``utilisation``, ``peak_mb``, ``peak_memory_source``, ``saved_mb``,
    ``data_seconds_per_step`` and ``outside_share``. An unknown ``variant`` raises ValueError.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {sorted(VARIANTS)}")
    options = VARIANTS[variant]
    device = pick_device(device)
    spec = get_task(task)
    torch.manual_seed(0)
    net = IVAN(spec.channels, n_blocks, hidden, levels=levels, reversible=options.get("reversible", False)).to(device)
    layout = torch.channels_last if options.get("channels_last") else torch.contiguous_format
    net = net.to(memory_format=layout)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.rand(batch_size, spec.channels, size, size, device=device).to(memory_format=layout)
    y = torch.rand_like(x)
    dtype = torch.bfloat16 if options.get("amp") else torch.float32

    def loss_of(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(options.get("amp"))):
            return bidirectional_loss(net, a, b, spec)[0]

    compute = torch.compile(loss_of) if options.get("compile") else loss_of

    def step() -> None:
        loss = compute(x, y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    for _ in range(warmup):
        step()
    with FlopCount() as counter:
        loss_of(x, y).backward()  # eager: the same arithmetic the compiled step does
    optimiser.zero_grad(set_to_none=True)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    per_step = (time.perf_counter() - t0) / steps
    with PeakMemory(device) as memory:  # a pass of its own: the sampling thread would slow the timed steps
        step()
        _sync(device)
    flops = counter.total
    peak, source = peak_flops(device, dtype)
    data_s = data_seconds_per_step(task, size, batch_size, steps)
    return {"task": task, "size": size, "n_blocks": n_blocks, "hidden": hidden, "levels": levels,
            "batch_size": batch_size, "variant": variant, "device": str(device),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "threads": torch.get_num_threads(), "images_per_s": batch_size / per_step, "seconds_per_step": per_step,
            "flops_per_step": flops, "achieved_flops": flops / per_step, "peak_flops": peak, "peak_source": source,
            "utilisation": flops / per_step / peak, "peak_mb": memory.peak_mb,
            "peak_memory_source": memory.source, "saved_mb": saved_bytes(lambda: loss_of(x, y)) / 2**20,
            "data_seconds_per_step": data_s, "outside_share": data_s / (data_s + per_step)}
