"""Where a training step's time goes, and the iVAN / U-Net step ratio, measured in one run.

    python scripts/profile_training_step.py --threads 1 --out results/speed

One step as training runs it: a batch of 8 crops of 48 x 48 (the tutorial profile's), the forward pass f(X), the
inverse pass f^-1(Y), the loss, backward, Adam and the weight average. ``torch.profiler`` records a few steps of
the shipped tutorial architecture; every operator is put in one of: dense subnets (r, s, t), the 1x1 convolutions
(building W from its LU factors, inverting it, applying it), the Haar transforms, the loss, the optimiser, the
weight average, other. The forward side is attributed by marked scopes; backward operators by the scope of the
forward operator they differentiate (the profiler's sequence numbers). Then the steps of iVAN's training
settings and of the shipped U-Net are timed alternately, so both see the same machine load, and their ratio is
printed. The tables go to ``--out`` (``training_step_profile.md`` and ``.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.profiler import ProfilerActivity, profile, record_function

from ivan_core.baselines.synthesis.unet import UNetBaseline
from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.core.model.conv1x1 import InvertibleConv1x1
from ivan_core.core.model.haar import HaarDownsampling
from ivan_core.core.model.subnets import DenseBlock
from ivan_core.core.tasks import get_task
from ivan_core.core.training.loop import build_model
from ivan_core.core.training.losses import bidirectional_loss, distance
from ivan_core.tutorial.profiles import get_profile

#: Scopes marked on the forward side, in the order the table lists them.
PARTS = ("dense subnets (r, s, t)", "1x1 convolutions", "Haar transforms", "coupling arithmetic and loss",
         "optimiser (Adam)",
         "weight average", "other")


def _scoped(cls: type, method: str, label: str) -> None:
    """Wrap ``cls.method`` so each call runs inside ``record_function(label)``."""
    original = getattr(cls, method)

    def wrapped(self, *args, **kwargs):
        with record_function(label):
            return original(self, *args, **kwargs)

    setattr(cls, method, wrapped)


def mark_scopes() -> None:
    """Mark the model's parts (both directions) for the profiler."""
    _scoped(DenseBlock, "forward", PARTS[0])
    for method in ("forward", "inverse"):
        _scoped(InvertibleConv1x1, method, PARTS[1])
        _scoped(HaarDownsampling, method, PARTS[2])


