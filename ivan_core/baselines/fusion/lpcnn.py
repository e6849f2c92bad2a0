"""LP-CNN medical image fusion (Liu, Chen, Cheng & Peng 2017): a Siamese-CNN weight map on Laplacian pyramids.

The network ships as ``weights/lp_cnn.pt`` with its card ``lp_cnn.json``; ``python scripts/train_lpcnn.py`` rebuilds both.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage import data as skdata
from skimage.color import rgb2gray
from skimage.transform import pyramid_reduce
from skimage.util import img_as_float32
from torch import nn

from ivan_core.baselines.fusion.rules import _check_pair, _lp_decompose, _lp_reconstruct
from ivan_core.core.io import sha256

#: Side of the training patches; the network's receptive window when applied to whole images.
PATCH = 16
#: Stride of the score map in the image (one 2 x 2 max pooling).
STRIDE = 2
#: Training blur (Liu et al. 2017): a Gaussian of standard deviation 2 cut to 7 x 7, applied 1 to BLUR_LEVELS times.
BLUR_SIGMA = 2.0
BLUR_LEVELS = 5
#: scikit-image sample images (bundled, load offline) the shipped network is trained on ...
TRAIN_IMAGES = ("astronaut", "brick", "camera", "cell", "coffee", "coins", "grass", "gravel",
                "hubble_deep_field", "immunohistochemistry", "moon", "page", "retina", "rocket", "text")
#: ... and the one held out for evaluation.
HELD_OUT_IMAGE = "chelsea"
#: The shipped weights and their card.
LPCNN_WEIGHTS = Path(__file__).resolve().parent / "weights" / "lp_cnn.pt"
#: The command that rebuilds :data:`LPCNN_WEIGHTS` (from the repository root).
REBUILD_COMMAND = "python scripts/train_lpcnn.py"


class SiameseFocusNet(nn.Module):
    """The Siamese patch classifier of Liu et al. (2017), fully convolutional; class 1: the first patch is the sharp one.

    Two weight-shared branches (conv 3x3, ReLU, conv 3x3, ReLU, max-pool 2, conv 3x3, ReLU) feed two bias-free fully
    connected layers written as 8 x 8 and 1 x 1 convolutions, which :meth:`score_map` composes into one.

    Parameters
    ----------
    widths : (int, int, int)
        Channels of the three convolution layers (paper: 64, 128, 256).
    hidden : int
        Units of the first fully connected layer (paper: 256).
    """

    def __init__(self, widths: Sequence[int] = (64, 128, 256), hidden: int = 256) -> None:
        super().__init__()
        c1, c2, c3 = (int(w) for w in widths)
        self.config = {"widths": [c1, c2, c3], "hidden": int(hidden)}
        self.branch = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, stride=2, ceil_mode=True),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
        )
        self.fc1 = nn.Conv2d(2 * c3, hidden, PATCH // STRIDE, bias=False)
        self.fc2 = nn.Conv2d(hidden, 2, 1, bias=False)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 2, h, w)``; ``h = w = 1`` for 16 x 16 patches ``a``, ``b`` of shape ``(N, 1, 16, 16)``."""
        return self.fc2(self.fc1(torch.cat([self.branch(a), self.branch(b)], dim=1)))

    def _head_kernel(self) -> torch.Tensor:
        """``fc2 . fc1`` as one 8 x 8 kernel giving the logit difference (class 1 minus class 0)."""
        w2 = self.fc2.weight[:, :, 0, 0]  # (2, hidden)
        return torch.einsum("h,hcij->cij", w2[1] - w2[0], self.fc1.weight).unsqueeze(0)

    @torch.no_grad()
    def score_map(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Probability that ``a`` is sharper for every 16 x 16 window pair at stride 2.

        ``a``, ``b``: ``(N, 1, H, W)``; returns ``(N, 1, ceil(H/2) - 7, ceil(W/2) - 7)``.
        """
        feats = torch.cat([self.branch(a), self.branch(b)], dim=1)
        return torch.sigmoid(F.conv2d(feats, self._head_kernel()))


# --------------------------------------------------------------------------------------------- data


def sample_image(name: str) -> np.ndarray:
    """A scikit-image sample image (``skimage.data.<name>``) as a grey float32 array in [0, 1]."""
    img = np.asarray(getattr(skdata, name)())
    if img.ndim == 3:
        img = rgb2gray(img[..., :3])
    return img_as_float32(img)


def blur_stack(img: np.ndarray, levels: int = BLUR_LEVELS, sigma: float = BLUR_SIGMA) -> np.ndarray:
    """``[img, g(img), g(g(img)), ...]``: ``levels`` successive Gaussian blurs (7 x 7 for sigma 2), float32."""
    stack = [np.asarray(img, dtype=np.float32)]
    for _ in range(levels):
        stack.append(ndimage.gaussian_filter(stack[-1], sigma, truncate=1.5, mode="reflect"))
    return np.stack(stack)


def sample_pairs(stacks: Sequence[np.ndarray], n: int, rng: np.random.Generator
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` labelled (sharp, blurred) patch pairs, in random order, from :func:`blur_stack` outputs.

    Returns ``a, b`` ``(n, 1, 16, 16)`` and ``label`` ``(n,)`` int64, 1 where ``a`` is the sharp patch.
    """
    a = np.empty((n, 1, PATCH, PATCH), np.float32)
    b = np.empty_like(a)
    label = rng.integers(0, 2, n)
    which = rng.integers(0, len(stacks), n)
    for i in range(n):
        stack = stacks[which[i]]
        level = rng.integers(1, len(stack))
        y = rng.integers(0, stack.shape[1] - PATCH + 1)
        x = rng.integers(0, stack.shape[2] - PATCH + 1)
        sharp, blurred = stack[0, y:y + PATCH, x:x + PATCH], stack[level, y:y + PATCH, x:x + PATCH]
        a[i, 0], b[i, 0] = (sharp, blurred) if label[i] else (blurred, sharp)
    return torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(label)


@torch.no_grad()
def patch_accuracy(model: SiameseFocusNet, a: torch.Tensor, b: torch.Tensor, label: torch.Tensor,
                   batch: int = 256) -> float:
    """Fraction of patch pairs whose sharp member ``model`` picks (see :func:`sample_pairs`)."""
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, len(label), batch):
        logits = model(a[i:i + batch], b[i:i + batch]).flatten(1)
        correct += int((logits.argmax(1) == label[i:i + batch]).sum())
    model.train(was_training)
    return correct / len(label)


