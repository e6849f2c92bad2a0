"""Subject.fingerprint: a simulated phantom subject survives last-bit float noise, real data is hashed pixel by pixel."""

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from conftest import make_subject
from ivan_core import get_task
from ivan_core.baselines.fusion.methods import add_fusion_label
from ivan_core.core.subject import PHANTOM_DRAW, Subject
from ivan_core.data import make_phantom

MODALITIES = ("T1", "T2", "PD")
DRAW = {"source": "phantom", "seed": 0, "index": 3, "pixel_mm": 1.875}


def phantom_like(name="phantom-003", seed=0, **meta):
    """A hand-made subject that says it was simulated (phantom meta)."""
    s = make_subject(name, seed=seed)
    return replace(s, meta={**DRAW, "z_mm": [1.0, 2.0, 3.0], **meta})


def jittered(subject, scale=1e-7, seed=1):
    """``subject`` with every pixel moved by about ``scale``: the last bits another library version changes."""
    rng = np.random.default_rng(seed)
    images = {m: (a + rng.uniform(-scale, scale, a.shape)).astype(np.float32) for m, a in subject.images.items()}
    assert any(not np.array_equal(images[m], subject[m]) for m in images)
    return Subject(subject.name, images, subject.mask, subject.labels, dict(subject.meta))


def test_a_phantom_subject_keeps_its_fingerprint_under_float_noise():
    s = phantom_like()
    assert jittered(s).fingerprint(MODALITIES) == s.fingerprint(MODALITIES)
    assert jittered(s).fingerprint() == s.fingerprint()
    assert s.take(slice(0, 2)).fingerprint() == jittered(s.take(slice(0, 2))).fingerprint()  # take keeps the meta


@pytest.mark.parametrize("other", [
    lambda s: replace(s, name="phantom-004"),                                  # another name
    lambda s: replace(s, meta={**s.meta, "seed": 1}),                          # another draw
    lambda s: replace(s, meta={**s.meta, "index": 4}),
    lambda s: replace(s, meta={**s.meta, "pixel_mm": 0.9375}),
    lambda s: replace(phantom_like(seed=7), meta=s.meta),                      # the same draw, other images
    lambda s: Subject(s.name, {**s.images, "T2": s["T2"] * 0.9}, s.mask, s.labels, s.meta),  # one modality changed
    lambda s: s.take(slice(0, 2)),                                             # fewer slices
])
def test_other_phantom_data_gets_another_fingerprint(other):
    s = phantom_like()
    assert other(s).fingerprint(MODALITIES) != s.fingerprint(MODALITIES)


def test_the_modalities_and_the_teacher_label_count():
    s = phantom_like()
    assert s.fingerprint(("T1", "T2")) != s.fingerprint(MODALITIES)
    fusion = get_task("t2ct_fusion").modalities
    average, maximum = (add_fusion_label([s], method)[0] for method in ("average", "maximum"))
    assert average.meta["fusion_label"] == "average" and average.meta["seed"] == 0  # the draw is kept
    assert average.fingerprint(fusion) != maximum.fingerprint(fusion)
    assert jittered(average).fingerprint(fusion) == average.fingerprint(fusion)
    # the same label image under another teacher's name is another label
    renamed = replace(average, meta={**average.meta, "fusion_label": "laplacian_pyramid"})
    assert renamed.fingerprint(fusion) != average.fingerprint(fusion)


def test_real_data_is_hashed_pixel_by_pixel():
    s = make_subject("aanlib-CT-MRI-16")
    assert s.meta.get("source") != "phantom"
    assert jittered(s).fingerprint(MODALITIES) != s.fingerprint(MODALITIES)
    digest = hashlib.sha256(s.name.encode())
    for m in sorted(MODALITIES):
        digest.update(f"|{m}|{s[m].shape}|".encode())
        digest.update(np.ascontiguousarray(s[m], dtype=np.float32).tobytes())
    assert s.fingerprint(MODALITIES) == digest.hexdigest()
    # meta that is not the phantom's changes nothing
    assert replace(s, meta={"source": "aanlib", "seed": 0}).fingerprint(MODALITIES) == s.fingerprint(MODALITIES)


def test_make_phantom_subjects_carry_their_draw():
    a, b = make_phantom(2, seed=0, size=32, n_slices=1, cache=False, progress=False)
    assert a.meta["source"] == "phantom" and all(k in a.meta for k in PHANTOM_DRAW)
    assert jittered(a).fingerprint() == a.fingerprint()
    assert a.fingerprint() != b.fingerprint()
    (again,) = make_phantom(1, seed=1, size=32, n_slices=1, cache=False, progress=False)
    assert again.name == a.name and again.fingerprint() != a.fingerprint()
