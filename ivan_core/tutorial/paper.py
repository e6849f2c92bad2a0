"""The paper's reported numbers, in one place, for the ``paper`` column of the result rows.

Every number below is copied from the tables of Wang, Liu, Li, Yang & Liu, "Variable Augmented
Network for Invertible Modality Synthesis-Fusion" (iVAN), and keyed by

``(task, entry, modality, metric)``

* ``task``: this package's task name (:data:`ivan_core.core.tasks.TASKS`), e.g. ``"t1pd_to_t2"``;
* ``entry``: the table's row or column, e.g. ``"iVAN"``, ``"Hi-Net"``, ``"LP-SR"``, ``"L1-norm"``,
  ``"3-channel"``, ``"inverse"`` (Table IV) or a ``"gain: ..."`` (a difference of two cells);
* ``modality``: the modality scored, named as in this package (``"T2"``, ``"PET_rgb"``, ...);
  None for fusion metrics and gains;
* ``metric``: ``"PSNR"``, ``"SSIM"``, ``"NMSE"`` (synthesis, Eq. 11-13) or ``"AG"``, ``"SF"``,
  ``"EN"``, ``"Q_MI"``, ``"Q_ABF"``, ``"Q_PIELLA"`` (fusion, Eq. 14-18), as the metrics are
  named in this package's rows.

Each value is a :class:`PaperNumber`: the mean, the ± of the table where it prints one (the
paper's "Mean ± Standard" over its test images), the table it comes from and a note.

What the numbers are *not*: the paper trains on BrainWeb and Harvard atlas images for 300 epochs
on a GPU and scores "the whole synthesized image" (Section IV-A); the tutorial trains on a
simulated phantom for minutes on a CPU and scores a head mask and the whole image. The column is
a direction to compare against, not a target to reproduce.

The tables
----------
* Table I: T1 -> T2 and T1 + PD -> T2 on BrainWeb (iVAN, Pix2pix, cycleGAN, Hi-Net).
* Table II: T1 -> PET and T1 + T2 -> PET on the Harvard atlas (iVAN only).
* Table III: T2 + CT fusion, means over 22 image pairs (iVAN, LP-SR, LRD, CS-MCA, LP-CNN); no ±.
  The caption says "on Brainweb dataset", the text (Section IV-C) compares on the Harvard pairs.
* Table IV: the inverse pass, PSNR and SSIM: T2 -> T1 and T2 -> PD (T1 + PD <-> T2), PET -> T1 and
  PET -> T2 (T1 + T2 <-> PET), Fusion -> T2 and Fusion -> CT (T2 + CT <-> Fusion). The paper does
  not say what the inverse is fed; the tutorial compares these with its 8-bit round trip
  (:data:`INVERSE_KIND`), the reading notebook 07 explains.
* Table V: L1-norm against L2-norm loss on T1 + PD -> T2 (the L2 column equals Table I's iVAN).
* Table VI: 3 against 6 channels on T1 + T2 -> PET (the 6-channel column equals Table II's).

Gains are differences of two table cells (reported to 4 decimals); what the text says about
each is in its note:

* T1 + PD over T1 (Table I): 43.3214 - 39.4183 = 3.9031 dB; the text: "an improvement of 3.9 dB".
* T1 + T2 over T1 for PET (Table II): 23.2171 - 21.6115 = 1.6056 dB; the text gives no number.
* 6 over 3 channels (Table VI): 23.2171 - 22.0593 = 1.1578 dB; the text gives no number.
* L2 over L1 (Table V): 43.3214 - 42.0547 = 1.2667 dB; the text says "1.3 dB higher".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PaperNumber:
    """One number the paper reports.

    Attributes
    ----------
    value : float
        The mean printed in the table (or a difference of two printed means).
    std : float or None
        The ± printed beside it (standard deviation over the paper's test images); None where
        the table prints none (Table III, gains).
    source : str
        Where it is printed, e.g. ``"Table I"``.
    note : str
        What else a reader should know about it.
    """

    value: float
    std: float | None
    source: str
    note: str = ""


#: The ``kind`` of :func:`ivan_core.evaluation.inverse_rows` compared with Table IV: the network's
#: own output rounded to 8 bits and run backwards. The paper gives no protocol for Table IV; an
#: exact float round trip scores > 100 dB and 8-bit rounding alone about 58.9 dB, which is where
#: Table IV's 56-69 dB lie.
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
    >>> paper_number("t1_to_t2pd", "iVAN", "PSNR", "T2") is None  # one-to-many: no table
    True
    """
    return PAPER.get((task, entry, modality, metric.upper()))


def paper_lookup(task: str, entries: Mapping[str, str | tuple[str, str]],
                 key: str = "method") -> Callable[[Mapping, str], PaperNumber | None]:
    """A ``paper`` argument for :func:`ivan_core.tutorial.reporting.summary_rows`.

    Parameters
    ----------
    task : str
        The paper task the rows belong to (a key of :data:`PAPER`).
    entries : mapping
        This package's label (the value of ``key`` in a group of rows, e.g. ``"iVAN"`` or
        ``"round trip (8-bit)"``) to the paper's entry (``"iVAN"``, ``"LP-SR"``, ``"inverse"``,
        ...), or to ``(task, entry)`` where the paper reports it under another task (the T1-only
        model in the T1 + PD notebook). Labels not listed get None.
    key : str
        The grouping key that holds the label.

    Returns
    -------
    callable
        ``(group, METRIC) -> PaperNumber or None``; the group's ``modality`` (if any) selects
        the modality.
    """
    def lookup(group: Mapping, metric: str) -> PaperNumber | None:
        target = entries.get(group.get(key))
        if target is None:
            return None
        where, entry = (task, target) if isinstance(target, str) else target
        return paper_number(where, entry, metric, group.get("modality"))

    return lookup
