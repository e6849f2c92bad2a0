"""Signal models that turn tissue memberships into MR, CT and FDG PET images.

Each image mixes per-tissue signals by membership (partial volume), then adds acquisition effects: MR with BrainWeb's
protocols, non-uniformity and Rician noise (Kwan et al. 1999, IEEE TMI 18(11):1085-1097); CT in HU with Gaussian noise
and a display window; PET as Poisson counts blurred to the scanner resolution, coloured with :data:`HARVARD_PET`.
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

#: FDG colormap of the Harvard Whole Brain Atlas PET images, anchors read off the atlas PNGs.
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

#: Colour scale of the Harvard Whole Brain Atlas SPECT images: its 156 colours, chained from black by nearest
#: neighbour, lie within 1.6 levels (of 255) of these six anchors, each at its place in the chain.
HARVARD_SPECT = LinearSegmentedColormap.from_list(
    "harvard_spect",
    [
        (0.0, (0.0, 0.0, 0.0)),
        (23 / 155, (41 / 255, 71 / 255, 73 / 255)),
        (54 / 155, (83 / 255, 0.0, 144 / 255)),
        (86 / 155, (190 / 255, 90 / 255, 121 / 255)),
        (124 / 155, (1.0, 114 / 255, 0.0)),
        (1.0, (1.0, 222 / 255, 1.0)),
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
    """Steady-state spoiled gradient echo (FLASH) signal ``PD sin(a) (1 - E1) / (1 - cos(a) E1) exp(-TE / T2*)``.

    ``pd``, ``t1``, ``t2s`` are ``(K,)`` per tissue (ms; 0: no signal), ``E1 = exp(-TR / T1)``, ``tr`` and ``te`` in ms,
    ``flip_deg`` in degrees. Returns the ``(K,)`` signal per tissue.
    """
    alpha = np.deg2rad(flip_deg)
    e1 = _safe_exp_ratio(tr, t1)
    steady = np.sin(alpha) * (1.0 - e1) / (1.0 - np.cos(alpha) * e1)
    return np.asarray(pd) * steady * _safe_exp_ratio(te, t2s)


def spin_echo(pd: np.ndarray, t1: np.ndarray, t2: np.ndarray, tr: float, te: float) -> np.ndarray:
    """Spin echo signal ``PD (1 - exp(-TR / T1)) exp(-TE / T2)`` (``TR >> TE``).

    ``pd``, ``t1``, ``t2`` are ``(K,)`` per tissue (ms; 0: no signal), ``tr`` and ``te`` in ms. Returns ``(K,)``.
    """
    return np.asarray(pd) * (1.0 - _safe_exp_ratio(tr, t1)) * _safe_exp_ratio(te, t2)


def tissue_signals(params: Sequence[TissueParams], weighting: str) -> np.ndarray:
    """Per-tissue MR signal ``(K,)`` of ``params`` (label order) for BrainWeb's ``"T1"``, ``"T2"`` or ``"PD"`` protocol."""
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
    """Smooth multiplicative field ``1 + amplitude / 2 * f``, ``f`` spanning [-1, 1]: float32 of ``shape``.

    ``amplitude`` is peak-to-peak (0.2: 0.9 to 1.1); ``knots`` random control values per axis, cubic-spline upsampled.
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
    """Simulated MR magnitude ``|B (sum_k M_k S_k) + n|``: float32 ``(S, H, W)``, arbitrary units.

    ``memberships`` ``(K, S, H, W)``, ``signals`` ``(K,)`` (:func:`tissue_signals`); ``B`` a :func:`smooth_field` of
    peak-to-peak ``inu``; ``n`` complex Gaussian noise of std ``noise`` times the brightest tissue signal (BrainWeb's "3%").
    """
    clean = np.tensordot(signals.astype(np.float32), memberships, axes=1)
    clean *= smooth_field(clean.shape, inu, rng)
    sigma = noise * float(np.max(signals))
    real = clean + sigma * rng.standard_normal(clean.shape, dtype=np.float32)
    imag = sigma * rng.standard_normal(clean.shape, dtype=np.float32)
    return np.hypot(real, imag).astype(np.float32)


def rician_mean(amplitude: np.ndarray, sigma: float) -> np.ndarray:
    """Mean of the magnitude ``|A + n|`` of :func:`mr_image` given the noise-free amplitude ``A >= 0`` (Rice's mean).

    ``sigma sqrt(pi / 2) L_1/2(-A^2 / (2 sigma^2))``, ``sigma`` the std of each noise component: ``A`` where the signal
    is strong, ``sigma sqrt(pi / 2)`` where there is none. Float64, same shape.
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
    """Simulated CT ``sum_k M_k HU_k`` plus Gaussian noise of ``noise_hu``, windowed: float32 ``(S, H, W)`` in [0, 1].

    ``memberships`` ``(K, S, H, W)``, ``hounsfield`` ``(K,)``; ``window`` (low, high) HU maps to 0 and 1, clipped outside.
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
    """Simulated FDG PET activity in uptake units (white matter ~ 1): float32 ``(S, H, W)``.

    Uptake ``sum_k M_k u_k`` (``memberships`` ``(K, S, H, W)``, ``uptake`` ``(K,)``) as Poisson counts, ``counts`` per pixel
    at uptake 1 (None: no noise, ``rng`` unused), then a Gaussian blur of ``fwhm_mm`` in-plane, slice by slice.
    """
    activity = np.tensordot(uptake.astype(np.float32), memberships, axes=1)
    noisy = activity if counts is None else rng.poisson(np.maximum(activity, 0.0) * counts).astype(np.float32) / counts
    sigma_px = fwhm_mm / (2.0 * np.sqrt(2.0 * np.log(2.0))) / pixel_mm
    return ndimage.gaussian_filter(noisy, sigma=(0.0, sigma_px, sigma_px)).astype(np.float32)


def pet_to_rgb(activity: np.ndarray) -> np.ndarray:
    """Colour a [0, 1] activity map ``(...)`` with :data:`HARVARD_PET`: float32 ``(..., 3)``."""
    return HARVARD_PET(np.clip(activity, 0.0, 1.0))[..., :3].astype(np.float32)


def colour_to_position(rgb: np.ndarray, cmap: LinearSegmentedColormap) -> np.ndarray:
    """Invert a colour map: colours ``(..., 3)`` in [0, 1] to the position in [0, 1] of the nearest of its
    ``cmap.N`` entries, float32 ``(...)``. Colours are matched at 8-bit precision, once per distinct colour."""
    table = cmap(np.linspace(0.0, 1.0, cmap.N))[:, :3]
    codes = np.round(np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.int64)
    packed = (codes[..., 0] << 16) | (codes[..., 1] << 8) | codes[..., 2]
    present = np.zeros(1 << 24, dtype=bool)
    present[packed] = True
    distinct = np.flatnonzero(present)
    colours = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1) / 255.0
    lookup = np.zeros(1 << 24, dtype=np.float32)
    lookup[distinct] = cKDTree(table).query(colours)[1] / (cmap.N - 1)
    return lookup[packed]


def rgb_to_pet(rgb: np.ndarray) -> np.ndarray:
    """Invert :data:`HARVARD_PET` (:func:`colour_to_position`): colours ``(..., 3)`` to activity, float32 ``(...)``.

    Luminance would not do: yellow is brighter than the red and magenta that code higher uptake.
    """
    return colour_to_position(rgb, HARVARD_PET)


def rgb_to_spect(rgb: np.ndarray) -> np.ndarray:
    """Invert :data:`HARVARD_SPECT` (:func:`colour_to_position`): colours ``(..., 3)`` to activity, float32 ``(...)``."""
    return colour_to_position(rgb, HARVARD_SPECT)
