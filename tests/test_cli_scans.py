"""``ivan synthesise / recover / fuse / train`` on NIfTI volumes: results on the input's grid, bad input refused."""

import json

import nibabel as nib
import numpy as np
import pytest

from conftest import make_subject
from ivan_core.cli import main
from ivan_core.core.inference import synthesise
from ivan_core.core.tasks import get_task
from ivan_core.data.scaling import match_reference
from ivan_core.data.volumes import from_radiological, read_volume, to_slices
from ivan_core.evaluation import score
from ivan_core.store import find_card, load_card

#: A non-trivial grid: axes permuted and flipped against RAS+, 1.5 mm voxels, an offset.
AFFINE = np.array([[0.0, -1.5, 0.0, 90.0], [0.0, 0.0, 1.5, -120.0], [1.5, 0.0, 0.0, -60.0], [0.0, 0.0, 0.0, 1.0]])


def write_subject(subject, folder, modalities, affine=AFFINE, scale=1.0):
    """Write a subject's slices as NIfTI volumes (file order given by ``affine``), scaled by ``scale``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for m in modalities:
        ras = from_radiological(subject.images[m] * scale, axis=2)
        from nibabel.orientations import apply_orientation, axcodes2ornt, io_orientation, ornt_transform

        data = apply_orientation(ras, ornt_transform(axcodes2ornt("RAS"), io_orientation(affine)))
        paths[m] = folder / f"{m}.nii.gz"
        nib.save(nib.Nifti1Image(data.astype(np.float32), affine), paths[m])
    return paths


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``ivan train`` on three small NIfTI subjects in the smoke profile: the run folder and the subjects."""
    root = tmp_path_factory.mktemp("pairs")
    subjects = [make_subject(f"s{i}", slices=4, size=32, seed=i) for i in range(3)]
    for s in subjects:
        write_subject(s, root / s.name, ("T1", "PD", "T2"))
    out = tmp_path_factory.mktemp("run")
    assert run("train", "t1pd_to_t2", "--pairs", root, "--out", out, "--profile", "smoke", "--quiet") == 0
    return out, subjects


def test_train_writes_weights_and_a_card_with_the_training_intensities(trained):
    out, _ = trained
    (card_path,) = out.glob("*.json")
    card = json.loads(card_path.read_text())
    assert card["task"]["name"] == "t1pd_to_t2" and card_path.with_suffix(".pt").is_file()
    assert set(card["intensity_scaling"]["reference"]) == {"T1", "PD", "T2"}
    assert card["command"].startswith("ivan train t1pd_to_t2 --pairs")


def test_synthesise_and_recover_keep_the_grid_and_match_the_in_memory_network(trained, tmp_path):
    out, subjects = trained
    subject = subjects[0]
    inputs = write_subject(subject, tmp_path / "in", ("T1", "PD", "T2"), scale=700.0)  # scanner units
    t2 = tmp_path / "t2.nii.gz"
    assert run("synthesise", "t1pd_to_t2", "--weights", out, "--input", f"T1={inputs['T1']}",
               "--input", f"PD={inputs['PD']}", "--output", f"T2={t2}", "--quiet") == 0
    written = nib.load(t2)
    assert written.shape == nib.load(inputs["T1"]).shape and np.allclose(written.affine, AFFINE)
    assert written.get_data_dtype() == np.float32
    from ivan_core.store import read_card

    (card_path,) = out.glob("*.json")
    card = read_card(card_path)
    net, task, ref = load_card(card).net, get_task("t1pd_to_t2"), card["intensity_scaling"]["reference"]
    scaled = {m: match_reference(subject.images[m] * 700.0, ref[m]) for m in ("T1", "PD")}
    expected = np.clip(synthesise(net, task, scaled)["T2"], 0, 1)
    np.testing.assert_allclose(to_slices(read_volume(t2)), expected, atol=1e-5)  # same slices, same scaling

    t1 = tmp_path / "t1.nii.gz"
    assert run("recover", "t1pd_to_t2", "--weights", out, "--input", f"T2={inputs['T2']}",
               "--output", f"T1={t1}", "--quiet") == 0
    assert nib.load(t1).shape == written.shape


def test_fuse_with_a_rule_writes_a_volume_on_the_t2_grid(tmp_path):
    paths = write_subject(make_subject("f", slices=3, size=16), tmp_path / "in", ("T2", "CT"))
    fused = tmp_path / "fused.nii"
    assert run("fuse", "--method", "average", "--input", f"T2={paths['T2']}", "--input", f"CT={paths['CT']}",
               "--output", f"FUSED={fused}", "--quiet") == 0
    data = np.asarray(nib.load(fused).dataobj)
    assert data.shape == nib.load(paths["T2"]).shape and 0.0 <= data.min() and data.max() <= 1.0


