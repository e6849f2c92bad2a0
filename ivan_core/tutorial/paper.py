"""The paper's reported numbers (Tables I-VI and four PSNR gains), keyed ``(task, entry, modality, metric)``.

Reference: Wang, Liu, Li, Yang & Liu, "Variable Augmented Network for Invertible Modality Synthesis-Fusion".
The paper trains and scores on other data and budgets: a direction to compare against, not a target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PaperNumber:
    """One number the paper reports: mean ``value``, printed ``std`` (None where none), ``source`` table, ``note``."""

    value: float
    std: float | None
    source: str
    note: str = ""


#: The ``kind`` of :func:`ivan_core.evaluation.inverse_rows` compared with Table IV (the paper gives no protocol).
INVERSE_KIND = "round trip (8-bit)"

_SYNTHESIS = ("PSNR", "SSIM", "NMSE")
_FUSION = ("AG", "SF", "EN", "Q_MI", "Q_ABF")

# Table I: (task, method) -> ((PSNR, ±), (SSIM, ±), (NMSE, ±)), modality T2.
_TABLE_I = {
    ("t1_to_t2", "Pix2pix"): ((36.6990, 1.3645), (0.9926, 0.0022), (0.0021, 0.0006)),
    ("t1_to_t2", "cycleGAN"): ((35.6997, 3.5396), (0.9921, 0.0032), (0.0019, 0.0011)),
    ("t1_to_t2", "Hi-Net"): ((35.6482, 1.6665), (0.9911, 0.0070), (0.0002, 0.0001)),
    ("t1_to_t2", "iVAN"): ((39.4183, 2.2150), (0.9935, 0.0012), (0.0012, 0.0004)),
    ("t1pd_to_t2", "Hi-Net"): ((40.5888, 1.8574), (0.9981, 0.0006), (0.0008, 0.0002)),
    ("t1pd_to_t2", "iVAN"): ((43.3214, 1.8446), (0.9970, 0.0008), (0.0004, 0.0001)),
}
# Table II (Harvard atlas): iVAN, modality PET (colour, PET_rgb here).
_TABLE_II = {
    "t1_to_pet": ((21.6115, 1.9022), (0.7047, 0.0511), (0.1073, 0.0487)),
    "t1t2_to_pet": ((23.2171, 1.9377), (0.7258, 0.0305), (0.0723, 0.0190)),
}
# Table III: method -> (AG, SF, EN, Q_MI, Q_ab/f), means over 22 pairs, no ±.
_TABLE_III = {
    "LP-SR": (9.3826, 36.9809, 4.2533, 0.6984, 0.5930),
    "LRD": (9.3319, 34.2692, 5.0014, 0.7016, 0.4800),
    "CS-MCA": (8.2714, 35.0354, 4.5341, 0.6746, 0.5760),
    "LP-CNN": (6.5648, 24.5249, 5.9304, 0.5919, 0.5002),
    "iVAN": (11.3779, 39.0257, 4.8530, 0.7094, 0.5937),
}
# Table IV: (task, recovered modality, column) -> ((PSNR, ±), (SSIM, ±)).
_TABLE_IV = {
    ("t1pd_to_t2", "T1", "T2 -> T1"): ((56.0053, 4.1925), (0.9993, 0.0004)),
    ("t1pd_to_t2", "PD", "T2 -> PD"): ((58.0174, 2.0429), (0.9969, 0.0015)),
    ("t1t2_to_pet", "T1", "PET -> T1"): ((66.0272, 10.7341), (0.9997, 0.0002)),
    ("t1t2_to_pet", "T2", "PET -> T2"): ((68.9461, 10.9997), (0.9995, 0.0006)),
    ("t2ct_fusion", "T2", "Fusion -> T2"): ((59.8782, 6.3086), (0.9978, 0.0023)),
    ("t2ct_fusion", "CT", "Fusion -> CT"): ((64.8058, 4.1504), (0.9996, 0.0002)),
}
# Table V (T1 + PD -> T2) and Table VI (T1 + T2 -> PET): column -> ((PSNR, ±), (SSIM, ±), (NMSE, ±)).
_TABLE_V = {
    "L1-norm": ((42.0547, 2.0842), (0.9984, 0.0005), (0.0006, 0.0003)),
    "L2-norm": ((43.3214, 1.8446), (0.9970, 0.0008), (0.0004, 0.0001)),
}
_TABLE_VI = {
    "3-channel": ((22.0593, 1.6853), (0.6915, 0.0359), (0.0943, 0.0344)),
    "6-channel": ((23.2171, 1.9377), (0.7258, 0.0305), (0.0723, 0.019)),
}

_Q_NOTE = ("the paper names the column Q_ab/f (the usual name of Xydeas & Petrovic's edge measure, "
           "Q_ABF here) but prints Piella & Heijmans' index as Eq. 18 (Q_PIELLA here); it does not say "
           "which produced the table, so both rows carry it")
_AG_NOTE = "Eq. 14 as printed is sqrt(2) times the AG computed here (ivan_core.metrics.fusion.ag)"


def _build() -> dict[tuple[str, str, str | None, str], PaperNumber]:
    table: dict[tuple[str, str, str | None, str], PaperNumber] = {}
    for (task, method), cells in _TABLE_I.items():
        for metric, (value, std) in zip(_SYNTHESIS, cells):
            table[task, method, "T2", metric] = PaperNumber(value, std, "Table I")
    for task, cells in _TABLE_II.items():
        for metric, (value, std) in zip(_SYNTHESIS, cells):
            table[task, "iVAN", "PET_rgb", metric] = PaperNumber(value, std, "Table II", "Harvard atlas")
    for method, cells in _TABLE_III.items():
        for metric, value in zip(_FUSION, cells):
            note = {"AG": _AG_NOTE, "Q_ABF": _Q_NOTE}.get(metric, "")
            table["t2ct_fusion", method, None, metric] = PaperNumber(value, None, "Table III", note)
        table["t2ct_fusion", method, None, "Q_PIELLA"] = PaperNumber(cells[-1], None, "Table III", _Q_NOTE)
    for (task, modality, column), cells in _TABLE_IV.items():
        for metric, (value, std) in zip(("PSNR", "SSIM"), cells):
            table[task, "inverse", modality, metric] = PaperNumber(value, std, "Table IV", column)
    for column, cells in _TABLE_V.items():
        for metric, (value, std) in zip(_SYNTHESIS, cells):
            table["t1pd_to_t2", column, "T2", metric] = PaperNumber(value, std, "Table V")
    for column, cells in _TABLE_VI.items():
        for metric, (value, std) in zip(_SYNTHESIS, cells):
            table["t1t2_to_pet", column, "PET_rgb", metric] = PaperNumber(value, std, "Table VI")

    def gain(task: str, entry: str, better: tuple, worse: tuple, source: str, note: str) -> None:
        diff = round(table[better].value - table[worse].value, 4)
        table[task, entry, None, "PSNR"] = PaperNumber(diff, None, source, note)

    gain("t1pd_to_t2", "gain: T1+PD over T1", ("t1pd_to_t2", "iVAN", "T2", "PSNR"), ("t1_to_t2", "iVAN", "T2", "PSNR"),
         "Table I", "43.3214 - 39.4183; the text (Section IV-B): 'an improvement of 3.9 dB'")
    gain("t1t2_to_pet", "gain: T1+T2 over T1", ("t1t2_to_pet", "iVAN", "PET_rgb", "PSNR"),
         ("t1_to_pet", "iVAN", "PET_rgb", "PSNR"), "Table II", "23.2171 - 21.6115; the text gives no number")
    gain("t1t2_to_pet", "gain: 6 over 3 channels", ("t1t2_to_pet", "6-channel", "PET_rgb", "PSNR"),
         ("t1t2_to_pet", "3-channel", "PET_rgb", "PSNR"), "Table VI", "23.2171 - 22.0593; the text gives no number")
    gain("t1pd_to_t2", "gain: L2 over L1", ("t1pd_to_t2", "L2-norm", "T2", "PSNR"), ("t1pd_to_t2", "L1-norm", "T2", "PSNR"),
         "Table V", "43.3214 - 42.0547; the text (Section V): '1.3 dB higher'")
    return table


#: Every number of Tables I-VI (and the four PSNR gains), keyed ``(task, entry, modality, metric)``.
PAPER: dict[tuple[str, str, str | None, str], PaperNumber] = _build()


def paper_number(task: str, entry: str, metric: str, modality: str | None = None) -> PaperNumber | None:
    """The paper's number for ``(task, entry, modality, metric)``, or None where it reports none.

    >>> paper_number("t1pd_to_t2", "iVAN", "PSNR", "T2")
    PaperNumber(value=43.3214, std=1.8446, source='Table I', note='')
    """
    return PAPER.get((task, entry, modality, metric.upper()))


def paper_lookup(task: str, entries: Mapping[str, str | tuple[str, str]],
                 key: str = "method") -> Callable[[Mapping, str], PaperNumber | None]:
    """A ``paper`` argument for :func:`ivan_core.tutorial.reporting.summary_rows`:
    ``(group, METRIC) -> PaperNumber or None``, the group's ``key`` value mapped by ``entries`` to the paper's
    entry (or to ``(task, entry)``), the group's ``modality`` selecting the modality; unlisted labels get None."""
    def lookup(group: Mapping, metric: str) -> PaperNumber | None:
        target = entries.get(group.get(key))
        if target is None:
            return None
        where, entry = (task, target) if isinstance(target, str) else target
        return paper_number(where, entry, metric, group.get("modality"))

    return lookup
