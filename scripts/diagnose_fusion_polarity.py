"""Why the magnitude edge term drew the CT's bone dark: each loss term of the phantom fusion networks.

    python scripts/diagnose_fusion_polarity.py        # results/tutorial_cpu/fusion_polarity_diagnosis.json

On the tutorial phantom's validation subjects, for the teacher's label (the Laplacian pyramid), the
shipped ``polarity-lesson`` network (trained with :func:`~ivan_core.core.training.fusion_losses.edge_loss`, magnitudes only)
and both shipped signed-edge networks: the teacher loss's label term (L2 to the label), the magnitude
edge term, the signed edge term (:func:`~ivan_core.core.training.fusion_losses.signed_edge_loss`), the unsupervised intensity
term ``mean|F - max(A, B)|`` and POLARITY (:func:`~ivan_core.metrics.bright_contrast`). A fit whose label
term plus magnitude edge term is below the label's own has no reason to keep the label's polarity.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from ivan_core.baselines.fusion import fuse
from ivan_core.core.inference import synthesise
from ivan_core.core.io import write_json
from ivan_core.core.tasks import get_task
from ivan_core.core.training.fusion_losses import edge_loss, signed_edge_loss
from ivan_core.metrics import bright_contrast
from ivan_core.store import load_pretrained
from ivan_core.tutorial.recipe import recipe_splits

NETWORKS = {"polarity-lesson": "iVAN, magnitude edge term (lesson)",
            "teacher_fusion_loss(norm=l2,signed=True,w_edge=1)": "iVAN (teacher), signed edge term",
            "unsupervised_fusion_loss(signed=True,w_gradient=2,w_intensity=1)": "iVAN (unsupervised), signed edge term"}


def terms(fused: np.ndarray, label: np.ndarray, a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """The loss terms and POLARITY of one subject's ``(S, H, W)`` fused volume."""
    f, lab, ta, tb = (torch.from_numpy(np.asarray(x, dtype=np.float32)[:, None]) for x in (fused, label, a, b))
    return {"label_l2": float(((f - lab) ** 2).mean()), "magnitude_edge": float(edge_loss(f, ta, tb)),
            "signed_edge": float(signed_edge_loss(f, ta, tb)), "intensity": float((f - torch.maximum(ta, tb)).abs().mean()),
            "polarity": float(np.nanmean([bright_contrast(np.clip(fused[k], 0, 1), b[k], mask[k]) for k in range(len(b))]))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("results/tutorial_cpu/fusion_polarity_diagnosis.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    task, rows = get_task("t2ct_fusion"), []
    for s in recipe_splits("tutorial", progress=False).val:
        label = np.stack([fuse("laplacian_pyramid", s["T2"][k], s["CT"][k]) for k in range(s.n_slices)])
        fused = {"Laplacian pyramid (the label)": label}
        fused |= {name: synthesise(load_pretrained("t2ct_fusion", "tutorial", variant), task, s)["FUSED"]
                  for variant, name in NETWORKS.items()}
        rows += [{"subject": s.name, "method": m, **terms(v, label, s["T2"], s["CT"], s.mask)} for m, v in fused.items()]
    means = {m: {k: float(np.mean([r[k] for r in rows if r["method"] == m])) for k in rows[0] if k not in ("subject", "method")}
             for m in dict.fromkeys(r["method"] for r in rows)}
    write_json(args.out, {"command": "python scripts/diagnose_fusion_polarity.py", "rows": rows, "mean": means})
    for m, v in means.items():
        print(f"{m:40s} " + "  ".join(f"{k} {x:+.3f}" for k, x in v.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
