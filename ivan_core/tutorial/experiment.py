"""The steps every synthesis notebook repeats: data for a profile, training (cached by model key), scoring."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ivan_core.baselines.synthesis.lookup import LinearBaseline, LookupBaseline, copy_input
from ivan_core.core.grid import block_size, on_blocks
from ivan_core.core.inference import quantise, recover, synthesise
from ivan_core.core.model import IVAN
from ivan_core.core.subject import Subject
from ivan_core.core.tasks import Task, get_task
from ivan_core.core.training import TrainResult
from ivan_core.core.training.losses import ForwardTerm
from ivan_core.core.training.pairs import channels_last
from ivan_core.data import find_aanlib, load_aanlib, make_phantom, match_activity, split_subjects
from ivan_core.evaluation import inverse_rows, score, with_ceiling
from ivan_core.store import BaselineModel, IvanModel, obtain
from ivan_core.tutorial.profiles import Profile, get_profile

Predictor = Callable[[Subject], Mapping[str, np.ndarray]]


@dataclass
class Splits:
    """Subjects for training, validation and testing (split by subject, never by slice)."""

    train: list[Subject]
    val: list[Subject]
    test: list[Subject]


def setup(profile: str, output_dir: str | Path) -> tuple[str, str]:
    """A notebook's first step: returns ``(profile, models_root)``, the profile (``IVAN_PROFILE`` overrides it)
    and the shared ``models/`` folder beside ``output_dir``, which is created."""
    profile = os.environ.get("IVAN_PROFILE", profile)
    get_profile(profile)
    out = Path(output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"profile={profile!r}, writing to {out}")
    return profile, str(out.parent / "models")


def harvard_cases(kind: str, aanlib_root: str | Path | None = None) -> list[Subject] | None:
    """The Harvard atlas cases of ``kind`` (``"CT-MRI"`` or ``"PET-MRI"``), or None when not found; a root given
    (or set in ``IVAN_AANLIB``) that does not exist raises (:func:`ivan_core.data.find_aanlib`)."""
    root = find_aanlib(aanlib_root)
    if root is None:
        print("Harvard atlas pairs not found: set aanlib_root or IVAN_AANLIB to run this part.")
        return None
    return load_aanlib(root, kind)


#: Added to a split's seed to simulate its test subjects.
TEST_SEED_OFFSET = 1000


def phantom_splits(profile: str | Profile, seed: int = 0, progress: bool = True) -> Splits:
    """The phantom at the profile's size, split by subject into ``profile.split`` counts; test subjects are
    simulated afresh with ``seed + TEST_SEED_OFFSET`` and named ``phantom-test-NNN``."""
    p = get_profile(profile)
    subjects = make_phantom(p.n_subjects, seed=seed, size=p.size, n_slices=p.n_slices, progress=progress)
    train, val, _ = split_subjects(subjects, p.split, seed=seed)
    fresh = make_phantom(p.split[2], seed=seed + TEST_SEED_OFFSET, size=p.size, n_slices=p.n_slices, progress=progress)
    return Splits(train, val, [replace(s, name=s.name.replace("phantom-", "phantom-test-")) for s in fresh])


def fit(task: Task | str, splits: Splits, profile: str | Profile, models_root: str | Path | None,
        progress: bool = True, forward_loss: ForwardTerm | None = None, pretrained: bool = False) -> TrainResult:
    """iVAN trained on ``splits`` with the profile's model and training (for a variant pass
    ``get_profile(name).changed(...)``), from the model store (:func:`ivan_core.store.obtain`): shipped with
    ``pretrained``, cached under ``models_root``, or trained."""
    p = get_profile(profile)
    task = get_task(task)
    model = obtain(IvanModel(task, p.model, p.train, p.patch, forward_loss), splits.train, splits.val, models_root,
                   pretrained, progress)
    return TrainResult(model.net, task, p.train, model.history, model.out_dir, model.seconds,
                       pretrained=model.source is not None, source=model.source)


@dataclass
class Method:
    """A predictor ``subject -> {modality: array}`` with its fitting cost (optimiser steps, seconds)."""

    predict: Predictor
    steps: int = 0
    seconds: float = 0.0

    def __call__(self, subject: Subject) -> Mapping[str, np.ndarray]:
        return self.predict(subject)


def ivan_predictor(result: TrainResult) -> Method:
    """The forward pass of a trained network as a :class:`Method`."""
    return Method(lambda subject: synthesise(result.net, result.task, subject),
                  int(sum(row.get("steps", 0) for row in result.history)),
                  float(sum(row["seconds"] for row in result.history)))


def range_matched(predict: Method, reference: np.ndarray, modality: str = "SPECT_rgb") -> Method:
    """``predict`` with the activity of its colour ``modality`` inside each subject's head given the distribution of
    ``reference`` (:func:`~ivan_core.data.match_activity`; e.g. :func:`~ivan_core.data.head_activity` of the training
    cases); same fitting cost."""
    def matched(subject: Subject) -> dict[str, np.ndarray]:
        return {modality: match_activity(predict(subject)[modality], reference, subject.mask, modality)}
    return Method(matched, predict.steps, predict.seconds)


def _timed(fit_: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    return fit_(), time.perf_counter() - t0


def fit_baseline(name: str, task: Task | str, splits: Splits, profile: str | Profile, models_root: str | Path | None,
                 progress: bool = True, pretrained: bool = False) -> BaselineModel:
    """The U-Net (``"U-Net"``), pix2pix, CycleGAN or Hi-Net trained on ``splits.train`` with iVAN's budget for
    ``profile``, from the model store like :func:`fit`; its key holds only the settings the baseline reads."""
    p = get_profile(profile)
    model = BaselineModel.named(name, task, p.train, p.patch)
    return obtain(model, splits.train, [], models_root, pretrained, progress)


def baseline_predictors(task: Task | str, splits: Splits, profile: str | Profile | None = None,
                        models_root: str | Path | None = None, progress: bool = True,
                        pretrained: bool = False, adversarial: Sequence[str] = ()) -> dict[str, Method]:
    """The baselines of a synthesis table, fitted on ``splits.train``: copy input, linear regression, lookup
    table; with ``profile`` a U-Net and each ``adversarial`` method (:func:`fit_baseline`), all with iVAN's budget.
    Every fitted method's outputs are projected onto the blocks its training targets repeat
    (:func:`~ivan_core.core.grid.block_size`), as iVAN's are (:func:`~ivan_core.core.inference.synthesise`)."""
    if adversarial and profile is None:
        raise ValueError(f"the adversarial baselines {list(adversarial)} train with a profile's budget; pass profile")
    task = get_task(task)
    linear, linear_s = _timed(lambda: LinearBaseline(task).fit(splits.train))
    lookup, lookup_s = _timed(lambda: LookupBaseline(task).fit(splits.train))
    blocks = {m: block_size(s[m] for s in splits.train) for m in task.outputs}
    methods = {"copy input": Method(lambda s: copy_input(task, s)),
               "linear regression": Method(predictor_on_blocks(linear.predict, blocks), 0, linear_s),
               "lookup table": Method(predictor_on_blocks(lookup.predict, blocks), 0, lookup_s)}
    for name in ("U-Net", *adversarial) if profile is not None else ():
        model = fit_baseline(name, task, splits, profile, models_root, progress, pretrained=pretrained)
        methods[name] = Method(predictor_on_blocks(model.predict, blocks), model.steps, model.seconds)
    return methods