def held_out_pairs(n: int = 1000, seed: int = 1234, image: str = HELD_OUT_IMAGE, blur_levels: int = BLUR_LEVELS
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` patch pairs of an image outside :data:`TRAIN_IMAGES` (else ValueError), blurred 1 to ``blur_levels`` times."""
    if image in TRAIN_IMAGES:
        raise ValueError(f"{image!r} is a training image; pick one outside TRAIN_IMAGES")
    return sample_pairs([blur_stack(sample_image(image), blur_levels)], n, np.random.default_rng(seed))


def train_lpcnn(steps: int = 300, batch: int = 64, lr: float = 1e-3, seed: int = 0,
                images: Sequence[str] = TRAIN_IMAGES, eval_every: int = 50, n_held_out: int = 1000,
                widths: Sequence[int] = (64, 128, 256), hidden: int = 256, progress: bool = False
                ) -> tuple[SiameseFocusNet, dict[str, Any]]:
    """Train :class:`SiameseFocusNet` to pick the sharp patch of a (sharp, Gaussian-blurred) pair.

    Each step draws ``batch`` fresh pairs from ``images`` and takes one Adam step on the cross-entropy; every
    ``eval_every`` steps the accuracy on ``n_held_out`` pairs of :data:`HELD_OUT_IMAGE` is recorded. ``seed`` seeds
    the initialisation and the sampling; ``steps``, ``batch >= 1`` (else ValueError).

    Returns
    -------
    model : SiameseFocusNet
        The trained network, eval mode.
    history : dict
        Lists ``step``, ``loss``, ``train_acc``, ``eval_step``, ``held_out_acc``, and ``seconds`` of training.
    """
    if steps < 1 or batch < 1:
        raise ValueError(f"steps and batch must be >= 1, got {steps} and {batch}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    stacks = [blur_stack(sample_image(name)) for name in images]
    held = held_out_pairs(n_held_out)
    model = SiameseFocusNet(widths, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, Any] = {"step": [], "loss": [], "train_acc": [], "eval_step": [], "held_out_acc": []}
    seconds = 0.0
    model.train()
    for step in range(1, steps + 1):
        t0 = time.perf_counter()
        a, b, label = sample_pairs(stacks, batch, rng)
        logits = model(a, b).flatten(1)
        loss = F.cross_entropy(logits, label)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        seconds += time.perf_counter() - t0
        history["step"].append(step)
        history["loss"].append(loss.item())
        history["train_acc"].append(float((logits.argmax(1) == label).float().mean()))
        if step % eval_every == 0 or step == steps:
            acc = patch_accuracy(model, *held)
            history["eval_step"].append(step)
            history["held_out_acc"].append(acc)
            if progress:
                recent = slice(max(0, step - eval_every), step)
                print(f"step {step}/{steps}  loss {np.mean(history['loss'][recent]):.4f}  "
                      f"train acc {np.mean(history['train_acc'][recent]):.3f}  held-out acc {acc:.3f}  "
                      f"{seconds:.0f} s", flush=True)
    history["seconds"] = seconds
    return model.eval(), history


# ------------------------------------------------------------------------------------ shipped network


def half_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict in float16, as :data:`LPCNN_WEIGHTS` is stored."""
    return {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}


def load_lpcnn(path: str | Path | None = None, verify: bool = True) -> SiameseFocusNet:
    """Load a trained :class:`SiameseFocusNet` (default :data:`LPCNN_WEIGHTS`) as float32 in eval mode, built from its card.

    Raises FileNotFoundError if the weights or their card ``<name>.json`` are missing, ValueError if ``verify`` and
    the sha256 differs from the card's.
    """

    path = Path(path) if path is not None else LPCNN_WEIGHTS
    card_path = path.with_suffix(".json")
    for needed in (path, card_path):
        if not needed.is_file():
            raise FileNotFoundError(
                f"LP-CNN network file {needed} is missing; rebuild it from the repository root with "
                f"`{REBUILD_COMMAND}` (a few minutes on one CPU thread)")
    card = json.loads(card_path.read_text())
    if verify and sha256(path) != card["sha256"]:
        raise ValueError(f"{path}: sha256 differs from its card {card_path}; rebuild with `{REBUILD_COMMAND}`")
    arch = card["architecture"]
    model = SiameseFocusNet(arch["widths"], arch["hidden"])
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.float().eval()


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> SiameseFocusNet:
    return load_lpcnn(path)


# --------------------------------------------------------------------------------------------- fusion


def weight_map(a: np.ndarray, b: np.ndarray, model: SiameseFocusNet | None = None) -> np.ndarray:
    """LP-CNN weight map ``(H, W)`` in [0, 1]: per pixel, the mean score of the 16 x 16 windows covering it.

    Near 1 where ``a`` is the sharper source. ``a``, ``b``: registered grey ``(H, W)`` images in [0, 1], ``H, W >= 16``;
    ``model`` defaults to the shipped network, loaded once.
    """
    a, b = _check_pair(a, b)
    if min(a.shape) < PATCH:
        raise ValueError(f"images {a.shape} are smaller than the network's {PATCH}x{PATCH} window")
    net = model if model is not None else _cached(str(LPCNN_WEIGHTS))
    ta = torch.from_numpy(a.astype(np.float32))[None, None]
    tb = torch.from_numpy(b.astype(np.float32))[None, None]
    with torch.no_grad():
        scores = net.score_map(ta, tb)
        window = torch.ones(1, 1, PATCH, PATCH)
        total = F.conv_transpose2d(scores, window, stride=STRIDE)[0, 0, : a.shape[0], : a.shape[1]]
        count = F.conv_transpose2d(torch.ones_like(scores), window, stride=STRIDE)[0, 0, : a.shape[0], : a.shape[1]]
    return np.clip((total / count).double().numpy(), 0.0, 1.0)


def _gaussian_pyramid(img: np.ndarray, levels: int) -> list[np.ndarray]:
    """``[G_0 = img, G_1, ...]`` with the reduce step of the Laplacian pyramid."""
    pyramid = [img]
    for _ in range(levels - 1):
        pyramid.append(pyramid_reduce(pyramid[-1], downscale=2, preserve_range=True))
    return pyramid


def _local_sum(x: np.ndarray) -> np.ndarray:
    """Sum over the 3 x 3 window around every coefficient (mirrored at the border)."""
    return ndimage.uniform_filter(x, size=3, mode="reflect") * 9.0


def _fuse_level(la: np.ndarray, lb: np.ndarray, w: np.ndarray, threshold: float) -> np.ndarray:
    """LP-CNN's similarity-adaptive rule on one pyramid level."""
    ea, eb = _local_sum(la * la), _local_sum(lb * lb)
    denom = ea + eb
    similarity = np.divide(2.0 * _local_sum(la * lb), denom, out=np.ones_like(denom), where=denom > 0)
    blended = w * la + (1.0 - w) * lb
    selected = np.where(ea >= eb, la, lb)
    return np.where(similarity >= threshold, blended, selected)


def lp_cnn(a: np.ndarray, b: np.ndarray, threshold: float = 0.6, levels: int | None = None,
           model: SiameseFocusNet | None = None) -> np.ndarray:
    """LP-CNN fusion: a Siamese-CNN weight map blended over Laplacian pyramids.

    The weight map ``W`` (:func:`weight_map`) goes into a Gaussian pyramid, both sources into Laplacian pyramids. Per
    level, where the 3 x 3 local similarity ``2 S(L_A L_B) / (S(L_A^2) + S(L_B^2))`` is at least ``threshold`` the
    coefficients are blended by ``W``; elsewhere the one of larger local energy is kept.

    Parameters
    ----------
    a, b : ndarray, shape (H, W)
        Registered grey source images in [0, 1], ``H, W >= 16``.
    threshold : float
        Similarity threshold, finite (paper: 0.6).
    levels : int, optional
        Pyramid levels including the base (>= 1); default ``floor(log2(min(H, W)))``.
    model : SiameseFocusNet, optional
        Weight-map network; default the shipped one (FileNotFoundError if missing).

    Returns
    -------
    ndarray, shape (H, W)
        Fused image, clipped to [0, 1].

    References
    ----------
    Liu, Y., Chen, X., Cheng, J. & Peng, H. (2017), "A medical image fusion method based on convolutional neural
    networks", Proc. 20th Int. Conf. Information Fusion, 1-7.
    Liu, Y., Chen, X., Peng, H. & Wang, Z. (2017), "Multi-focus image fusion with a deep convolutional neural network",
    Information Fusion 36, 191-207.
    """
    a, b = _check_pair(a, b)
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold}")
    if levels is None:
        levels = int(np.floor(np.log2(min(a.shape))))
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    w = weight_map(a, b, model)
    pa, pb, pw = _lp_decompose(a, levels), _lp_decompose(b, levels), _gaussian_pyramid(w, levels)
    fused = [_fuse_level(la, lb, g, threshold) for la, lb, g in zip(pa, pb, pw)]
    return np.clip(_lp_reconstruct(fused), 0.0, 1.0)
