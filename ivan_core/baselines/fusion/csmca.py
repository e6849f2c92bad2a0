"""CS-MCA fusion: convolutional-sparsity-based morphological component analysis (Liu et al. 2019).

Port of the authors' MATLAB code (github.com/yuliu316316/CSMCA-Fusion) on SPORCO; the dictionaries are learned here.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from scipy import ndimage

from ivan_core.baselines.fusion.rules import _check_pair

DICTIONARY_FILE = Path(__file__).with_name("csmca_dictionaries.npz")

# The authors' schedule: outer iteration k = 1..iterations codes with lambda = max(0.6 - 0.1 k, 0.005).
_LAMBDA_START, _LAMBDA_STEP, _LAMBDA_MIN = 0.6, 0.1, 0.005


@functools.lru_cache(maxsize=1)
def _shipped_dictionaries() -> tuple[np.ndarray, np.ndarray]:
    with np.load(DICTIONARY_FILE) as z:
        return z["cartoon"].astype(np.float32), z["texture"].astype(np.float32)


def load_dictionaries() -> tuple[np.ndarray, np.ndarray, dict]:
    """The shipped cartoon and texture dictionaries, each ``(8, 8, 32)`` float32, and their training ``info`` dict."""
    cartoon, texture = _shipped_dictionaries()
    with np.load(DICTIONARY_FILE) as z:
        info = json.loads(str(z["info"]))
    return cartoon.copy(), texture.copy(), info


def _check_dictionary(d: np.ndarray, label: str) -> np.ndarray:
    d = np.asarray(d)
    if d.ndim != 3 or d.shape[0] < 1 or d.shape[1] < 1 or d.shape[2] < 1:
        raise ValueError(f"{label} dictionary must be (rows, cols, filters), got shape {d.shape}")
    if not np.isfinite(d).all():
        raise ValueError(f"{label} dictionary contains NaN or inf")
    return d.astype(np.float32)


@contextlib.contextmanager
def _sporco_fft() -> Iterator[None]:
    """Deterministic FFTW plans (and OMP_NUM_THREADS threads) while SPORCO runs; restores its settings after."""
    import sporco.fft as sfft

    saved = sfft.pyfftw_planner_effort, sfft.pyfftw_threads
    sfft.pyfftw_planner_effort = "FFTW_ESTIMATE"
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        sfft.pyfftw_threads = int(threads)
    try:
        yield
    finally:
        sfft.pyfftw_planner_effort, sfft.pyfftw_threads = saved


def _synthesise(d: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_m d_m * x_m`` with circular convolution, filters anchored at the top-left (SPORCO's model)."""
    shape = x.shape[:2]
    df = np.fft.rfft2(d, s=shape, axes=(0, 1))
    xf = np.fft.rfft2(x, axes=(0, 1))
    return np.fft.irfft2(np.sum(df * xf, axis=2), s=shape, axes=(0, 1)).astype(np.float32)


def _cbpdn(d: np.ndarray, s: np.ndarray, lmbda: float, rho: float, max_iter: int, rel_tol: float) -> np.ndarray:
    """Convolutional BPDN coefficient maps ``(H, W, M)`` of ``s`` on ``d`` (the authors' options)."""
    from sporco.admm import cbpdn

    opt = cbpdn.ConvBPDN.Options({
        "Verbose": False,
        "MaxMainIter": max_iter,
        "rho": rho,
        "RelStopTol": rel_tol,
        "AuxVarObj": False,
        "HighMemSolve": True,
        "FastSolve": True,  # skips only the objective value
        # MATLAB SPORCO's auto-rho scaling (Python SPORCO's default is 1000).
        "AutoRho": {"Scaling": 100.0},
    })
    solver = cbpdn.ConvBPDN(d, s, lmbda, opt, dimK=0, dimN=2)
    return np.asarray(solver.solve(), dtype=np.float32).reshape(s.shape + (d.shape[2],))