def predictor_on_blocks(predict: Predictor, blocks: Mapping[str, int]) -> Predictor:
    """``predict`` with each output ``m`` on ``blocks[m] x blocks[m]`` blocks as :func:`synthesise` puts iVAN's
    (:func:`~ivan_core.core.grid.on_blocks`); ``predict`` itself where every block is 1."""
    if all(b == 1 for b in blocks.values()):
        return predict
    return lambda subject: {m: on_blocks(v, blocks.get(m, 1)) for m, v in predict(subject).items()}


def compare(task: Task | str, subjects: list[Subject], predictors: Mapping[str, Predictor]) -> list[dict]:
    """Score every predictor on every subject: :func:`ivan_core.evaluation.score` rows plus ``method`` and
    the phantom noise ceiling (:func:`ivan_core.evaluation.with_ceiling`).
    """
    task = get_task(task)
    rows = []
    for method, predict in predictors.items():
        for subject in subjects:
            rows += [{"method": method, **row} for row in score(subject, predict(subject), task.outputs)]
    return with_ceiling(rows, subjects)


def variant_rows(label: str, task: Task | str, splits: Splits, profile: str | Profile,
                 models_root: str | Path | None, progress: bool = True, pretrained: bool = False) -> list[dict]:
    """Train (or load) one ablation variant (a changed ``profile``) and score it on ``splits.test``; rows carry
    ``method=label``."""
    result = fit(task, splits, profile, models_root, progress, pretrained=pretrained)
    return [{**r, "method": label} for r in compare(task, splits.test, {"iVAN": ivan_predictor(result)})]


