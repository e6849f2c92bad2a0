"""iVAN against baselines on the same subjects and budget (``python -m ivan_core compare``).

The U-Net given iVAN's wall-clock uses per-step times timed back to back (:func:`seconds_per_step`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ivan_core.baselines.synthesis.unet import UNetBaseline
from ivan_core.core.tasks import get_task
from ivan_core.core.training import build_model, loader, steps_per_epoch
from ivan_core.core.training.device import pick_device
from ivan_core.core.training.losses import bidirectional_loss, distance
from ivan_core.core.training.pairs import TaskDataset
from ivan_core.tutorial.experiment import Method, Splits, baseline_predictors, compare, fit, fit_baseline, ivan_predictor
from ivan_core.tutorial.profiles import Profile, get_profile

SYNTHESIS_TASKS = ("t1_to_t2", "t1pd_to_t2", "t1_to_pet", "t1t2_to_pet", "t1_to_t2pd")
#: The tasks of the paper's Table I, where the adversarial baselines get rows.
TABLE_I_TASKS = ("t1_to_t2", "t1pd_to_t2")


def seconds_per_step(task: str, splits: Splits, profile: str | Profile, steps: int = 10) -> dict[str, float]:
    """Seconds per training step of iVAN and the U-Net on the same batches, timed back to back after a warm-up."""
    p, spec = get_profile(profile), get_task(task)
    device = pick_device()
    config = p.train
    dataset = TaskDataset(splits.train, spec, True, p.patch)
    batches, epoch = [], 0
    while len(batches) < steps + 1:
        batches += [(x.to(device), y.to(device)) for x, y in loader(dataset, config, epoch)]
        epoch += 1
    layout = torch.channels_last if config.channels_last else torch.contiguous_format  # as training runs iVAN
    batches = [(x.contiguous(memory_format=layout), y.contiguous(memory_format=layout)) for x, y in batches[: steps + 1]]
    net, unet = build_model(spec, p.model, config).to(device, memory_format=layout), UNetBaseline(spec)
    unet.net.to(device)
    ivan_opt, unet_opt = torch.optim.Adam(net.parameters()), torch.optim.Adam(unet.net.parameters())

    def ivan_step(x, y):
        loss, _ = bidirectional_loss(net, x, y, spec, config.lam, config.norm)
        ivan_opt.zero_grad()
        loss.backward()
        ivan_opt.step()

    def unet_step(x, y):
        loss = distance(unet.net(x), unet._target(y), config.norm)
        unet_opt.zero_grad()
        loss.backward()
        unet_opt.step()

    out = {}
    for name, step in (("iVAN", ivan_step), ("U-Net", unet_step)):
        step(*batches[0])
        _sync(device)
        t0 = time.perf_counter()
        for x, y in batches[1:]:
            step(x, y)
        _sync(device)
        out[name] = (time.perf_counter() - t0) / steps
    return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def baseline_comparison(splits: Splits, profile: str | Profile, models_root: str | Path,
                        tasks: Sequence[str] = SYNTHESIS_TASKS, pretrained: bool = True,
                        progress: bool = True, wall_clock: bool = True,
                        adversarial: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Score iVAN and the baselines on ``splits.test`` for every task.

    ``wall_clock=False`` leaves out the U-Net given iVAN's wall-clock; ``adversarial`` methods are added on
    :data:`TABLE_I_TASKS`. Returns :func:`~ivan_core.tutorial.experiment.compare` rows plus ``task``, ``steps``, ``seconds``.
    """
    p = get_profile(profile)
    rows = []
    for name in tasks:
        result = fit(name, splits, p, models_root, progress, pretrained=pretrained)
        methods = {"iVAN": ivan_predictor(result),
                   **baseline_predictors(name, splits, p, models_root, progress, pretrained=pretrained,
                                         adversarial=adversarial if name in TABLE_I_TASKS else ())}
        per_step = seconds_per_step(name, splits, p)
        rows += _scored(name, splits, methods, per_step)
        if not wall_clock:
            continue
        steps = math.ceil(methods["iVAN"].steps * per_step["iVAN"] / per_step["U-Net"])
        epochs = math.ceil(steps / steps_per_epoch(sum(s.n_slices for s in splits.train), p.train))
        scale = epochs / p.train.epochs
        unet = fit_baseline("U-Net", name, splits, p.changed(epochs=epochs, lr_step=max(1, round(p.train.lr_step * scale))),
                            models_root, progress)
        rows += _scored(name, splits, {"U-Net (iVAN's wall-clock)": Method(unet.predict, unet.steps, unet.seconds)},
                        per_step)
    return rows


def _scored(task: str, splits: Splits, methods: dict[str, Method], per_step: dict[str, float]) -> list[dict]:
    rows = []
    for method, m in methods.items():
        for r in compare(task, splits.test, {method: m}):
            rows.append({**r, "task": task, "steps": m.steps, "seconds": round(m.seconds, 1),
                         "seconds_per_step_measured": per_step.get(method.split(" ")[0])})
    return rows


def comparison_table(rows: Sequence[dict[str, Any]], region: str = "head") -> str:
    """A markdown table of mean PSNR / SSIM per task and method, with steps, seconds and noise ceiling if present."""
    capped = any("ceiling_psnr" in r for r in rows)
    extra = " noise ceiling PSNR (dB) | PSNR gap (dB) | noise ceiling SSIM |" if capped else ""
    lines = [f"| task | method | PSNR (dB) | SSIM |{extra} steps | seconds |",
             "| --- | --- | ---: | ---: |" + " ---: |" * (3 if capped else 0) + " ---: | ---: |"]
    keys = dict.fromkeys((r["task"], r["method"]) for r in rows)
    for task, method in keys:
        sel = [r for r in rows if r["task"] == task and r["method"] == method and r["region"] == region]
        psnr, ssim = np.mean([r["psnr"] for r in sel]), np.mean([r["ssim"] for r in sel])
        cells = ""
        if capped:
            top = [r for r in sel if "ceiling_psnr" in r]
            cells = (f" {np.mean([r['ceiling_psnr'] for r in top]):.2f} | "
                     f"{np.mean([r['ceiling_psnr'] - r['psnr'] for r in top]):.2f} | "
                     f"{np.mean([r['ceiling_ssim'] for r in top]):.3f} |" if top else " – | – | – |")
        lines.append(f"| {task} | {method} | {psnr:.2f} | {ssim:.3f} |{cells} {sel[0]['steps']} | {sel[0]['seconds']:.0f} |")
    return "\n".join(lines) + "\n"
