"""Forward and inverse passes of a trained network over whole subjects, in
:class:`~ivan_core.core.subject.Subject` layout: grey ``(S, H, W)``, colour ``(S, H, W, 3)``.

Slices of any size run: they are padded (edge values repeated) to the network's ``size_multiple`` and cropped back.
Outputs whose training targets were enlarged by pixel repetition (the network's ``output_blocks``) are projected
onto those blocks where the slice size allows (:func:`~ivan_core.core.grid.on_blocks`).
The network runs in ``channels_last`` memory layout, which its small convolutions run faster in on CPUs
(``scripts/benchmark_inference.py`` measures it); the values are the same to float rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

from ivan_core.core.grid import on_blocks
from ivan_core.core.model import IVAN
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task
from ivan_core.core.training.device import pick_device
from ivan_core.core.training.pairs import channels_first, channels_last

Images = dict[str, np.ndarray]


def _to_scw(volume: np.ndarray, modality: str) -> np.ndarray:
    return np.stack([channels_first(s, modality) for s in volume]).astype(np.float32)


def _run(fn: Callable[[torch.Tensor], torch.Tensor], packed: np.ndarray, batch_size: int,
         device: torch.device, multiple: int = 1) -> np.ndarray:
    """``fn`` over ``(S, C, H, W)`` in batches; ``H`` and ``W`` padded by edge repetition to ``multiple``, cropped back."""
    h, w = packed.shape[-2:]
    pad = (0, -w % multiple, 0, -h % multiple)
    outs = []
    with torch.inference_mode():
        for start in range(0, len(packed), batch_size):
            batch = torch.from_numpy(packed[start : start + batch_size]).to(device, memory_format=torch.channels_last)
            if any(pad):
                batch = torch.nn.functional.pad(batch, pad, mode="replicate")
            outs.append(fn(batch)[..., :h, :w].float().cpu().numpy())
    return np.concatenate(outs)


def quantise(image: np.ndarray, bits: int | None, clip: bool = True) -> np.ndarray:
    """Round ``image`` (meant to lie in [0, 1]) to the ``bits``-bit grid and back, as saving a PNG/TIFF does.
    ``bits=None`` returns it unchanged; ``clip=False`` skips clipping to [0, 1] and only rounds."""
    if bits is None:
        return image
    levels = 2**bits - 1
    values = np.clip(image, 0.0, 1.0) if clip else image
    return (np.round(values * levels) / levels).astype(np.float32)


def synthesise(net: IVAN, task: Task, subject: Subject | Mapping[str, np.ndarray], batch_size: int = 8,
               device: str | torch.device | None = None, raw: bool = False) -> Images | np.ndarray:
    """Forward pass ``f(X)`` over every slice of a subject holding the task's inputs: one image per output
    modality (copies averaged, projected onto the network's ``output_blocks`` where the size allows), or with ``raw``
    the packed ``(S, C, H, W)`` output as the network gives it."""
    device = pick_device(device)
    net = net.to(device, memory_format=torch.channels_last).eval()
    images = subject.images if isinstance(subject, Subject) else subject
    x = task.pack_x({m: _to_scw(images[m], m) for m in task.inputs})
    y = _run(net, x, batch_size, device, getattr(net, "size_multiple", 1))
    if raw:
        return y
    blocks = getattr(net, "output_blocks", {})
    return {m: on_blocks(channels_last(v, m), blocks.get(m, 1)) for m, v in task.unpack_y(y).items()}


def recover(net: IVAN, task: Task, outputs: Mapping[str, np.ndarray] | np.ndarray, batch_size: int = 8,
            device: str | torch.device | None = None) -> Images:
    """Inverse pass ``f^-1(Y)`` from one image per output modality (repeated into every copy) or from a
    packed ``(S, C, H, W)`` array; returns the input modalities."""
    device = pick_device(device)
    net = net.to(device, memory_format=torch.channels_last).eval()
    if isinstance(outputs, np.ndarray):
        y = outputs.astype(np.float32)
    else:
        y = task.pack_y({m: _to_scw(outputs[m], m) for m in task.outputs})
    x = _run(net.inverse, y, batch_size, device, getattr(net, "size_multiple", 1))
    return {m: channels_last(v, m) for m, v in task.unpack_x(x).items()}
