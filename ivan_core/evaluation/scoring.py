"""Scoring predictions against subjects: PSNR, SSIM and NMSE per subject, summaries, inverse passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import torch

from ivan_core.data import Subject
from ivan_core.evaluation.inference import quantise, recover, synthesise
from ivan_core.metrics import nmse, psnr, ssim
from ivan_core.model import IVAN
from ivan_core.tasks import Task
from ivan_core.training.pairs import channels_last

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
