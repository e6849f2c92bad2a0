"""Polarity: every fusion method and every shipped fusion network keeps the CT's bright bone bright.

The pair is a drawn head with a known skull: bright on the CT, dark on the T2 (as on real scans), so
the sign of the fused image's bone contrast (:func:`ivan_core.metrics.bright_contrast`) is known in
advance for a fusion that keeps both sources' structures.
"""

import numpy as np
import pytest

from ivan_core.baselines.fusion import METHODS, fuse
from ivan_core.core.inference import synthesise
from ivan_core.core.tasks import get_task
from ivan_core.metrics import bright_contrast
from ivan_core.store import available, load_card

#: Shipped fusion networks kept to show what polarity-blind metrics reward: they must draw bone dark.
LESSONS = {"polarity-lesson"}


def drawn_head(size: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(t2, ct, head, skull)``: concentric scalp, skull, CSF and textured brain with two ventricles."""
    yy, xx = (np.mgrid[:size, :size] - size / 2 + 0.5) / (size / 2)
    r = np.hypot(xx / 0.82, yy)
    head, brain = r < 0.92, r < 0.66
    skull = (r >= 0.7) & (r < 0.8)
    csf = (r >= 0.66) & (r < 0.7)
    ventricles = (np.hypot((xx - 0.12) / 0.08, (yy + 0.05) / 0.22) < 1) | (np.hypot((xx + 0.12) / 0.08, (yy + 0.05) / 0.22) < 1)
    texture = 0.08 * np.sin(9 * xx + 3 * yy) * np.cos(7 * yy) + 0.02 * np.random.default_rng(seed).standard_normal(r.shape)
    t2 = np.select([ventricles, brain, csf, skull, head], [0.9, 0.45 + texture, 0.9, 0.05, 0.55], 0.0)
    ct = np.select([ventricles, brain, csf, skull, head], [0.15, 0.3 + 0.3 * texture, 0.15, 0.95, 0.25], 0.0)
    return t2.astype(np.float32), ct.astype(np.float32), head, skull


def bone_contrast(fused: np.ndarray, head: np.ndarray, skull: np.ndarray) -> float:
    """Mean fused intensity on the skull minus the rest of the head, from the drawn labels."""
    return float(fused[skull].mean() - fused[head & ~skull].mean())


def test_the_drawn_pair_has_the_known_polarity():
    t2, ct, head, skull = drawn_head(64)
    assert bone_contrast(ct, head, skull) > 0.5 and bone_contrast(t2, head, skull) < -0.3
    assert bright_contrast(ct, ct, head) == pytest.approx(bone_contrast(ct, head, skull), abs=0.02)  # Otsu finds the skull


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_classical_method_keeps_bone_bright(method):
    t2, ct, head, skull = drawn_head(96)  # at 48 px the 2-px skull is too thin for CS-MCA, which then draws it dark
    fused = np.clip(fuse(method, t2, ct), 0, 1)
    assert bone_contrast(fused, head, skull) > 0, method
    assert bright_contrast(fused, ct, head) > 0, method


def _fusion_cards():
    return [c for c in available() if c["name"] == "t2ct_fusion" and c["kind"] == "ivan"]


def test_the_polarity_lesson_is_shipped():
    assert LESSONS <= {c["variant"] for c in _fusion_cards()}


@pytest.mark.parametrize("card", _fusion_cards(), ids=lambda c: f"{c['profile']}-{c['variant']}")
def test_every_shipped_fusion_network_keeps_bone_bright(card):
    t2, ct, head, skull = drawn_head(128)
    images = {"T2": t2[None], "CT": ct[None]}
    fused = np.clip(synthesise(load_card(card).net, get_task("t2ct_fusion"), images)["FUSED"][0], 0, 1)
    contrast = bone_contrast(fused, head, skull)
    if card["variant"] in LESSONS:
        assert contrast < 0, f"{card['variant']} was kept to show a dark skull, and draws it bright ({contrast:+.2f})"
    else:
        assert contrast > 0.05, f"{card['variant']} draws the CT's bone dark ({contrast:+.2f})"
