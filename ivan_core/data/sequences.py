"""Signal models that turn tissue memberships into MR, CT and PET images.

Each modality mixes per-tissue signals by the memberships (partial volume), then
adds its own acquisition effects. ``M_k`` below is the membership of tissue ``k``
and the parameters come from :mod:`ivan_core.data.tissue`.

MR (BrainWeb's protocols, Kwan et al. 1999):

* T1-weighted spoiled gradient echo (TR 18 ms, TE 10 ms, flip 30 deg):
  ``S = PD sin(a) (1 - E1) / (1 - cos(a) E1) exp(-TE / T2*)``, ``E1 = exp(-TR / T1)``;
* T2- and PD-weighted spin echo (TR 3300 ms, TE 120 ms / 35 ms):
  ``S = PD (1 - exp(-TR / T1)) exp(-TE / T2)``;
* image ``|B (sum_k M_k S_k) + n|`` with ``B`` a smooth multiplicative field
  (intensity non-uniformity, ``1 +- inu / 2``, so 20% spans 0.9 to 1.1, as in
  BrainWeb) and ``n`` complex Gaussian noise of standard deviation ``noise`` times
  the brightest tissue signal (Rician magnitude noise, BrainWeb's definition of
  "3% noise").

CT: Hounsfield units mixed by membership, ``HU = sum_k M_k HU_k``, Gaussian noise
of a few HU, then a fixed display window (default -50 to 150 HU, a wide brain
window in which bone saturates white, as in the Harvard atlas CT) mapped to [0, 1].

PET (FDG): uptake ``sum_k M_k u_k`` -> Poisson counts (emission noise) -> an
in-plane Gaussian blur to the scanner resolution (default 5 mm FWHM), which also
correlates the noise as reconstruction does. Shown in colour through
:data:`HARVARD_PET`, a colormap read off the Harvard Whole Brain Atlas PET images:
black -> dark blue -> blue -> yellow -> red -> magenta.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from scipy import ndimage, special
from scipy.spatial import cKDTree

from ivan_core.data.tissue import TissueParams

#: BrainWeb's T1-weighted protocol: spoiled FLASH, times in ms, flip in degrees.
T1W_PROTOCOL = {"tr": 18.0, "te": 10.0, "flip_deg": 30.0}
#: BrainWeb's T2-weighted protocol: dual spin echo, late echo.
T2W_PROTOCOL = {"tr": 3300.0, "te": 120.0}
#: BrainWeb's PD-weighted protocol: dual spin echo, early echo.
PDW_PROTOCOL = {"tr": 3300.0, "te": 35.0}

#: FDG colormap of the Harvard Whole Brain Atlas PET images. Its anchors were
#: read off the colours of the atlas PNGs (a 128-entry piecewise-linear table):
#: black at 0, (0, 0, 128) at 1/8, (0, 85, 255) at 1/4, yellow at 1/2, red at
#: 3/4, magenta at 1.
HARVARD_PET = LinearSegmentedColormap.from_list(
    "harvard_pet",
    [
        (0.0, (0.0, 0.0, 0.0)),
        (0.125, (0.0, 0.0, 0.5)),
        (0.25, (0.0, 1.0 / 3.0, 1.0)),
        (0.5, (1.0, 1.0, 0.0)),
        (0.75, (1.0, 0.0, 0.0)),
        (1.0, (1.0, 0.0, 1.0)),
    ],
    N=256,
)


def _safe_exp_ratio(time: float, constant: np.ndarray) -> np.ndarray:
    """``exp(-time / constant)``, 0 where the constant is 0 (tissues without signal)."""
    constant = np.asarray(constant, dtype=np.float64)
    out = np.zeros_like(constant)
    np.divide(-time, constant, out=out, where=constant > 0)
    np.exp(out, out=out, where=constant > 0)
    return out


def spoiled_gradient_echo(
    pd: np.ndarray, t1: np.ndarray, t2s: np.ndarray, tr: float, te: float, flip_deg: float
) -> np.ndarray:
    """Steady-state signal of a spoiled gradient echo (FLASH) sequence.

    Parameters
    ----------
    pd, t1, t2s : ndarray, shape (K,)
        Proton density and relaxation times (ms) per tissue; 0 means no signal.
    tr, te : float
        Repetition and echo times in ms.
    flip_deg : float
        Flip angle in degrees.

    Returns
    -------
    ndarray, shape (K,)
        Signal per tissue.
    """
    alpha = np.deg2rad(flip_deg)
    e1 = _safe_exp_ratio(tr, t1)
    steady = np.sin(alpha) * (1.0 - e1) / (1.0 - np.cos(alpha) * e1)
    return np.asarray(pd) * steady * _safe_exp_ratio(te, t2s)


def spin_echo(pd: np.ndarray, t1: np.ndarray, t2: np.ndarray, tr: float, te: float) -> np.ndarray:
    """Signal of a spin echo sequence with ``TR >> TE``.

    Parameters
    ----------
    pd, t1, t2 : ndarray, shape (K,)
        Proton density and relaxation times (ms) per tissue; 0 means no signal.
    tr, te : float
        Repetition and echo times in ms.

    Returns
    -------
    ndarray, shape (K,)
        Signal per tissue.
    """
    return np.asarray(pd) * (1.0 - _safe_exp_ratio(tr, t1)) * _safe_exp_ratio(te, t2)


def tissue_signals(params: Sequence[TissueParams], weighting: str) -> np.ndarray:
    """Per-tissue MR signal for BrainWeb's ``"T1"``, ``"T2"`` or ``"PD"`` protocol.

    Parameters
    ----------
    params : sequence of TissueParams, length K
        Tissue parameters in label order.
    weighting : {"T1", "T2", "PD"}
        Which protocol.

    Returns
    -------
    ndarray, shape (K,)
        Signal per tissue.
    """
    pd, t1, t2, t2s = (np.array([getattr(p, f) for p in params]) for f in ("pd", "t1", "t2", "t2s"))
    if weighting == "T1":
        return spoiled_gradient_echo(pd, t1, t2s, **T1W_PROTOCOL)
    if weighting == "T2":
        return spin_echo(pd, t1, t2, **T2W_PROTOCOL)
    if weighting == "PD":
        return spin_echo(pd, t1, t2, **PDW_PROTOCOL)
    raise ValueError(f"unknown MR weighting {weighting!r}; use 'T1', 'T2' or 'PD'")


def smooth_field(
    shape: tuple[int, ...], amplitude: float, rng: np.random.Generator, knots: int = 4
) -> np.ndarray:
    """Smooth multiplicative field ``1 + amplitude / 2 * f`` with ``f`` spanning [-1, 1].

    Parameters
    ----------
    shape : tuple of int
        Output shape, e.g. ``(S, H, W)``.
    amplitude : float
        Peak-to-peak relative variation (0.2 -> field from 0.9 to 1.1).
    rng : numpy.random.Generator
        Random source.
    knots : int
        Random control values per axis (fewer -> smoother), cubic-spline upsampled.

    Returns
    -------
    ndarray of float32, shape ``shape``
    """
    coarse = rng.standard_normal((knots,) * len(shape))
    grid = np.meshgrid(*[np.linspace(0, knots - 1, n) for n in shape], indexing="ij")
    field = ndimage.map_coordinates(coarse, grid, order=3, mode="nearest")
    span = field.max() - field.min()
    field = 2.0 * (field - field.min()) / span - 1.0 if span > 0 else np.zeros(shape)
    return (1.0 + 0.5 * amplitude * field).astype(np.float32)


def mr_image(
    memberships: np.ndarray,
    signals: np.ndarray,
    rng: np.random.Generator,
    noise: float = 0.03,
    inu: float = 0.2,
) -> np.ndarray:
    """Simulated MR magnitude image, in arbitrary signal units.

    Parameters
    ----------
    memberships : ndarray, shape (K, S, H, W)
        Tissue memberships.
    signals : ndarray, shape (K,)
        Signal per tissue (see :func:`tissue_signals`).
    rng : numpy.random.Generator
        Random source (non-uniformity and noise).
    noise : float
        Noise standard deviation as a fraction of the brightest tissue signal.
    inu : float
        Peak-to-peak intensity non-uniformity (0.2 = 20%).

    Returns
    -------
    ndarray of float32, shape (S, H, W)
    """
    clean = np.tensordot(signals.astype(np.float32), memberships, axes=1)
    clean *= smooth_field(clean.shape, inu, rng)
    sigma = noise * float(np.max(signals))
    real = clean + sigma * rng.standard_normal(clean.shape, dtype=np.float32)
    imag = sigma * rng.standard_normal(clean.shape, dtype=np.float32)
    return np.hypot(real, imag).astype(np.float32)


def rician_mean(amplitude: np.ndarray, sigma: float) -> np.ndarray:
    """Mean of the magnitude ``|A + n|`` of :func:`mr_image`, given the noise-free amplitude.

    ``sigma sqrt(pi / 2) L_1/2(-A^2 / (2 sigma^2))`` (Rice's mean, ``L_1/2`` a Laguerre
    function): ``A`` where the signal is strong, ``sigma sqrt(pi / 2)`` where there is none.

    Parameters
    ----------
    amplitude : ndarray, shape (...)
        Noise-free magnitude ``A >= 0``.
    sigma : float
        Standard deviation of each of the two Gaussian noise components.

    Returns
    -------
    ndarray of float64, shape (...)
    """
    amplitude = np.abs(np.asarray(amplitude, dtype=np.float64))
    if sigma <= 0:
        return amplitude
    h = amplitude**2 / (4.0 * sigma**2)  # i0e(h) = exp(-h) I0(h), i1e likewise: no overflow
    return sigma * np.sqrt(np.pi / 2.0) * ((1.0 + 2.0 * h) * special.i0e(h) + 2.0 * h * special.i1e(h))


def ct_image(
    memberships: np.ndarray,
    hounsfield: np.ndarray,
    rng: np.random.Generator,
    noise_hu: float = 4.0,
    window: tuple[float, float] = (-50.0, 150.0),
) -> np.ndarray:
    """Simulated CT, windowed to [0, 1].

    Parameters
    ----------
    memberships : ndarray, shape (K, S, H, W)
        Tissue memberships.
    hounsfield : ndarray, shape (K,)
        CT number per tissue.
    rng : numpy.random.Generator
        Random source.
    noise_hu : float
        Standard deviation of the Gaussian noise in HU.
    window : (float, float)
        HU mapped to 0 and to 1; values outside are clipped.

    Returns
    -------
    ndarray of float32, shape (S, H, W)
    """
    hu = np.tensordot(hounsfield.astype(np.float32), memberships, axes=1)
    hu += noise_hu * rng.standard_normal(hu.shape, dtype=np.float32)
    low, high = window
    return np.clip((hu - low) / (high - low), 0.0, 1.0).astype(np.float32)


def pet_activity(
    memberships: np.ndarray,
    uptake: np.ndarray,
    rng: np.random.Generator,
    pixel_mm: float,
    fwhm_mm: float = 5.0,
    counts: float | None = 60.0,
) -> np.ndarray:
    """Simulated FDG PET activity, in uptake units (white matter ~ 1).

    Parameters
    ----------
    memberships : ndarray, shape (K, S, H, W)
        Tissue memberships.
    uptake : ndarray, shape (K,)
        FDG uptake per tissue.
    rng : numpy.random.Generator
        Random source.
    pixel_mm : float
        In-plane pixel size in mm.
    fwhm_mm : float
        In-plane resolution (Gaussian FWHM) in mm. Slices are blurred one by one
        because the phantom's slices are not contiguous.
    counts : float or None
        Expected counts per pixel at uptake 1 (before blurring); fewer -> noisier. None: no
        emission noise (the expected activity; ``rng`` is not used).

    Returns
    -------
    ndarray of float32, shape (S, H, W)
    """
    activity = np.tensordot(uptake.astype(np.float32), memberships, axes=1)
    noisy = activity if counts is None else rng.poisson(np.maximum(activity, 0.0) * counts).astype(np.float32) / counts
    sigma_px = fwhm_mm / (2.0 * np.sqrt(2.0 * np.log(2.0))) / pixel_mm
    return ndimage.gaussian_filter(noisy, sigma=(0.0, sigma_px, sigma_px)).astype(np.float32)


def pet_to_rgb(activity: np.ndarray) -> np.ndarray:
    """Colour a [0, 1] activity map with :data:`HARVARD_PET`.

    Parameters
    ----------
    activity : ndarray, shape (...)
        Activity in [0, 1].

    Returns
    -------
    ndarray of float32, shape (..., 3)
    """
    return HARVARD_PET(np.clip(activity, 0.0, 1.0))[..., :3].astype(np.float32)


def rgb_to_pet(rgb: np.ndarray) -> np.ndarray:
    """Invert :data:`HARVARD_PET`: each colour to the position of its nearest colormap entry.

    This turns a colour PET (the Harvard atlas PNGs) back into a grey activity
    map; luminance would not do, as yellow is brighter than the red and magenta
    that code higher uptake.

    Parameters
    ----------
    rgb : ndarray, shape (..., 3)
        Colours in [0, 1].

    Returns
    -------
    ndarray of float32, shape (...)
        Activity in [0, 1].
    """
    table = HARVARD_PET(np.linspace(0.0, 1.0, HARVARD_PET.N))[:, :3]
    # Colours are matched at 8-bit precision, once per distinct colour.
    codes = np.round(np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.int64)
    packed = (codes[..., 0] << 16) | (codes[..., 1] << 8) | codes[..., 2]
    present = np.zeros(1 << 24, dtype=bool)
    present[packed] = True
    distinct = np.flatnonzero(present)
    colours = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1) / 255.0
    lookup = np.zeros(1 << 24, dtype=np.float32)
    lookup[distinct] = cKDTree(table).query(colours)[1] / (HARVARD_PET.N - 1)
    return lookup[packed]
