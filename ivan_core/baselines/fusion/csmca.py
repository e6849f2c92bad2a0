"""CS-MCA fusion: convolutional-sparsity-based morphological component analysis (Liu et al. 2019).

:func:`cs_mca` follows the authors' MATLAB release (``CSMCA_Fusion.m``, ``CSMCA.m`` and
``coef_fusion.m`` of github.com/yuliu316316/CSMCA-Fusion) with the same default
parameters; the convolutional sparse coding is SPORCO's ADMM solver
(:class:`sporco.admm.cbpdn.ConvBPDN`), the Python port of the MATLAB SPORCO routine
``cbpdn`` the authors call. The filter dictionaries are not the authors' (see
:func:`cs_mca`): they are learned by ``scripts/learn_csmca_dictionaries.py`` and shipped
as ``csmca_dictionaries.npz`` beside this module.
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
    """The shipped cartoon and texture dictionaries and how they were learned.

    Returns
    -------
    cartoon, texture : ndarray, shape (8, 8, 32)
        Filter dictionaries (zero-mean, unit-norm filters), float32.
    info : dict
        Training set, parameters and objective values written by
        ``scripts/learn_csmca_dictionaries.py``.
    """
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
    """Deterministic FFTW plans, and OMP_NUM_THREADS FFTW threads if set, while SPORCO runs.

    SPORCO uses pyfftw (when installed) with ``FFTW_MEASURE`` plans, which time several
    algorithms and can pick a different one on the next run (last-bit differences), and
    with one thread per CPU. Both module settings are restored afterwards.
    """
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
        "FastSolve": True,  # skips only the objective value; residuals, rho updates and stopping stay
        # MATLAB SPORCO's default (the Python default is 1000); the rest of the
        # automatic rho policy and the relaxation (1.8) default alike in both.
        "AutoRho": {"Scaling": 100.0},
    })
    solver = cbpdn.ConvBPDN(d, s, lmbda, opt, dimK=0, dimN=2)
    return np.asarray(solver.solve(), dtype=np.float32).reshape(s.shape + (d.shape[2],))


def csmca_decompose(high: np.ndarray, cartoon: np.ndarray, texture: np.ndarray, iterations: int = 6,
                    admm_iterations: int = 30, rel_tol: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Split a high-pass image into cartoon and texture coefficient maps (the authors' ``CSMCA.m``).

    Block-coordinate MCA: for ``k = 1..iterations``, with ``lambda_k = max(0.6 - 0.1 k, 0.005)``,
    the cartoon part is recoded as ``x_c = D_c * CBPDN(D_c, s - x_t, lambda_k)`` (ADMM penalty
    ``rho = 50 lambda_k + 1``), then the texture part as
    ``x_t = D_t * CBPDN(D_t, s - x_c, lambda_k)`` (``rho = 1``), each CBPDN run for at most
    ``admm_iterations`` ADMM steps or until the relative residuals fall below ``rel_tol``.

    Parameters
    ----------
    high : ndarray, shape (H, W)
        High-pass image.
    cartoon, texture : ndarray, shape (h, w, M)
        Filter dictionaries.
    iterations : int
        Outer MCA iterations (the authors' ``iters``, 6).
    admm_iterations : int
        Maximum ADMM iterations per CBPDN solve (30).
    rel_tol : float
        ADMM relative stopping tolerance (1e-3).

    Returns
    -------
    xc, xt : ndarray, shape (H, W, M)
        Cartoon and texture coefficient maps of the last iteration, float32.
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
    """The authors' ``coef_fusion``: per pixel, the source with the larger windowed l1 activity.

    Activity ``A = sum_m |x_m|``, averaged over a ``(2 radius + 1)``-square window with
    zero padding (MATLAB ``imfilter``'s default); source 1 wins where its average is
    strictly larger, source 2 elsewhere (ties included), taking all M maps at that pixel.
    """
    size = 2 * radius + 1
    act1 = ndimage.uniform_filter(np.abs(x1).sum(axis=2, dtype=np.float64), size, mode="constant")
    act2 = ndimage.uniform_filter(np.abs(x2).sum(axis=2, dtype=np.float64), size, mode="constant")
    return np.where((act1 > act2)[..., None], x1, x2)


def cs_mca(a: np.ndarray, b: np.ndarray, dictionaries: tuple[np.ndarray, np.ndarray] | None = None,
           lowpass_lambda: float = 60.0, lowpass_pad: int = 16, iterations: int = 6, admm_iterations: int = 30,
           rel_tol: float = 1e-3, cartoon_radius: int = 5, texture_radius: int = 2) -> np.ndarray:
    """CS-MCA fusion of Liu, Chen, Ward & Wang (2019).

    Steps, as in the authors' ``CSMCA_Fusion.m``:

    1. Two-scale split: each source ``S`` is low-pass filtered by Tikhonov regularisation,
       ``S_l = argmin_x ||x - S||^2 / 2 + lowpass_lambda / 2 sum_i ||G_i x||^2`` with
       ``G_i`` the discrete gradients (:func:`sporco.signal.tikhonov_filter`, symmetric
       padding of ``lowpass_pad`` pixels), and ``S_h = S - S_l``.
    2. Morphological component analysis with convolutional sparsity
       (:func:`csmca_decompose`): ``S_h ~ D_c * X_c + D_t * X_t``, cartoon coefficient
       maps ``X_c`` on the cartoon dictionary ``D_c`` and texture maps ``X_t`` on the texture
       dictionary ``D_t``, by 6 alternating convolutional BPDN solves per component with a
       decreasing sparsity weight ``lambda_k = max(0.6 - 0.1 k, 0.005)``.
    3. Coefficient fusion (:func:`_choose_coefficients`): per pixel, all maps of the source
       with the larger l1 activity ``sum_m |X_m|``, averaged over an 11 x 11 window
       (``cartoon_radius`` 5) for cartoon and a 5 x 5 window (``texture_radius`` 2) for
       texture; ties go to ``b``.
    4. Reconstruction: ``F = (A_l + B_l) / 2 + D_c * X_c^F + D_t * X_t^F``, clipped to
       [0, 1].

    **Deviations from the publication.**

    * Dictionaries: the authors' learned ``Dc_8_8_32.mat`` and ``Dt_8_8_32.mat`` are not
      available here, so two dictionaries of the same size (32 filters of 8 x 8) were
      learned with SPORCO's convolutional dictionary learning on images bundled with
      scikit-image: a cartoon set (TV-denoised grey sample images) and a texture set
      (tiles of ``brick``, ``grass``, ``gravel``), each high-passed with the same
      Tikhonov filter (``scripts/learn_csmca_dictionaries.py``; settings in
      :func:`load_dictionaries`' ``info``). Results therefore differ from the
      authors' numbers.
    * Solver: Python SPORCO's ``ConvBPDN`` instead of MATLAB SPORCO's ``cbpdn``, with the
      authors' options (at most 30 ADMM iterations, relative tolerance 1e-3, their
      ``rho``, ``HighMemSolve``) and MATLAB SPORCO's automatic-rho scaling limit of 100
      (Python SPORCO's default is 1000). Computed in float32, as the authors' ``single``
      images. FFTW plans are estimated rather than measured so repeated calls give
      identical results.
    * The authors write ``uint8(s * 255)`` (rounding and saturation); the float result is
      returned here, clipped to [0, 1].

    Cost: 24 CBPDN solves of up to 30 ADMM iterations on ``(H, W, 32)`` coefficient maps
    (on medical slices every solve runs all 30), about 42 CPU-seconds per 256 x 256 pair on
    one core (measured with SPORCO 0.2.2 and pyfftw), by far the most expensive method in
    this package. The defaults are the paper's iteration counts; lower ``iterations`` /
    ``admm_iterations`` trade fidelity to the publication for time.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1].
    dictionaries : (ndarray, ndarray), optional
        Cartoon and texture filter dictionaries ``(h, w, M)``; default the shipped ones.
    lowpass_lambda : float
        Tikhonov low-pass weight (the authors' ``fltlmbd``, 60).
    lowpass_pad : int
        Symmetric padding for the low-pass filter (the authors' ``npd``, 16).
    iterations : int
        Outer MCA iterations (6).
    admm_iterations : int
        Maximum ADMM iterations per convolutional sparse coding (30).
    rel_tol : float
        ADMM relative stopping tolerance (1e-3).
    cartoon_radius, texture_radius : int
        Half-widths of the activity-averaging windows (5 and 2).

    Returns
    -------
    ndarray, shape (H, W)
        Fused image, float64, clipped to [0, 1].

    References
    ----------
    Liu, Y., Chen, X., Ward, R. K. & Wang, Z. J. (2019), "Medical image fusion via
    convolutional sparsity based morphological component analysis", IEEE Signal
    Processing Letters 26(3), 485-489.

    Wohlberg, B. (2016), "Efficient algorithms for convolutional sparse representations",
    IEEE Trans. Image Processing 25(1), 301-315 (the CBPDN solver).
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