def _colour_rule(method):
    """The grey rule ``ivan fuse --method METHOD`` uses on a colour volume's luminance, and its intensity scaling."""
    from ivan_core.baselines.fusion import METHODS
    from ivan_core.evaluation.volumes import card_scaling
    from ivan_core.tutorial.colour_fusion import network_rule

    if method != "ivan":
        return METHODS[method], {}
    card = find_card("t2spect_fusion", variant="aanlib")
    return network_rule(load_card(card).net), card_scaling(card)


@pytest.mark.parametrize("method", ["maximum", "ivan"])
def test_fuse_an_mri_with_a_colour_volume_keeps_its_colours(tmp_path, method):
    from ivan_core.baselines.fusion import fuse_colour
    from ivan_core.evaluation.volumes import scaled_slices

    subject = make_subject("f", slices=3, size=16)
    paths = write_subject(subject, tmp_path / "in", ("T2", "PET_rgb"))
    fused = tmp_path / "fused.nii.gz"
    assert run("fuse", "--method", method, "--input", f"T2={paths['T2']}", "--input", f"PET_rgb={paths['PET_rgb']}",
               "--output", f"FUSED_rgb={fused}", "--colour", "channels", "--quiet") == 0
    data = read_volume(fused)
    assert data.data.shape == (*nib.load(paths["T2"]).shape, 3)
    rule, scaling = _colour_rule(method)
    scaled = scaled_slices({m: read_volume(paths[m]) for m in ("T2", "PET_rgb")}, scaling, axis=2)  # as the CLI scales
    expected = np.stack([fuse_colour(rule, a, b) for a, b in zip(*scaled.values(), strict=True)])
    np.testing.assert_allclose(to_slices(data), expected, atol=1e-5)  # (S, H, W, 3) in the subject's slice order


def test_fuse_refuses_an_unknown_colour_network(tmp_path):
    paths = write_subject(make_subject("f", slices=3, size=16), tmp_path / "in", ("T2", "PET_rgb"))
    assert run("fuse", "--method", "ivan", "--weights", "nothing-of-that-name", "--input", f"T2={paths['T2']}",
               "--input", f"PET_rgb={paths['PET_rgb']}", "--output", f"FUSED_rgb={tmp_path / 'no.nii.gz'}",
               "--quiet") != 0
    assert not (tmp_path / "no.nii.gz").exists()


def test_fuse_with_the_shipped_ivan_network_by_default(tmp_path):
    from ivan_core.cli.network import DEFAULT_VARIANT

    card = find_card("t2ct_fusion", "tutorial", DEFAULT_VARIANT["t2ct_fusion"])  # a clear KeyError if not shipped
    paths = write_subject(make_subject("f", slices=2, size=16), tmp_path / "in", ("T2", "CT"))
    fused = tmp_path / "fused.nii.gz"
    assert run("fuse", "--method", "ivan", "--input", f"T2={paths['T2']}", "--input", f"CT={paths['CT']}",
               "--output", f"FUSED={fused}", "--quiet") == 0
    assert nib.load(fused).shape == nib.load(paths["T2"]).shape and card["kind"] == "ivan"


def test_the_card_s_percentile_scales_the_scans():
    from ivan_core.data.volumes import Volume
    from ivan_core.evaluation.volumes import card_scaling, scaled_slices

    data = np.random.default_rng(0).gamma(2.0, 100.0, (8, 8, 3)).astype(np.float32)
    card = {"intensity_scaling": {"percentile": 90.0, "reference": {"T1": 0.5}}}
    assert card_scaling(card) == {"percentile": 90.0, "reference": {"T1": 0.5}}
    assert card_scaling({})["reference"] == {}
    got = scaled_slices({"T1": Volume(data, AFFINE, None, "t1")}, card_scaling(card))["T1"]
    want = to_slices(Volume(match_reference(data, 0.5, 90.0), AFFINE, None, "t1"))
    np.testing.assert_allclose(got, want)
    assert not np.allclose(got, to_slices(Volume(match_reference(data, 0.5), AFFINE, None, "t1")))


@pytest.mark.skipif(not any(c["name"] == "t1pd_to_t2" and c["profile"] == "tutorial" and c["variant"] == "default"
                            for c in __import__("ivan_core.store", fromlist=["available"]).available()),
                    reason="no shipped tutorial t1pd_to_t2 network")
