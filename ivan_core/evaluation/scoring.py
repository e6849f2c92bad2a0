"""Scoring predictions against subjects: PSNR, SSIM and NMSE per subject, the noise ceiling, summaries, inverse passes."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import torch

from ivan_core.core.inference import quantise, recover, synthesise
from ivan_core.core.model import IVAN
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task
from ivan_core.core.training.pairs import channels_last
from ivan_core.data import noise_free
from ivan_core.metrics import fusion_metrics, nmse, psnr, ssim

Region = Literal["head", "full"]
#: ``method`` of the rows of :func:`noise_ceiling`, and the label of its line in plots.
CEILING = "noise ceiling"
#: Metrics whose ceiling :func:`with_ceiling` adds to score rows, as ``ceiling_<metric>``.
CEILING_METRICS = ("psnr", "ssim")
_CEILINGS: dict[tuple, list[dict]] = {}  # noise_ceiling rows by subject fingerprint, modalities, regions


def score(reference: Subject, estimate: Mapping[str, np.ndarray], modalities: Sequence[str] | None = None,
          regions: Sequence[Region] = ("head", "full")) -> list[dict]:
    """PSNR, SSIM and NMSE of each estimated modality against the subject's, images in [0, 1] (data range 1).

    Every estimate is clipped to [0, 1] first, as saving it would. ``"head"`` scores inside ``reference.mask``, ``"full"`` the
    whole image. Returns one row ``{"subject", "modality", "region", "psnr", "ssim", "nmse"}`` per (modality, region).
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


def noise_ceiling(reference: Subject, modalities: Sequence[str], regions: Sequence[Region] = ("head", "full"),
                  **settings) -> list[dict]:
    """The noise ceiling of synthesis on a phantom subject: :func:`score` of its noise-free images.

    The images are :func:`~ivan_core.data.phantom.noise_free` (``mean=True``), scored against the subject's own in the same
    regions; no method predicts the noise, so none beats the PSNR ceiling but by chance (the SSIM one is a close bound, not
    a strict one). Cached in memory by :meth:`~ivan_core.data.Subject.fingerprint` and the arguments.

    Parameters
    ----------
    reference : Subject
        A phantom subject (:func:`~ivan_core.data.make_phantom`).
    modalities : sequence of str
        Targets to score, e.g. ``("T2",)``.
    **settings
        Passed to :func:`~ivan_core.data.phantom.noise_free`.

    Returns rows of :func:`score` with ``method`` :data:`CEILING`; ValueError unless ``reference`` is a phantom
    subject that ``settings`` reproduce.
    """
    key = (reference.fingerprint(), tuple(modalities), tuple(regions), repr(sorted(settings.items())))
    if key not in _CEILINGS:
        clean = noise_free(reference, **settings)
        _CEILINGS[key] = [{"method": CEILING, **row} for row in score(reference, clean.images, modalities, regions)]
    return [dict(row) for row in _CEILINGS[key]]


def with_ceiling(rows: Sequence[dict], subjects: Sequence[Subject]) -> list[dict]:
    """``rows`` of :func:`score` with ``ceiling_psnr`` and ``ceiling_ssim`` of their subject, modality and region.

    Rows of non-phantom subjects come back unchanged; so do those whose subject the default settings do not reproduce, with
    a warning.
    """
    by_name = {s.name: s for s in subjects}
    tops: dict[tuple[str, str, str], dict] = {}
    for name in dict.fromkeys(r["subject"] for r in rows):
        subject = by_name.get(name)
        if subject is None or subject.meta.get("source") != "phantom":
            continue
        mine = [r for r in rows if r["subject"] == name]
        try:
            ceiling = noise_ceiling(subject, list(dict.fromkeys(r["modality"] for r in mine)),
                                    list(dict.fromkeys(r["region"] for r in mine)))
        except ValueError as err:
            warnings.warn(f"no noise ceiling for {name!r}: {err}", stacklevel=2)
            continue
        for c in ceiling:
            tops[name, c["modality"], c["region"]] = {f"ceiling_{m}": c[m] for m in CEILING_METRICS}
    return [{**r, **tops.get((r["subject"], r["modality"], r["region"]), {})} for r in rows]


def ceiling_value(rows: Sequence[dict], metric: str = "psnr", **where: str) -> float | None:
    """Mean ``ceiling_<metric>`` of the rows matching every ``key=value`` of ``where`` (each subject, modality, region once).

    None when none of them carries one.
    """
    seen = {(r["subject"], r["modality"], r["region"]): r[f"ceiling_{metric}"] for r in rows
            if f"ceiling_{metric}" in r and all(r.get(k) == v for k, v in where.items())}
    return float(np.mean(list(seen.values()))) if seen else None


def summarise(rows: Sequence[dict], metrics: Sequence[str] = ("psnr", "ssim", "nmse"),
              by: Sequence[str] = ("method", "modality", "region")) -> list[dict]:
    """Mean and std over subjects of each metric, grouped by the ``by`` keys.

    Returns rows ``{**group, "n": count, "<metric>_mean": ..., "<metric>_std": ...}``.
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
    """Score the inverse pass of ``task`` on one subject, started in several ways (``kind`` column).

    ``"round trip (float32)"``: ``f^-1(f(X))`` from the raw output; ``"round trip (N-bit)"``: every output channel rounded
    to N-bit steps (not clipped); ``"saved synthesis (8-bit)"``: one 8-bit image per output modality (copies averaged);
    ``"inverse synthesis"``: ``f^-1(Y)`` from the real targets. Rows of :func:`score` for the input modalities, plus ``kind``.
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


def fusion_rows(subject: Subject, fused: Mapping[str, np.ndarray], sources: tuple[str, str] = ("T2", "CT")) -> list[dict]:
    """Every fusion metric of each method's fused ``(S, H, W)`` volume, averaged over slices: ``{"subject", "method", ...}``.

    POLARITY is computed on the second source's bright structures inside ``subject.mask``.
    """
    a, b = sources
    rows = []
    for method, volume in fused.items():
        per_slice = [fusion_metrics(subject[a][k], subject[b][k], np.clip(volume[k], 0, 1), mask=subject.mask[k])
                     for k in range(subject.n_slices)]
        rows.append({"subject": subject.name, "method": method,
                     **{m: float(np.nanmean([p[m] for p in per_slice])) for m in per_slice[0]}})
    return rows
