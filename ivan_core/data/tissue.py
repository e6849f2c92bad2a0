"""Tissue classes of the phantom and their physical parameters, each number with its source beside it.

MR: BrainWeb at 1.5 T, https://brainweb.bic.mni.mcgill.ca/brainweb/tissue_mr_parameters.txt (Collins et al. 1998,
IEEE TMI 17(3):463-468; Kwan et al. 1999, IEEE TMI 18(11):1085-1097). CT: Buzug, *Computed Tomography*, Springer
2008, p. 475; Grainger & Allison, *Diagnostic Radiology*, 7th ed. FDG: grey:white 4:1 as in the Hoffman brain
phantom (Hoffman et al. 1990, IEEE Trans Nucl Sci 37(2):616-620); the extracranial FDG values are assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Label codes of the phantom's tissue map (``Subject.labels``). Codes 0-5 are
#: BrainWeb's (background, CSF, GM, WM, fat, muscle/skin); BrainWeb's skull (7)
#: is 6 here because the phantom has no separate skin class (BrainWeb's 6).
TISSUES: dict[int, str] = {
    0: "air",
    1: "CSF",
    2: "GM",
    3: "WM",
    4: "fat",
    5: "muscle/skin",
    6: "skull",
}


@dataclass(frozen=True)
class TissueParams:
    """Physical parameters of one tissue class.

    Attributes
    ----------
    t1, t2, t2s : float
        Relaxation times at 1.5 T in ms (0: no signal).
    pd, hu, fdg : float
        Proton density relative to CSF; CT number in HU; FDG uptake relative to white matter.
    """

    t1: float
    t2: float
    t2s: float
    pd: float
    hu: float
    fdg: float


#: Parameters per tissue name of :data:`TISSUES`.
TISSUE_PARAMS: dict[str, TissueParams] = {
    # air: BrainWeb background (no signal); HU -1000 by definition (Buzug 2008)
    "air": TissueParams(t1=0.0, t2=0.0, t2s=0.0, pd=0.0, hu=-1000.0, fdg=0.0),
    # CSF: BrainWeb 2569/329/58 ms, PD 1.0; HU 8 (water = 0, Grainger & Allison, plus protein);
    # FDG ~0 (no glucose metabolism in CSF)
    "CSF": TissueParams(t1=2569.0, t2=329.0, t2s=58.0, pd=1.0, hu=8.0, fdg=0.05),
    # GM: BrainWeb 833/83/69 ms, PD 0.86; HU 41 (37-45, Buzug 2008); FDG 4 (Hoffman 1990)
    "GM": TissueParams(t1=833.0, t2=83.0, t2s=69.0, pd=0.86, hu=41.0, fdg=4.0),
    # WM: BrainWeb 500/70/61 ms, PD 0.77; HU 25 (20-30, Buzug 2008); FDG 1 (reference)
    "WM": TissueParams(t1=500.0, t2=70.0, t2s=61.0, pd=0.77, hu=25.0, fdg=1.0),
    # fat: BrainWeb 350/70/58 ms, PD 1.0; HU -75 (-50 to -100, Buzug 2008);
    # FDG 0.2 (assumption: low, extracranial)
    "fat": TissueParams(t1=350.0, t2=70.0, t2s=58.0, pd=1.0, hu=-75.0, fdg=0.2),
    # muscle/skin: BrainWeb 900/47/30 ms, PD 1.0; HU 50 (40-80, Grainger & Allison);
    # FDG 0.6 (assumption: resting muscle below white matter)
    "muscle/skin": TissueParams(t1=900.0, t2=47.0, t2s=30.0, pd=1.0, hu=50.0, fdg=0.6),
    # skull: BrainWeb 0/0/0, PD 0 (no MR signal); HU 1200 (700-3000, Buzug 2008; the
    # skull mixes cortical bone and diploe); FDG 0.1 (assumption: bone takes up little)
    "skull": TissueParams(t1=0.0, t2=0.0, t2s=0.0, pd=0.0, hu=1200.0, fdg=0.1),
}


def tissue_names() -> list[str]:
    """Tissue names in label order (``TISSUES[0]``, ``TISSUES[1]``, ...)."""
    return [TISSUES[code] for code in sorted(TISSUES)]