def variant_inverse_rows(label: str, task: Task | str, splits: Splits, profile: str | Profile,
                         models_root: str | Path | None, progress: bool = True, pretrained: bool = False
                         ) -> list[dict]:
    """:func:`ivan_core.evaluation.inverse_rows` of the :func:`variant_rows` variant on ``splits.test``."""
    result = fit(task, splits, profile, models_root, progress, pretrained=pretrained)
    return [{**r, "method": label} for s in splits.test for r in inverse_rows(result.net, result.task, s)]


def recovered_images(net: IVAN, task: Task | str, subject: Subject, bits: int = 8) -> dict[str, dict[str, np.ndarray]]:
    """The inverse pass from each start :func:`ivan_core.evaluation.inverse_rows` scores: ``{kind: {input: volume}}``
    for ``"round trip (<bits>-bit)"``, ``"saved synthesis (<bits>-bit)"`` and ``"inverse synthesis"``."""
    task = get_task(task)
    raw = synthesise(net, task, subject, raw=True)
    outputs = {m: channels_last(v, m) for m, v in task.unpack_y(raw).items()}
    starts = {f"round trip ({bits}-bit)": quantise(raw, bits, clip=False),
              f"saved synthesis ({bits}-bit)": {m: quantise(v, bits) for m, v in outputs.items()},
              "inverse synthesis": {m: subject[m] for m in task.outputs}}
    return {kind: recover(net, task, start) for kind, start in starts.items()}


def recovery_by_bits(net: IVAN, task: Task | str, subject: Subject, bits: Sequence[int] = tuple(range(2, 17, 2)),
                     modality: str | None = None, index: int | None = None) -> dict[str, dict]:
    """Recovery of one input against the bit depth of the saved output (all channels, or one image per output).
    Returns ``{"truth", "recovered": {label: {bits: (H, W)}}, "psnr": {label: {bits: dB}}, "references", "modality"}``."""
    task = get_task(task)
    modality = modality or task.inputs[0]
    k = subject.n_slices // 2 if index is None else index
    raw = synthesise(net, task, subject, raw=True)
    outputs = {m: channels_last(v, m) for m, v in task.unpack_y(raw).items()}
    starts = {"all channels": lambda b: quantise(raw, b, clip=False),
              "one image per output": lambda b: {m: quantise(v, b) for m, v in outputs.items()}}
    recovered: dict[str, dict[int, np.ndarray]] = {label: {} for label in starts}
    psnr: dict[str, dict[int, float]] = {label: {} for label in starts}
    for label, start in starts.items():
        for b in bits:
            estimate = recover(net, task, start(b))
            recovered[label][b] = estimate[modality][k]
            psnr[label][b] = score(subject, estimate, [modality], regions=("head",))[0]["psnr"]
    real = recover(net, task, {m: subject[m] for m in task.outputs})
    reference = score(subject, real, [modality], regions=("head",))[0]["psnr"]
    return {"truth": subject[modality][k], "recovered": recovered, "psnr": psnr,
            "references": {"from the real output": reference}, "modality": modality}