def test_the_shipped_network_on_phantom_volumes_scores_as_in_the_notebooks(tmp_path):
    from ivan_core.tutorial.experiment import phantom_splits

    subject = phantom_splits("tutorial", progress=False).test[0]
    task = get_task("t1pd_to_t2")
    net = load_card(find_card("t1pd_to_t2", "tutorial")).net
    notebook = score(subject, synthesise(net, task, subject), ("T2",), regions=("head",))[0]["psnr"]
    inputs = write_subject(subject, tmp_path, ("T1", "PD"), scale=1000.0)
    t2 = tmp_path / "t2.nii.gz"
    assert run("synthesise", "t1pd_to_t2", "--input", f"T1={inputs['T1']}", "--input", f"PD={inputs['PD']}",
               "--output", f"T2={t2}", "--quiet") == 0
    cli = score(subject, {"T2": to_slices(read_volume(t2))}, ("T2",), regions=("head",))[0]["psnr"]
    assert abs(cli - notebook) < 0.5, (cli, notebook)


# ----------------------------------------------------------------------------- bad input


@pytest.fixture
def volumes(tmp_path):
    return write_subject(make_subject("b", slices=3, size=16), tmp_path / "in", ("T1", "PD", "T2", "CT"))


def bad_call(tmp_path, capsys, *argv, match):
    """Run a failing command: exit status 2, ``match`` in the one-line message, no output file."""
    out = tmp_path / "out.nii.gz"
    argv = [a.replace("OUT", str(out)) for a in map(str, argv)]
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert match in err, err
    assert not out.exists() and not list(out.parent.glob(".out.nii.gz.*"))


def syn(volumes, t1=None, pd=None, *extra):
    return ("synthesise", "t1pd_to_t2", "--weights", "{RUN}", "--input", f"T1={t1 or volumes['T1']}",
            "--input", f"PD={pd or volumes['PD']}", "--output", "T2=OUT", "--quiet", *extra)


@pytest.fixture
def call(trained, tmp_path, capsys):
    out, _ = trained

    def _call(*argv, match):
        bad_call(tmp_path, capsys, *[str(a).replace("{RUN}", str(out)) for a in argv], match=match)

    return _call


def test_a_missing_file_is_named(call, volumes, tmp_path):
    call(*syn(volumes, t1=tmp_path / "nope.nii.gz"), match="nope.nii.gz: no such file")


def test_an_unreadable_file_is_named(call, volumes, tmp_path):
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"not a volume")
    call(*syn(volumes, t1=broken), match="broken.nii.gz: nibabel cannot read it")


def test_volumes_on_different_grids_are_refused(call, volumes, tmp_path):
    other = write_subject(make_subject("o", slices=4, size=16), tmp_path / "other", ("PD",))["PD"]
    call(*syn(volumes, pd=other), match="does not match")
    moved = AFFINE.copy()
    moved[0, 3] += 5.0
    shifted = write_subject(make_subject("b", slices=3, size=16), tmp_path / "moved", ("PD",), affine=moved)["PD"]
    call(*syn(volumes, pd=shifted), match="affine differs")


def test_the_wrong_modalities_for_the_task_are_refused(call, volumes):
    call("synthesise", "t1pd_to_t2", "--weights", "{RUN}", "--input", f"T1={volumes['T1']}",
         "--input", f"CT={volumes['CT']}", "--output", "T2=OUT", match="missing ['PD']")
    call("synthesise", "t1pd_to_t2", "--weights", "{RUN}", "--input", f"T1={volumes['T1']}",
         "--input", f"PD={volumes['PD']}", "--output", "CT=OUT", match="gives T2")


def test_nan_voxels_are_refused(call, volumes, tmp_path):
    img = nib.load(volumes["PD"])
    data = np.asarray(img.dataobj).copy()
    data[1, 2, 0] = np.nan
    nan_path = tmp_path / "nan.nii.gz"
    nib.save(nib.Nifti1Image(data, img.affine), nan_path)
    call(*syn(volumes, pd=nan_path), match="1 voxel(s) are NaN or inf")


def test_weights_for_another_task_are_refused(trained, volumes, tmp_path, capsys):
    out, _ = trained
    bad_call(tmp_path, capsys, "synthesise", "t1_to_t2", "--weights", out, "--input", f"T1={volumes['T1']}",
             "--output", "T2=OUT", "--quiet", match="trained for task 't1pd_to_t2', not 't1_to_t2'")


