"""The README's "Your own scans" example, measured: Harvard pairs stacked into NIfTI volumes, run through ``ivan``.

    python scripts/own_scans_example.py --out runs/own-scans

Harvard PET-MRI case 30 (sagittal) becomes ``T1.nii.gz`` and an RGB24 ``PET.nii.gz`` on an RAS+ grid;
``ivan synthesise t1_to_pet`` runs as a user would (a subprocess), once with the ``aanlib-case25`` network (trained
on case 25 alone, coronal: the default ``aanlib`` one has seen case 30) and once with the phantom one, and each output is scored
against the true PET inside the head. The commands, what ``ivan`` printed and the scores go to
``results/tutorial_cpu/own_scans_example.md``.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

from ivan_core.core.io import atomic_write_text
from ivan_core.data import load_aanlib
from ivan_core.data.volumes import RGB24, from_radiological, read_volume, to_slices
from ivan_core.evaluation import score

#: The held-out case and the axis its slices are cut along (0: sagittal).
CASE, AXIS = 30, 0


def write_case(out: Path) -> tuple[object, dict[str, Path]]:
    """Case :data:`CASE` as NIfTI volumes (identity affine, RAS+), so cutting along :data:`AXIS` gives its slices back."""
    (subject,) = load_aanlib(pair="PET-MRI", cases=[CASE])
    out.mkdir(parents=True, exist_ok=True)
    t1 = from_radiological(np.round(subject["T1"] * 255).astype(np.uint8), AXIS)
    pet = np.ascontiguousarray(from_radiological(np.round(subject["PET_rgb"] * 255).astype(np.uint8), AXIS))
    paths = {"T1": out / "T1.nii.gz", "PET_rgb": out / "PET.nii.gz"}
    nib.save(nib.Nifti1Image(t1, np.eye(4)), paths["T1"])
    nib.save(nib.Nifti1Image(pet.view(RGB24).reshape(pet.shape[:-1]), np.eye(4)), paths["PET_rgb"])
    return subject, paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/own-scans"))
    parser.add_argument("--results", type=Path, default=Path("results/tutorial_cpu/own_scans_example.md"))
    args = parser.parse_args(argv)
    subject, paths = write_case(args.out / "case30")
    lines = [f"# `ivan` on a Harvard case it never saw (PET-MRI case {CASE}, sagittal)\n",
             f"Measured with `python scripts/own_scans_example.py --out {args.out}`: the case's "
             f"{subject.n_slices} T1 / PET slice pairs stacked into `T1.nii.gz` and an RGB24 `PET.nii.gz`; head PSNR "
             "of the colour PET against the true one, inside the head mask.\n"]
    for weights in ("aanlib-case25", "default"):
        pet = args.out / f"pet-{weights}.nii.gz"
        command = ["ivan", "synthesise", "t1_to_pet", "--input", f"T1={paths['T1']}", "--output", f"PET_rgb={pet}",
                   "--axis", str(AXIS), "--overwrite", "--quiet", "--weights", weights]
        done = subprocess.run([sys.executable, "-m", "ivan_core", *command[1:]], capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        predicted = to_slices(read_volume(pet), AXIS).astype(np.float32) / 255.0
        row = score(subject, {"PET_rgb": predicted}, ("PET_rgb",), regions=("head",))[0]
        said = "\n".join(line for line in (done.stderr + done.stdout).splitlines() if line.startswith("[ivan]"))
        lines += [f"## `--weights {weights}`: head PSNR "
                  f"**{row['psnr']:.2f} dB**, SSIM {row['ssim']:.3f}\n", "```", shlex.join(command), said, "```\n"]
        print(f"{weights}: head PSNR {row['psnr']:.2f} dB, SSIM {row['ssim']:.3f}", flush=True)
    atomic_write_text(args.results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
