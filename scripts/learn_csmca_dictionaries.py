"""Learn the cartoon and texture filter dictionaries that :func:`ivan_core.baselines.fusion.csmca.cs_mca` uses.

Liu, Chen, Ward & Wang (2019) code each source image's high-pass band with two
convolutional dictionaries of 32 filters of 8 x 8 pixels, one learned on cartoon
(piecewise-smooth) images and one on texture images. Their learned dictionaries
(``Dc_8_8_32.mat``, ``Dt_8_8_32.mat``) are binary MATLAB files that are not available
here, so this script learns replacements of the same size with SPORCO's convolutional
dictionary learning (:class:`sporco.dictlrn.cbpdndl.ConvBPDNDictLearn`) on images that
scikit-image ships (no download):

* cartoon set: eight grey images (``camera``, ``coins``, ``moon``, ``text``, ``clock``,
  ``page``, ``astronaut`` as grey, ``shepp_logan_phantom``), each resized to
  ``SIZE x SIZE`` and reduced to its cartoon part by total-variation denoising
  (:func:`skimage.restoration.denoise_tv_chambolle`, weight ``TV_WEIGHT``), which
  removes texture and keeps piecewise-smooth regions and their edges;
* texture set: the three texture images ``brick``, ``grass`` and ``gravel``, cut into
  non-overlapping ``SIZE x SIZE`` tiles (four of each, top-left first).

Every training image is split like the fusion input: the Tikhonov low-pass
(:func:`sporco.signal.tikhonov_filter`, lambda 60, 16 pixels of padding, as in the
authors' ``CSMCA_Fusion.m``) is removed and the dictionary is learned on the
high-pass rest, so the filters model the band they will code.

Learning: ``ConvBPDNDictLearn`` (ADMM sparse coding, ADMM ``cns`` dictionary update,
zero-mean unit-norm filters), ``lmbda = LMBDA``, ``ITERATIONS`` iterations, initial
filters: 32 random high-energy training patches drawn with ``SEED`` (cartoon) and
``SEED + 1`` (texture). FFTW (when SPORCO uses pyfftw) is
set to one thread and ``FFTW_ESTIMATE`` plans so that a rerun repeats the result.

Usage (writes ``ivan_core/baselines/fusion/csmca_dictionaries.npz``; about 5 minutes on two
busy CPU cores)::

    OMP_NUM_THREADS=1 python scripts/learn_csmca_dictionaries.py
    OMP_NUM_THREADS=1 python scripts/learn_csmca_dictionaries.py --iterations 20 --out /tmp/d.npz  # quick check
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import sporco
import sporco.fft
from skimage import data
from skimage.color import rgb2gray
from skimage.restoration import denoise_tv_chambolle
from skimage.transform import resize
from sporco.dictlrn import cbpdndl
from sporco.signal import tikhonov_filter

FILTER_SIZE = 8
N_FILTERS = 32
SIZE = 128
TV_WEIGHT = 0.1
LOWPASS_LAMBDA = 60.0
LOWPASS_PAD = 16
LMBDA = 0.1
ITERATIONS = 200
SEED = 0

CARTOON_IMAGES = ("camera", "coins", "moon", "text", "clock", "page", "astronaut", "shepp_logan_phantom")
TEXTURE_IMAGES = ("brick", "grass", "gravel")
TILES_PER_TEXTURE = 4

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "ivan_core" / "baselines" / "fusion" / "csmca_dictionaries.npz"


def _grey(name: str) -> np.ndarray:
    """A scikit-image sample image as float64 grey in [0, 1]."""
    img = np.asarray(getattr(data, name)())
    if img.ndim == 3:
        img = rgb2gray(img[..., :3])
    img = img.astype(np.float64)
    if img.max() > 1.0:
        img = img / 255.0
    return np.clip(img, 0.0, 1.0)


def cartoon_set(size: int = SIZE, tv_weight: float = TV_WEIGHT) -> np.ndarray:
    """Cartoon training images ``(size, size, K)``: resized, TV-denoised sample images."""
    imgs = []
    for name in CARTOON_IMAGES:
        img = resize(_grey(name), (size, size), anti_aliasing=True, preserve_range=True)
        imgs.append(denoise_tv_chambolle(img, weight=tv_weight))
    return np.stack(imgs, axis=-1)


def texture_set(size: int = SIZE, tiles: int = TILES_PER_TEXTURE) -> np.ndarray:
    """Texture training images ``(size, size, K)``: non-overlapping tiles of the texture samples."""
    imgs = []
    for name in TEXTURE_IMAGES:
        img = _grey(name)
        corners = [(r, c) for r in range(0, img.shape[0] - size + 1, size) for c in range(0, img.shape[1] - size + 1, size)]
        if len(corners) < tiles:
            raise ValueError(f"{name} {img.shape} holds fewer than {tiles} tiles of {size}x{size}")
        imgs += [img[r:r + size, c:c + size] for r, c in corners[:tiles]]
    return np.stack(imgs, axis=-1)


def highpass(images: np.ndarray) -> np.ndarray:
    """High-pass part of each image: the image minus its Tikhonov low-pass (lambda 60, as in CS-MCA)."""
    _, high = tikhonov_filter(images, LOWPASS_LAMBDA, LOWPASS_PAD)
    return high


def initial_filters(images: np.ndarray, seed: int) -> np.ndarray:
    """``N_FILTERS`` distinct training patches, mean removed and unit norm, drawn with ``seed``.

    Only patches with at least half the training set's RMS energy qualify, so no filter
    starts flat. (Starting from Gaussian noise instead, many filters stay noise-like after
    200 iterations because sparse coding never selects them.)
    """
    rng = np.random.default_rng(seed)
    h, w, k = images.shape
    floor = 0.5 * np.sqrt(FILTER_SIZE**2 * np.mean(images**2))
    filters: list[np.ndarray] = []
    seen: set[tuple[int, int, int]] = set()
    while len(filters) < N_FILTERS:
        pick = (int(rng.integers(k)), int(rng.integers(h - FILTER_SIZE + 1)), int(rng.integers(w - FILTER_SIZE + 1)))
        if pick in seen:
            continue
        seen.add(pick)
        patch = images[pick[1]:pick[1] + FILTER_SIZE, pick[2]:pick[2] + FILTER_SIZE, pick[0]]
        patch = patch - patch.mean()
        norm = np.linalg.norm(patch)
        if norm >= floor:
            filters.append(patch / norm)
    return np.stack(filters, axis=-1).astype(np.float32)


def learn(images: np.ndarray, seed: int, lmbda: float = LMBDA, iterations: int = ITERATIONS,
          verbose: bool = False) -> tuple[np.ndarray, float]:
    """Learn ``N_FILTERS`` zero-mean unit-norm ``FILTER_SIZE``-square filters on ``images`` ``(H, W, K)``.

    Returns the dictionary ``(FILTER_SIZE, FILTER_SIZE, N_FILTERS)`` as float32 and the
    final objective value.
    """
    d0 = initial_filters(images, seed)
    opt = cbpdndl.ConvBPDNDictLearn.Options(
        {
            "Verbose": verbose,
            "MaxMainIter": iterations,
            "CBPDN": {"rho": 50.0 * lmbda + 0.5},
            "CCMOD": {"rho": 10.0, "ZeroMean": True},
        },
        xmethod="admm",
        dmethod="cns",
    )
    solver = cbpdndl.ConvBPDNDictLearn(d0, images.astype(np.float32), lmbda, opt, xmethod="admm", dmethod="cns")
    solver.solve()
    d = np.asarray(solver.getdict().squeeze(), dtype=np.float32)
    return d, float(solver.getitstat().ObjFun[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .npz (default: %(default)s)")
    parser.add_argument("--iterations", type=int, default=ITERATIONS, help="dictionary-learning iterations")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the initial filters")
    parser.add_argument("--verbose", action="store_true", help="print SPORCO's iteration table")
    args = parser.parse_args(argv)

    sporco.fft.pyfftw_threads = 1
    sporco.fft.pyfftw_planner_effort = "FFTW_ESTIMATE"

    result: dict[str, np.ndarray] = {}
    info: dict[str, object] = {
        "filter_size": FILTER_SIZE, "n_filters": N_FILTERS, "image_size": SIZE, "tv_weight": TV_WEIGHT,
        "lowpass_lambda": LOWPASS_LAMBDA, "lowpass_pad": LOWPASS_PAD, "lmbda": LMBDA,
        "iterations": args.iterations, "seed": args.seed, "sporco": sporco.__version__,
        "cartoon_images": list(CARTOON_IMAGES), "texture_images": list(TEXTURE_IMAGES),
        "texture_tiles_per_image": TILES_PER_TEXTURE,
        "script": "scripts/learn_csmca_dictionaries.py",
    }
    for offset, (name, images) in enumerate((("cartoon", cartoon_set()), ("texture", texture_set()))):
        start = time.perf_counter()
        d, objective = learn(highpass(images), args.seed + offset, iterations=args.iterations, verbose=args.verbose)
        seconds = time.perf_counter() - start
        result[name] = d
        info[f"{name}_objective"] = objective
        info[f"{name}_seconds"] = round(seconds, 1)
        print(f"{name}: {images.shape[-1]} images, objective {objective:.4g}, {seconds:.0f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, cartoon=result["cartoon"], texture=result["texture"], info=json.dumps(info))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
