"""Slices per second of ``ivan synthesise`` on a 256 x 256 volume, whole command and network alone.

    python scripts/benchmark_inference.py --threads 2 --out results/speed

The shipped ``t1_to_pet`` network (Harvard, 256 x 256 slices) runs over a random 64-slice T1 volume: the network
alone (:func:`ivan_core.core.inference.synthesise`) at several batch sizes in its inference layout
(``channels_last``) and in the plain layout, then the whole command in a subprocess (reading, scaling, the
network, writing the RGB24 NIfTI). Results go to ``--out`` (``inference.md`` and ``.json``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import torch

from ivan_core.core.inference import synthesise
from ivan_core.core.io import atomic_write_text, write_json
from ivan_core.core.tasks import get_task
from ivan_core.store import load_pretrained

SLICES, SIZE = 64, 256


def network_rate(net, task, volume: np.ndarray, batch: int, layout: str) -> float:
    """Slices per second of the forward pass over ``volume`` ``(S, H, W)``: ``"channels_last"`` is
    :func:`ivan_core.core.inference.synthesise` as the command runs it, ``"plain"`` the same batches in the
    default layout."""
    def run(images: np.ndarray) -> None:
        if layout == "channels_last":
            synthesise(net, task, {"T1": images}, batch_size=batch)
            return
        plain = net.to(memory_format=torch.contiguous_format)
        x = torch.from_numpy(np.repeat(images[:, None], task.channels, axis=1))
        with torch.inference_mode():
            for start in range(0, len(x), batch):
                plain(x[start : start + batch])

    run(volume[:batch])  # warm-up
    start = time.perf_counter()
    run(volume)
    return len(volume) / (time.perf_counter() - start)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/speed"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    task, net = get_task("t1_to_pet"), load_pretrained("t1_to_pet", "tutorial", "aanlib")
    volume = np.random.default_rng(0).random((SLICES, SIZE, SIZE)).astype(np.float32)
    rows = [{"what": "network", "layout": layout, "batch": batch,
             "slices_per_s": network_rate(net, task, volume, batch, layout)}
            for layout in ("channels_last", "plain") for batch in (1, 2, 4, 8)]
    with tempfile.TemporaryDirectory() as tmp:
        t1, pet = Path(tmp) / "t1.nii.gz", Path(tmp) / "pet.nii.gz"
        nib.save(nib.Nifti1Image(np.moveaxis(volume, 0, -1) * 1000, np.eye(4)), t1)
        command = ["ivan", "synthesise", "t1_to_pet", "--input", f"T1={t1}", "--output", f"PET_rgb={pet}", "--quiet"]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "ivan_core", *command[1:]], capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
    rows.append({"what": "whole command", "layout": "channels_last", "batch": 2, "slices_per_s": SLICES / seconds,
                 "seconds": seconds, "command": shlex.join(command)})
    args.out.mkdir(parents=True, exist_ok=True)
    run = "python scripts/benchmark_inference.py " + " ".join(argv)
    write_json(args.out / "inference.json", {"command": run, "threads": args.threads, "torch": torch.__version__,
                                             "slices": SLICES, "size": SIZE, "rows": rows})
    lines = [f"# `ivan synthesise t1_to_pet` on a {SLICES}-slice {SIZE} x {SIZE} volume\n",
             f"`{run}`; torch {torch.__version__}, {args.threads} thread(s). The whole command includes starting "
             "Python, reading, scaling, the network and writing the RGB24 NIfTI.\n",
             "| what | layout | batch | slices per second |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['what']} | {r['layout']} | {r['batch']} | {r['slices_per_s']:.2f} |" for r in rows]
    atomic_write_text(args.out / "inference.md", "\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
