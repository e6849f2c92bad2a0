"""Running a trained network over whole subjects and scoring the results.

Predictions are dictionaries ``modality -> array`` per subject, in the same layout
as :class:`ivan_core.data.Subject` images (grey ``(S, H, W)``, colour ``(S, H, W, 3)``),
so they are scored against the subject with the functions of :mod:`ivan_core.metrics`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import torch

from ivan_core.data import Subject
from ivan_core.datasets import channels_first, channels_last
from ivan_core.device import pick_device
from ivan_core.metrics import nmse, psnr, ssim
from ivan_core.model import IVAN
from ivan_core.tasks import Task

Images = dict[str, np.ndarray]


def _to_scw(volume: np.ndarray, modality: str) -> np.ndarray:
    return np.stack([channels_first(s, modality) for s in volume]).astype(np.float32)


def _run(fn: Callable[[torch.Tensor], torch.Tensor], packed: np.ndarray, batch_size: int,
         device: torch.device) -> np.ndarray:
    outs = []
    with torch.no_grad():
        for start in range(0, len(packed), batch_size):
            batch = torch.from_numpy(packed[start : start + batch_size]).to(device)
            outs.append(fn(batch).float().cpu().numpy())
    return np.concatenate(outs)


def quantise(image: np.ndarray, bits: int | None, clip: bool = True) -> np.ndarray:
    """Round ``image`` to the ``bits``-bit grid of [0, 1] and back, as saving a PNG/TIFF does.

    Parameters
    ----------
    image : ndarray
        Intensities meant to lie in [0, 1].
    bits : int or None
        Bit depth; None returns ``image`` unchanged.
    clip : bool
        Clip to [0, 1] first, as an unsigned integer file does. With False, values
        outside [0, 1] stay on the same grid, so only the rounding is measured.
    """
    if bits is None:
        return image
    levels = 2**bits - 1
    values = np.clip(image, 0.0, 1.0) if clip else image
    return (np.round(values * levels) / levels).astype(np.float32)


def synthesise(net: IVAN, task: Task, subject: Subject | Mapping[str, np.ndarray], batch_size: int = 8,
               device: str | torch.device | None = None, raw: bool = False) -> Images | np.ndarray:
    """Forward pass ``f(X)`` over every slice of a subject.

    Parameters
    ----------
    net : IVAN
    task : Task
    subject : Subject or mapping
        Must hold the task's input modalities.
    raw : bool
        Return the packed multi-channel output ``(S, C, H, W)`` instead of one image
        per output modality (copies averaged).
    """
    device = pick_device(device)
    net = net.to(device).eval()
    images = subject.images if isinstance(subject, Subject) else subject
    x = task.pack_x({m: _to_scw(images[m], m) for m in task.inputs})
    y = _run(net, x, batch_size, device)
    if raw:
        return y
    return {m: channels_last(v, m) for m, v in task.unpack_y(y).items()}


def recover(net: IVAN, task: Task, outputs: Mapping[str, np.ndarray] | np.ndarray, batch_size: int = 8,
            device: str | torch.device | None = None) -> Images:
    """Inverse pass ``f^-1(Y)``: estimate the inputs from output images.

    Parameters
    ----------
    outputs : mapping or ndarray
        One image per output modality in subject layout (e.g. a real T2, or a saved
        synthesis), packed by repeating it into every copy; or an already packed
        ``(S, C, H, W)`` array (e.g. the network's own raw output, for the exact round trip).
    """
    device = pick_device(device)
    net = net.to(device).eval()
    if isinstance(outputs, np.ndarray):
        y = outputs.astype(np.float32)
    else:
        y = task.pack_y({m: _to_scw(outputs[m], m) for m in task.outputs})
    x = _run(net.inverse, y, batch_size, device)
    return {m: channels_last(v, m) for m, v in task.unpack_x(x).items()}


Region = Literal["head", "full"]


def score(reference: Subject, estimate: Mapping[str, np.ndarray], modalities: Sequence[str] | None = None,
          regions: Sequence[Region] = ("head", "full")) -> list[dict]:
    """PSNR, SSIM and NMSE of each estimated modality against the subject's.

    Returns one row per (modality, region): ``{"subject", "modality", "region",
    "psnr", "ssim", "nmse"}``. ``"head"`` scores inside ``reference.mask``, ``"full"``
    over the whole image, background included. Images are in [0, 1] (data range 1).

    Every method is scored the same way: its estimate is clipped to [0, 1] first, as
    saving it to an image file would, whether it comes from iVAN, a baseline or an
    inverse pass. (Fusion is scored alike, see :func:`ivan_core.fusion.fusion_rows`.)
    """
    rows = []
    for m in modalities or list(estimate):
        ref, est = reference[m], np.clip(np.asarray(estimate[m], dtype=np.float64), 0.0, 1.0)
        for region in regions:
            mask = reference.mask if region == "head" else None
            rows.append({"subject": reference.name, "modality": m, "region": region,
                         "psnr": psnr(ref, est, mask=mask), "ssim": ssim(ref, est, mask=mask),
                         "nmse": nmse(ref, est, mask=mask)})
    return rows


def summarise(rows: Sequence[dict], metrics: Sequence[str] = ("psnr", "ssim", "nmse"),
              by: Sequence[str] = ("method", "modality", "region")) -> list[dict]:
    """Mean and standard deviation over subjects of each metric, grouped by ``by`` keys.

    Returns rows ``{**group, "n": count, "<metric>_mean": .., "<metric>_std": ..}``.
    """
    keys = [k for k in by if rows and k in rows[0]]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    out = []
    for group, members in groups.items():
        entry = dict(zip(keys, group), n=len(members))
        for metric in metrics:
            values = np.array([r[metric] for r in members], dtype=np.float64)
            entry[f"{metric}_mean"] = float(values.mean())
            same = bool((values == values[0]).all())  # also all-inf (a perfect PSNR), where std is nan
            entry[f"{metric}_std"] = 0.0 if same else float(values.std(ddof=0))
        out.append(entry)
    return out


def inverse_rows(net: IVAN, task: Task, subject: Subject, bits: Sequence[int] = (8, 16),
                 batch_size: int = 8, device: str | torch.device | None = None) -> list[dict]:
    """Score the inverse pass of ``task`` on one subject in several ways (``kind`` column).

    * ``"round trip (float32)"``: ``f^-1(f(X))`` from the network's own multi-channel output;
      exact up to float rounding.
    * ``"round trip (N-bit)"``: every output channel rounded to N-bit steps of [0, 1] (not
      clipped) and fed back; isolates the loss from rounding.
    * ``"saved synthesis (8-bit)"``: what a user has after saving the result: one 8-bit
      image per output modality (copies averaged), repeated into every copy and fed back.
    * ``"inverse synthesis"``: ``f^-1(Y)`` from the *real* target images, a second
      synthesis task (e.g. T2 -> T1).

    Rows are those of :func:`score` for the input modalities, plus ``kind``.
    """
    raw = synthesise(net, task, subject, batch_size, device, raw=True)
    starts: dict[str, Mapping[str, np.ndarray] | np.ndarray] = {"round trip (float32)": raw}
    for b in bits:
        starts[f"round trip ({b}-bit)"] = quantise(raw, b, clip=False)
    outputs = {m: channels_last(v, m) for m, v in task.unpack_y(raw).items()}
    starts["saved synthesis (8-bit)"] = {m: quantise(v, 8) for m, v in outputs.items()}
    starts["inverse synthesis"] = {m: subject[m] for m in task.outputs}
    rows = []
    for kind, start in starts.items():
        estimate = recover(net, task, start, batch_size, device)
        rows += [{"kind": kind, **row} for row in score(subject, estimate, task.inputs)]
    return rows