def csmca_decompose(high: np.ndarray, cartoon: np.ndarray, texture: np.ndarray, iterations: int = 6,
                    admm_iterations: int = 30, rel_tol: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Split a high-pass image ``(H, W)`` into cartoon and texture coefficient maps ``(H, W, M)`` (the authors' ``CSMCA.m``).

    Alternates CBPDN solves on the ``(h, w, M)`` dictionaries for ``iterations >= 1`` rounds with
    ``lambda_k = max(0.6 - 0.1 k, 0.005)``, each of at most ``admm_iterations`` ADMM steps to tolerance ``rel_tol``.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    s = np.asarray(high, dtype=np.float32)
    part_c = np.zeros_like(s)
    part_t = np.zeros_like(s)
    xc = xt = None
    for k in range(1, iterations + 1):
        lmbda = max(_LAMBDA_START - _LAMBDA_STEP * k, _LAMBDA_MIN)
        xc = _cbpdn(cartoon, s - part_t, lmbda, 50.0 * lmbda + 1.0, admm_iterations, rel_tol)
        part_c = _synthesise(cartoon, xc)
        xt = _cbpdn(texture, s - part_c, lmbda, 1.0, admm_iterations, rel_tol)
        part_t = _synthesise(texture, xt)
    return xc, xt


def _choose_coefficients(x1: np.ndarray, x2: np.ndarray, radius: int) -> np.ndarray:
    """The authors' ``coef_fusion``: per pixel, all maps of the source with larger windowed l1 activity (ties: x2)."""
    size = 2 * radius + 1
    act1 = ndimage.uniform_filter(np.abs(x1).sum(axis=2, dtype=np.float64), size, mode="constant")
    act2 = ndimage.uniform_filter(np.abs(x2).sum(axis=2, dtype=np.float64), size, mode="constant")
    return np.where((act1 > act2)[..., None], x1, x2)


def cs_mca(a: np.ndarray, b: np.ndarray, dictionaries: tuple[np.ndarray, np.ndarray] | None = None,
           lowpass_lambda: float = 60.0, lowpass_pad: int = 16, iterations: int = 6, admm_iterations: int = 30,
           rel_tol: float = 1e-3, cartoon_radius: int = 5, texture_radius: int = 2) -> np.ndarray:
    """CS-MCA fusion of Liu, Chen, Ward & Wang (2019).

    Tikhonov two-scale split; the high-pass parts go through :func:`csmca_decompose`, their coefficient maps are
    fused by windowed l1 activity (ties go to ``b``) and the low-pass parts averaged. Deviations from the paper:
    dictionaries learned here (:func:`load_dictionaries`), Python SPORCO with MATLAB SPORCO's auto-rho scaling
    (100), and a float result instead of ``uint8``. Invalid images, dictionaries or parameters raise ValueError.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1], at least as large as the filters.
    dictionaries : (ndarray, ndarray), optional
        Cartoon and texture dictionaries ``(h, w, M)``; default the shipped ones.
    lowpass_lambda, lowpass_pad : float, int
        Tikhonov low-pass weight and symmetric padding (the authors' 60 and 16).
    iterations, admm_iterations, rel_tol
        See :func:`csmca_decompose` (the authors' 6, 30 and 1e-3).
    cartoon_radius, texture_radius : int
        Half-widths of the activity windows (5 and 2).

    Returns
    -------
    ndarray, shape (H, W)
        Fused image, float64, clipped to [0, 1].

    References
    ----------
    Liu, Y., Chen, X., Ward, R. K. & Wang, Z. J. (2019), "Medical image fusion via convolutional sparsity based
    morphological component analysis", IEEE Signal Processing Letters 26(3), 485-489.
    """
    a, b = _check_pair(a, b)
    cartoon, texture = _shipped_dictionaries() if dictionaries is None else dictionaries
    cartoon, texture = _check_dictionary(cartoon, "cartoon"), _check_dictionary(texture, "texture")
    size = max(cartoon.shape[:2] + texture.shape[:2])
    if min(a.shape) < size:
        raise ValueError(f"images {a.shape} are smaller than the {size}x{size} filters")
    if lowpass_lambda < 0 or lowpass_pad < 0 or cartoon_radius < 0 or texture_radius < 0:
        raise ValueError("lowpass_lambda, lowpass_pad and the window radii must be non-negative")
    if admm_iterations < 1 or not rel_tol > 0:
        raise ValueError(f"need admm_iterations >= 1 and rel_tol > 0, got {admm_iterations} and {rel_tol}")

    from sporco.signal import tikhonov_filter

    with _sporco_fft():
        low_a, high_a = tikhonov_filter(a.astype(np.float32), lowpass_lambda, lowpass_pad)
        low_b, high_b = tikhonov_filter(b.astype(np.float32), lowpass_lambda, lowpass_pad)
        xc_a, xt_a = csmca_decompose(high_a, cartoon, texture, iterations, admm_iterations, rel_tol)
        xc_b, xt_b = csmca_decompose(high_b, cartoon, texture, iterations, admm_iterations, rel_tol)
    xc = _choose_coefficients(xc_a, xc_b, cartoon_radius)
    xt = _choose_coefficients(xt_a, xt_b, texture_radius)
    fused = (low_a.astype(np.float64) + low_b) / 2.0 + _synthesise(cartoon, xc) + _synthesise(texture, xt)
    return np.clip(fused, 0.0, 1.0)
