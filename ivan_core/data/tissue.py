"""Tissue classes of the phantom and their physical parameters, as one table.

Every number carries its source in the comment beside it. The MR values are
BrainWeb's at 1.5 T: the file ``tissue_mr_parameters.txt`` of the BrainWeb
simulator (https://brainweb.bic.mni.mcgill.ca/brainweb/tissue_mr_parameters.txt,
1996), used for the BrainWeb normal brain of Collins et al. 1998 (IEEE TMI
17(3):463-468) and Kwan et al. 1999 (IEEE TMI 18(11):1085-1097). Times are in
ms, proton density (PD) is relative to CSF (= 1).

CT numbers are in Hounsfield units (HU), the middle of the ranges tabulated in
Buzug, *Computed Tomography*, Springer 2008, p. 475 (air -1000, fat -50 to
-100, white matter 20 to 30, grey matter 37 to 45, bone 700 to 3000), and
Grainger & Allison's *Diagnostic Radiology*, 7th ed. (water 0, soft tissue /
muscle 40 to 80). CSF is water with a little protein: we put it a few HU above
water, at 8 HU.

FDG PET uptake is relative to white matter (= 1). Grey matter takes up about
four times as much glucose as white matter: the 3-D Hoffman brain phantom,
built to mimic FDG and blood-flow PET, is filled at a 4:1 grey:white ratio
(Hoffman et al. 1990, IEEE Trans Nucl Sci 37(2):616-620). CSF takes up
essentially no FDG. The extracranial values are assumptions, stated as such:
they make the scalp faintly visible, as it is in the Harvard atlas FDG images.
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
        Relaxation times T1, T2 and T2* at 1.5 T, in ms (0 for no signal).
    pd : float
        Proton density relative to CSF.
    hu : float
        CT number in Hounsfield units.
    fdg : float
        FDG PET uptake relative to white matter.
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
