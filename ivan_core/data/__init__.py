"""Data sources: the simulated phantom, real-scan loaders, and splits.

Every source returns :class:`~ivan_core.core.subject.Subject` records: registered slices scaled to [0, 1].
"""

from ivan_core.data.activity import head_activity, match_activity
from ivan_core.data.anatomy import load_anatomy, template_slice, tissue_memberships
from ivan_core.data.loaders import DataError, find_aanlib, load_aanlib, load_brainweb, load_nifti, load_paired_folder
from ivan_core.data.phantom import cache_dir, make_phantom, noise_free
from ivan_core.data.sequences import HARVARD_PET, HARVARD_SPECT, pet_to_rgb, rgb_to_pet, rgb_to_spect
from ivan_core.data.splits import case_folds, split_subjects
from ivan_core.data.tissue import TISSUE_PARAMS, TISSUES

__all__ = [
    "make_phantom",
    "noise_free",
    "cache_dir",
    "load_aanlib",
    "load_nifti",
    "load_brainweb",
    "load_paired_folder",
    "find_aanlib",
    "DataError",
    "case_folds",
    "split_subjects",
    "TISSUES",
    "TISSUE_PARAMS",
    "HARVARD_PET",
    "HARVARD_SPECT",
    "pet_to_rgb",
    "rgb_to_pet",
    "rgb_to_spect",
    "head_activity",
    "match_activity",
    "load_anatomy",
    "template_slice",
    "tissue_memberships",
]