def ivan_step(task_name: str, profile_name: str, batch: int, patch: int, channels_last: bool = False,
              bf16: bool = False, compiled: bool = False, **model: object):
    """A closure running one training step of the profile's iVAN (its model with ``model`` changed) on a fixed
    random batch; ``bf16`` runs both passes and the loss under bfloat16 autocast (``TrainConfig.amp``),
    ``compiled`` computes the loss with ``torch.compile`` (inductor)."""
    p = get_profile(profile_name)
    task = get_task(task_name)
    net = build_model(task, replace(p.model, **model), p.train)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        net.to(memory_format=torch.channels_last)
    optimiser = torch.optim.Adam(net.parameters(), lr=p.train.lr)
    average = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(p.train.ema), use_buffers=True)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, task.channels, patch, patch, generator=g).contiguous(memory_format=layout)
    y = torch.rand(batch, task.channels, patch, patch, generator=g).contiguous(memory_format=layout)

    def both_passes(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return bidirectional_loss(net, x, y, task, p.train.lam, p.train.norm, p.train.inverse_from)[0]

    loss_of = torch.compile(both_passes) if compiled else both_passes

    def step() -> None:
        with record_function(PARTS[3]), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_of(x, y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        with record_function(PARTS[4]):
            optimiser.step()
        with record_function(PARTS[5]):
            average.update_parameters(net)

    return step


def unet_step(task_name: str, profile_name: str, batch: int, patch: int):
    """A closure running one training step of the shipped U-Net baseline (L1, Adam) on a fixed random batch."""
    p = get_profile(profile_name)
    task = get_task(task_name)
    unet = UNetBaseline(task)
    net = unet.net.train()
    optimiser = torch.optim.Adam(net.parameters(), lr=p.train.lr)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, task.channels, patch, patch, generator=g)
    y = torch.rand(batch, unet.out_channels, patch, patch, generator=g)

    def step() -> None:
        loss = distance(net(x), y, p.train.norm)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    return step


def breakdown(step, steps: int) -> dict[str, float]:
    """Milliseconds per step in each of :data:`PARTS` (self CPU time of every operator, attributed by scope)."""
    step()  # warm-up outside the recording
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = prof.events()
    scope_of_sequence: dict[int, str] = {}
    totals: dict[str, float] = defaultdict(float)

    def scope(event) -> str:
        node = event
        while node is not None:
            if node.name in PARTS[:3] + PARTS[4:6]:
                return node.name
            node = node.cpu_parent
        return PARTS[3] if _inside(event, PARTS[3]) else PARTS[6]

    for event in events:  # forward operators: remember their scope under their sequence number
        if event.sequence_nr >= 0 and not event.name.startswith("autograd::") and not event.is_async:
            scope_of_sequence.setdefault(event.sequence_nr, scope(event))
    for event in events:
        if event.name in PARTS or event.name.startswith("ProfilerStep"):
            continue
        owner = _backward_owner(event)
        part = scope_of_sequence.get(owner.sequence_nr, PARTS[6]) if owner is not None else scope(event)
        totals[part] += event.self_cpu_time_total / 1000.0
    return {part: totals.get(part, 0.0) / steps for part in PARTS}


def _inside(event, name: str) -> bool:
    node = event.cpu_parent
    while node is not None:
        if node.name == name:
            return True
        node = node.cpu_parent
    return False


def _backward_owner(event):
    """The autograd node (``autograd::engine::evaluate_function: ...``) an operator of the backward pass runs under."""
    node = event
    while node is not None:
        if node.name.startswith("autograd::engine::evaluate_function"):
            return node
        node = node.cpu_parent
    return None


def alternate(steps: dict[str, object], rounds: int, per_round: int) -> dict[str, float]:
    """Median milliseconds per step of each closure, timed in alternating rounds (same load for all)."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for fn in steps.values():
        fn()  # warm-up
    for _ in range(rounds):
        for name, fn in steps.items():
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            times[name].append((time.perf_counter() - start) * 1000.0 / per_round)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="t1_to_t2")
    parser.add_argument("--profile", default="tutorial")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--patch", type=int, default=48)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5, help="profiled steps")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds")
    parser.add_argument("--out", type=Path, default=Path("results/speed"))
    parser.add_argument("--compile-check", action="store_true",
                        help="only try torch.compile on the cheaper step; write training_step_compile.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.compile_check:
        return compile_check(args)

    mark_scopes()
    parts = breakdown(ivan_step(args.task, args.profile, args.batch, args.patch), args.steps)
    total = sum(parts.values())
    shape = (args.task, args.profile, args.batch, args.patch)
    timed = alternate({"iVAN": ivan_step(*shape),
                       "iVAN, channels_last": ivan_step(*shape, True),
                       "iVAN, channels_last, shared s,t": ivan_step(*shape, True, shared_st=True),
                       "iVAN, channels_last, shared s,t, 3 dense layers": ivan_step(*shape, True, shared_st=True,
                                                                                     dense_layers=3),
                       "iVAN, channels_last, shared s,t, 3 dense layers, bf16 autocast":
                           ivan_step(*shape, True, bf16=True, shared_st=True, dense_layers=3),
                       "U-Net": unet_step(*shape)},
                      args.rounds, per_round=3)
    ratio = timed["iVAN"] / timed["U-Net"]
    command = "python scripts/profile_training_step.py " + " ".join(argv)
    rows = [{"part": part, "ms_per_step": ms, "share": ms / total} for part, ms in parts.items()]
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "training_step_profile.json",
               {"command": command, "task": args.task, "profile": args.profile, "batch": args.batch,
                "patch": args.patch, "threads": args.threads, "breakdown": rows, "step_ms": timed,
                "ivan_over_unet": ratio, "cut_from_shipped": {name: timed["iVAN"] / ms for name, ms in timed.items()
                                                              if name.startswith("iVAN,")},
                "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__})
    lines = [f"# One training step of the {args.profile} iVAN ({args.task}), where the time goes\n",
             f"`{command}`; torch {torch.__version__} (CPU kernels {torch.backends.cpu.get_cpu_capability()}), "
             f"{args.threads} thread(s), batch {args.batch} of "
             f"{args.patch} x {args.patch} crops; f(X), f^-1(Y), loss, backward, Adam, weight average.\n",
             "| part | ms per step (profiled) | share |", "| --- | --- | --- |"]
    lines += [f"| {r['part']} | {r['ms_per_step']:.1f} | {100 * r['share']:.0f} % |" for r in rows]
    lines += ["", "Steps timed alternately (median of rounds, not profiled):", "", "| network | ms per step |",
              "| --- | --- |"] + [f"| {name} | {ms:.1f} |" for name, ms in timed.items()]
    lines += ["", f"iVAN / U-Net step ratio: **{ratio:.2f}** as shipped; "
              + "; ".join(f"{name}: {ms / timed['U-Net']:.2f}" for name, ms in timed.items() if name.startswith("iVAN,")),
              "", "Step cut from the shipped architecture (its step over each variant's): "
              + "; ".join(f"{name}: {timed['iVAN'] / ms:.2f}x" for name, ms in timed.items() if name.startswith("iVAN,"))]
    atomic_write_text(args.out / "training_step_profile.md", "\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    return 0


def compile_check(args: argparse.Namespace) -> int:
    """The cheaper architecture's step with and without ``torch.compile`` (both layouts), beside the U-Net's,
    timed alternately after a compiling warm-up; a variant that fails records its error. Writes
    ``training_step_compile.json`` to ``--out``."""
    shape = (args.task, args.profile, args.batch, args.patch)
    cheap = {"shared_st": True, "dense_layers": 3}
    candidates = {"iVAN cheaper, channels_last": lambda: ivan_step(*shape, True, **cheap),
                  "iVAN cheaper, compiled": lambda: ivan_step(*shape, False, compiled=True, **cheap),
                  "iVAN cheaper, channels_last, compiled": lambda: ivan_step(*shape, True, compiled=True, **cheap),
                  "U-Net": lambda: unet_step(*shape)}
    steps, errors = {}, {}
    for name, make in candidates.items():
        try:
            step = make()
            step()  # compiles where asked
            steps[name] = step
        except Exception as error:  # the record is the point: which variant fails, and how
            errors[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
    timed = alternate(steps, args.rounds, per_round=3)
    outcome = {"command": "python scripts/profile_training_step.py --compile-check", "torch": torch.__version__,
               "threads": args.threads, "step_ms": timed, "errors": errors,
               "over_unet": {name: ms / timed["U-Net"] for name, ms in timed.items()}}
    print(json.dumps(outcome, indent=1), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "training_step_compile.json", outcome)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main(sys.argv[1:]))