def test_missing_or_damaged_weights_are_named(trained, volumes, tmp_path, capsys):
    out, _ = trained
    def call(weights, match):
        bad_call(tmp_path, capsys, *[a.replace("{RUN}", str(weights)) for a in syn(volumes)], match=match)

    call(tmp_path / "nope.json", "nope.json")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for f in out.iterdir():
        if f.is_file():
            (damaged / f.name).write_bytes(f.read_bytes())
    weights = next(damaged.glob("*.pt"))
    weights.write_bytes(weights.read_bytes()[:-8] + b"damaged!")
    call(damaged, "sha256")


def test_an_existing_output_is_kept_unless_overwrite(trained, volumes, tmp_path, capsys):
    out, _ = trained
    target = tmp_path / "t2.nii.gz"
    target.write_bytes(b"keep me")
    argv = [a.replace("OUT", str(target)).replace("{RUN}", str(out)) for a in syn(volumes)]
    assert run(*argv) == 2 and "exists; pass --overwrite" in capsys.readouterr().err
    assert target.read_bytes() == b"keep me"
    assert run(*argv, "--overwrite") == 0 and nib.load(target).shape == nib.load(volumes["T1"]).shape


def test_an_interrupted_run_writes_nothing(trained, volumes, tmp_path, monkeypatch, capsys):
    import ivan_core.evaluation.volumes as vol

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(vol, "synthesise", interrupted)
    out, _ = trained
    target = tmp_path / "t2.nii.gz"
    assert run(*[a.replace("OUT", str(target)).replace("{RUN}", str(out)) for a in syn(volumes)]) == 130
    assert "interrupted" in capsys.readouterr().err and list(tmp_path.glob("*t2.nii.gz*")) == []


def test_training_needs_three_subjects_with_the_task_modalities(tmp_path, capsys):
    root = tmp_path / "pairs"
    for i in range(2):
        write_subject(make_subject(f"s{i}", slices=2, size=16, seed=i), root / f"s{i}", ("T1", "PD", "T2"))
    assert run("train", "t1pd_to_t2", "--pairs", root, "--out", tmp_path / "run", "--profile", "smoke") == 2
    assert "2 subject(s); training needs at least 3" in capsys.readouterr().err
    assert run("train", "t1_to_pet", "--pairs", root, "--out", tmp_path / "run", "--profile", "smoke") == 2
    assert "lacks ['PET_rgb']" in capsys.readouterr().err


def test_match_range_gives_a_colour_output_the_training_activity(tmp_path):
    from ivan_core.data import rgb_to_spect
    from ivan_core.data.loaders import head_mask

    card = find_card("t2_to_spect", variant="aanlib")
    reference = np.asarray(card["training_inputs"]["activity"]["SPECT_rgb"])
    paths = write_subject(make_subject("m", slices=2, size=32), tmp_path / "in", ("T2",))
    spreads = {}
    for flag in ((), ("--match-range",)):
        out = tmp_path / f"spect{len(flag)}.nii.gz"
        assert run("synthesise", "t2_to_spect", "--input", f"T2={paths['T2']}", "--output", f"SPECT_rgb={out}",
                   "--colour", "channels", "--quiet", *flag) == 0
        mask = head_mask([to_slices(read_volume(paths["T2"]))])
        activity = rgb_to_spect(np.clip(to_slices(read_volume(out)), 0, 1))[mask]
        spreads[flag] = np.subtract(*np.percentile(activity, [99, 1]))
    wanted = np.subtract(*np.percentile(reference, [99, 1]))  # the card keeps percentiles 0-100
    assert spreads[("--match-range",)] == pytest.approx(wanted, abs=0.05)
    assert spreads[()] < wanted - 0.1  # without it the network's own, narrower range


def test_match_range_is_refused_where_it_cannot_apply(tmp_path, capsys):
    from ivan_core.cli.scans import training_activity
    from ivan_core.core.tasks import get_task

    paths = write_subject(make_subject("m", slices=2, size=32), tmp_path / "in", ("T1",))
    assert run("synthesise", "t1_to_t2", "--input", f"T1={paths['T1']}", "--output", f"T2={tmp_path / 't2.nii.gz'}",
               "--match-range", "--quiet") == 2
    assert "matches colour-mapped outputs" in capsys.readouterr().err
    assert not (tmp_path / "t2.nii.gz").exists()
    card = find_card("t2_to_spect", variant="aanlib")
    older = {**card, "training_inputs": {k: v for k, v in card["training_inputs"].items() if k != "activity"}}
    with pytest.raises(ValueError, match="keeps no training activity for SPECT_rgb"):
        training_activity(older, get_task("t2_to_spect"))
