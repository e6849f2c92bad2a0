"""Train the LP-CNN weight-map network and write it into the package.

    python scripts/train_lpcnn.py                 # the shipped network (fixed seed)
    python scripts/train_lpcnn.py --steps 50 --out /tmp/lpcnn.pt

Writes ``<out>`` (state dict only, float16, for ``torch.load(path, weights_only=True)``) and its card
``<out>.json`` (architecture, training data, steps, seconds, held-out accuracy, sha256, command),
both atomically. Runs on one CPU thread.
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ivan_core.baselines.fusion.lpcnn import (
    BLUR_LEVELS,
    BLUR_SIGMA,
    HELD_OUT_IMAGE,
    LPCNN_WEIGHTS,
    PATCH,
    TRAIN_IMAGES,
    SiameseFocusNet,
    half_state_dict,
    held_out_pairs,
    load_lpcnn,
    patch_accuracy,
    train_lpcnn,
)
from ivan_core.core.io import write_json
from ivan_core.core.training.checkpoint import atomic_save
from ivan_core.store import sha256


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--out", type=Path, default=LPCNN_WEIGHTS, help=f"weights file (default {LPCNN_WEIGHTS})")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    started = time.time()
    model, history = train_lpcnn(steps=args.steps, batch=args.batch, lr=args.lr, seed=args.seed, progress=True)
    atomic_save(half_state_dict(model), args.out)

    # Score the network as shipped (float16 weights read back), on fresh held-out pairs.
    card = {
        "name": "lp_cnn",
        "method": "LP-CNN (Liu, Chen, Cheng & Peng, Proc. 20th Int. Conf. Information Fusion, 2017)",
        "architecture": {**model.config, "class": f"{SiameseFocusNet.__module__}.{SiameseFocusNet.__name__}",
                         "patch": PATCH, "parameters": sum(p.numel() for p in model.parameters()),
                         "stored_dtype": "float16"},
        "training_data": {
            "images": [f"skimage.data.{name}" for name in TRAIN_IMAGES],
            "held_out_image": f"skimage.data.{HELD_OUT_IMAGE}",
            "pairs": f"{PATCH}x{PATCH} grey patch and its copy blurred 1-{BLUR_LEVELS} times by a Gaussian "
                     f"(sigma {BLUR_SIGMA}, 7x7), random order, fresh pairs every step",
        },
        "optimiser": {"name": "Adam", "lr": args.lr, "batch": args.batch, "steps": args.steps, "seed": args.seed},
        "threads": args.threads,
        "seconds": round(history["seconds"], 1),
        "wall_clock_seconds": None,
        "held_out_accuracy": None,
        "sha256": sha256(args.out),
        "command": " ".join(["python", "scripts/train_lpcnn.py", *map(shlex.quote, sys.argv[1:] if argv is None else argv)]),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
        "history": {k: [round(v, 5) for v in vals] if k in ("loss", "train_acc", "held_out_acc") else vals
                    for k, vals in history.items() if k != "seconds"},
    }
    card_path = args.out.with_suffix(".json")
    write_json(card_path, card)
    shipped = load_lpcnn(args.out)
    accuracy = {name: round(patch_accuracy(shipped, *held_out_pairs(2000, 99, blur_levels=levels)), 4)
                for name, levels in (("accuracy", BLUR_LEVELS), ("accuracy_blur_level_1", 1))}
    card["held_out_accuracy"] = {"pairs": 2000, "seed": 99, "image": f"skimage.data.{HELD_OUT_IMAGE}", **accuracy}
    card["wall_clock_seconds"] = round(time.time() - started, 1)
    write_json(card_path, card)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) and {card_path}: "
          f"held-out accuracy {accuracy}, {card['seconds']:.0f} s training")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
