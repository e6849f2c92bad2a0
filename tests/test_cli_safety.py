"""The ``ivan`` command run as a user runs it, in a subprocess: it names its network, warns on unlike scans, never
loses or overwrites a file, fails before the work with one line and exit status 2, and takes any grid."""

import os
import signal
import subprocess
import sys
import time

import nibabel as nib
import numpy as np
import pytest
from test_cli_scans import write_subject

from conftest import make_subject
from ivan_core.store import available

SHIPPED = {(c["name"], c["variant"]) for c in available() if c["profile"] == "tutorial"}
needs_shipped = pytest.mark.skipif(("t1_to_t2", "default") not in SHIPPED, reason="no shipped t1_to_t2 network")


def ivan(*argv, timeout=300):
    """Run ``python -m ivan_core ARGV``; the finished process."""
    return subprocess.run([sys.executable, "-m", "ivan_core", *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout)


def refused(done, match):
    """Exit status 2 and one line on stderr that holds ``match``."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert match in done.stderr, done.stderr
    assert len(lines) == 1 or lines[0].startswith("usage:"), done.stderr  # argparse adds its usage line


@pytest.fixture(scope="module")
def phantom_volumes(tmp_path_factory):
    """A fresh phantom subject (a seed no split uses) at the tutorial size, as NIfTI volumes."""
    from ivan_core.data import make_phantom
    from ivan_core.tutorial.profiles import get_profile

    subject = make_phantom(1, seed=4242, size=get_profile("tutorial").size, n_slices=3, progress=False)[0]
    return write_subject(subject, tmp_path_factory.mktemp("phantom"), ("T1", "T2", "PD", "CT"), scale=900.0)


@pytest.fixture
def small(tmp_path):
    return write_subject(make_subject("b", slices=3, size=16), tmp_path / "in", ("T1", "PD", "T2", "CT"))


# ----------------------------------------------------------------------------- which network, and on what data


@needs_shipped
def test_the_network_is_named_and_familiar_scans_are_not_warned_about(phantom_volumes, tmp_path):
    done = ivan("synthesise", "t1_to_t2", "--input", f"T1={phantom_volumes['T1']}", "--output",
                f"T2={tmp_path / 't2.nii.gz'}", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "using the t1_to_t2 network 'default'" in done.stderr and "simulated head phantom" in done.stderr
    assert "warning" not in done.stderr


@needs_shipped
def test_a_scan_unlike_the_training_data_is_warned_about(tmp_path):
    rng = np.random.default_rng(0)
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    flat = rng.uniform(0.0, 1.0, (96, 96, 3)).astype(np.float32)  # no anatomy: flat histogram, smaller slices
    path = tmp_path / "t1.nii.gz"
    nib.save(nib.Nifti1Image(flat, affine), path)
    done = ivan("synthesise", "t1_to_t2", "--input", f"T1={path}", "--output", f"T2={tmp_path / 't2.nii.gz'}",
                "--quiet", "--axis", "0")
    assert done.returncode == 0, done.stderr
    assert "does not look like the network's training data" in done.stderr
    assert "histogram distance" in done.stderr and "sagittal" in done.stderr


def test_real_data_tasks_default_to_a_real_data_network():
    from ivan_core.cli.network import DEFAULT_VARIANT, trained_on

    for card in available():
        if card.get("kind", "ivan") == "ivan" and card["profile"] == "tutorial" and "phantom" not in trained_on(card):
            default = DEFAULT_VARIANT.get(card["name"], "default")
            assert "phantom" not in trained_on(next(c for c in available() if (c["name"], c["variant"], c["profile"])
                                                    == (card["name"], default, "tutorial"))), card["name"]


def test_models_lists_each_shipped_network_in_one_line():
    done = ivan("models")
    ivan_cards = [c for c in available() if c.get("kind", "ivan") == "ivan"]
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == len(ivan_cards)
    assert all("trained on" in line and "--weights" in line for line in lines)
    assert len(ivan("models", "--baselines").stdout.splitlines()) == len(available())


# ----------------------------------------------------------------------------- files: exclusive, never an input


def test_an_output_taken_while_running_is_not_replaced(small, tmp_path, monkeypatch, capsys):
    import ivan_core.evaluation.volumes as vol
    from ivan_core.cli import main

    target = tmp_path / "fused.nii.gz"
    real = vol.fuse_volumes

    def meanwhile(*args, **kwargs):  # another run writes the same output while this one computes
        target.write_bytes(b"the other run's result")
        return real(*args, **kwargs)

    monkeypatch.setattr(vol, "fuse_volumes", meanwhile)
    status = main(["fuse", "--method", "average", "--input", f"T2={small['T2']}", "--input", f"CT={small['CT']}",
                   "--output", f"FUSED={target}", "--quiet"])
    assert status == 2 and "fused.nii.gz: exists" in capsys.readouterr().err
    assert target.read_bytes() == b"the other run's result" and not list(tmp_path.glob(".fused.nii.gz.*"))


def test_an_exclusive_write_never_replaces_a_file_that_appears_while_writing(tmp_path):
    from ivan_core.core.io import atomic_write

    target = tmp_path / "out.nii.gz"

    def slow_write(fh):  # the other writer finishes between our check and our move
        fh.write(b"ours")
        target.write_bytes(b"theirs")

    with pytest.raises(FileExistsError, match="written by someone else"):
        atomic_write(target, slow_write, exclusive=True)
    assert target.read_bytes() == b"theirs" and not list(tmp_path.glob(".out.nii.gz.*"))
    atomic_write(target, lambda fh: fh.write(b"ours"))
    assert target.read_bytes() == b"ours"


def test_overwrite_never_replaces_an_input(small):
    before = small["T2"].read_bytes()
    done = ivan("fuse", "--method", "average", "--input", f"T2={small['T2']}", "--input", f"CT={small['CT']}",
                "--output", f"FUSED={small['T2']}", "--overwrite")
    refused(done, "never replaces an input")
    assert small["T2"].read_bytes() == before


def test_an_unwritable_output_folder_fails_before_the_work(small, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    refused(ivan("fuse", "--method", "average", "--input", f"T2={small['T2']}", "--input", f"CT={small['CT']}",
                 "--output", f"FUSED={blocker / 'sub' / 'f.nii.gz'}"), "is a file")
    if os.path.isdir("/proc/self"):  # not writable even for root
        refused(ivan("fuse", "--method", "average", "--input", f"T2={small['T2']}", "--input", f"CT={small['CT']}",
                     "--output", "FUSED=/proc/ivan/f.nii.gz"), "cannot write there")


def test_leftovers_of_a_killed_run_are_removed_and_named(small, tmp_path):
    target = tmp_path / "fused.nii.gz"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / f".fused.nii.gz.{dead.stdout.strip()}.abc123.tmp"
    leftover.write_bytes(b"half a file")
    done = ivan("fuse", "--method", "average", "--input", f"T2={small['T2']}", "--input", f"CT={small['CT']}",
                "--output", f"FUSED={target}", "--quiet")
    assert done.returncode == 0 and not leftover.exists() and str(leftover) in done.stdout


# ----------------------------------------------------------------------------- values, grids, colour


def test_the_same_values_fuse_alike_whatever_the_storage_type(tmp_path):
    rng = np.random.default_rng(1)
    values = {m: rng.integers(0, 256, (24, 24, 3)).astype(np.uint8) for m in ("T2", "CT")}
    fused = {}
    for dtype in (np.uint8, np.float32):
        paths = {}
        for m, v in values.items():
            paths[m] = tmp_path / f"{m}-{np.dtype(dtype).name}.nii.gz"
            nib.save(nib.Nifti1Image(v.astype(dtype), np.eye(4)), paths[m])
        out = tmp_path / f"fused-{np.dtype(dtype).name}.nii.gz"
        done = ivan("fuse", "--method", "laplacian_pyramid", "--input", f"T2={paths['T2']}",
                    "--input", f"CT={paths['CT']}", "--output", f"FUSED={out}", "--quiet")
        assert done.returncode == 0, done.stderr
        fused[dtype] = np.asarray(nib.load(out).dataobj)
    np.testing.assert_allclose(fused[np.uint8], fused[np.float32], atol=1e-6)


@needs_shipped
def test_an_odd_grid_like_mni_runs_and_keeps_its_shape(tmp_path):
    t1 = tmp_path / "t1.nii.gz"
    nib.save(nib.Nifti1Image(np.random.default_rng(2).random((45, 53, 2)).astype(np.float32), np.eye(4)), t1)
    out = tmp_path / "t2.nii.gz"
    done = ivan("synthesise", "t1_to_t2", "--input", f"T1={t1}", "--output", f"T2={out}", "--quiet")
    assert done.returncode == 0, done.stderr
    assert nib.load(out).shape == (45, 53, 2)


@pytest.mark.skipif(("t1_to_pet", "default") not in SHIPPED, reason="no shipped t1_to_pet network")
def test_colour_outputs_are_rgb24_and_colour_inputs_are_read(small, tmp_path):
    pet = tmp_path / "pet.nii.gz"
    done = ivan("synthesise", "t1_to_pet", "--weights", "default", "--input", f"T1={small['T1']}",
                "--output", f"PET_rgb={pet}", "--quiet")
    assert done.returncode == 0, done.stderr
    written = nib.load(pet)
    assert written.header["datatype"] == 128 and written.shape == nib.load(small["T1"]).shape
    back = tmp_path / "t1.nii.gz"
    done = ivan("recover", "t1_to_pet", "--weights", "default", "--input", f"PET_rgb={pet}",
                "--output", f"T1={back}", "--quiet")
    assert done.returncode == 0, done.stderr
    channels = tmp_path / "pet4d.nii.gz"
    assert ivan("synthesise", "t1_to_pet", "--weights", "default", "--input", f"T1={small['T1']}", "--output",
                f"PET_rgb={channels}", "--quiet", "--colour", "channels").returncode == 0
    assert nib.load(channels).shape == (*nib.load(small["T1"]).shape, 3)


# ----------------------------------------------------------------------------- one line, exit status 2, nothing written


def _syn(small, out, *extra):
    return ("synthesise", "t1_to_t2", "--input", f"T1={small['T1']}", "--output", f"T2={out}", "--quiet", *extra)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="CUDA is here")
def test_cuda_asked_for_without_cuda(small, tmp_path):
    refused(ivan(*_syn(small, tmp_path / "o.nii.gz", "--device", "cuda")), "sees no CUDA device")
    assert not (tmp_path / "o.nii.gz").exists()


@pytest.mark.parametrize("size", ["0", "-3", "two"])
def test_a_batch_size_below_one(small, tmp_path, size):
    refused(ivan(*_syn(small, tmp_path / "o.nii.gz", "--batch-size", size)), "--batch-size")


def test_a_malformed_subject_pattern(tmp_path):
    refused(ivan("train", "t1_to_t2", "--pairs", tmp_path, "--out", tmp_path / "run", "--subject-of", "(\\d+"),
            "is not a regular expression")
    assert not (tmp_path / "run").exists()


def test_an_unknown_variant_gets_a_short_list(small, tmp_path):
    done = ivan(*_syn(small, tmp_path / "o.nii.gz", "--weights", "nonesuch"))
    refused(done, "no shipped t1_to_t2 network named 'nonesuch'")
    assert len(done.stderr) < 400 and "ivan models" in done.stderr


def test_a_damaged_weights_file_of_ones_own_run_says_to_rerun_it(small, tmp_path):
    from ivan_core.store import find_card

    card = find_card("t1_to_t2", "tutorial")
    own = tmp_path / "run"
    own.mkdir()
    stem = own / "mine"
    weights = open(card["path"], "rb").read()
    (stem.with_suffix(".pt")).write_bytes(weights[:-8] + b"damaged!")
    import json

    saved = {k: v for k, v in card.items() if k != "path"}
    saved["command"] = "ivan train t1_to_t2 --pairs mine --out run"
    stem.with_suffix(".json").write_text(json.dumps(saved))
    done = ivan(*_syn(small, tmp_path / "o.nii.gz", "--weights", own))
    refused(done, "rerun the command that wrote it: ivan train t1_to_t2")
    assert "pretrain" not in done.stderr


def test_a_dicom_folder_is_named_as_such(small, tmp_path):
    series = tmp_path / "series"
    series.mkdir()
    (series / "IM0001").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 64)
    refused(ivan(*_syn({"T1": series}, tmp_path / "o.nii.gz")), "dcm2niix")


def test_a_constant_volume_is_refused(tmp_path):
    zero = tmp_path / "zero.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((8, 8, 2), np.float32), np.eye(4)), zero)
    refused(ivan(*_syn({"T1": zero}, tmp_path / "o.nii.gz")), "every voxel is 0")


def test_zero_epochs_are_refused_and_nothing_is_written(tmp_path):
    refused(ivan("train", "t1_to_t2", "--out", tmp_path / "run", "--epochs", "0", "--profile", "smoke"), "--epochs")
    assert not (tmp_path / "run").exists()


def test_ctrl_c_stops_with_status_130_and_writes_nothing(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "ivan_core", "train", "t1_to_t2", "--out", tmp_path / "run",
                             "--profile", "tutorial"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
    deadline = time.time() + 120
    while not (tmp_path / "run" / "models").exists() and time.time() < deadline:  # the training has started
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert not list((tmp_path / "run").glob("*.pt")) and not list((tmp_path / "run").glob("*.json"))


# ----------------------------------------------------------------------------- help


def test_help_loads_no_torch_and_is_plain_text():
    code = ("import sys\nfrom ivan_core.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, 'numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().endswith("False False"), done.stdout
    top = done.stdout
    assert top.index("synthesise") < top.index("tutorial  ")
    for command in ("synthesise", "recover", "fuse", "train", "models"):
        text = ivan(command, "--help").stdout
        assert ":func:" not in text and ":mod:" not in text and "``" not in text, command
    assert "T1 -> PET_rgb" in ivan("synthesise", "--help").stdout


# ----------------------------------------------------------------------------- training fusion from the command line


def test_train_fuses_with_a_teacher_and_reports_wall_clock(tmp_path):
    root = tmp_path / "pairs"
    for i in range(3):
        write_subject(make_subject(f"s{i}", slices=2, size=32, seed=i), root / f"s{i}", ("T2", "CT"))
    out = tmp_path / "run"
    done = ivan("train", "t2ct_fusion", "--pairs", root, "--out", out, "--profile", "smoke", "--teacher",
                "laplacian_pyramid", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "wall-clock" in done.stdout and "POLARITY" in done.stdout
    import json

    (card,) = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert card["task"]["name"] == "t2ct_fusion" and "teacher" in card["variant"]


def test_the_light_lists_of_the_parser_match_the_package():
    from ivan_core.baselines.fusion.methods import METHODS
    from ivan_core.cli.options import PROFILE_NAMES
    from ivan_core.cli.scans import FUSION_RULES
    from ivan_core.tutorial.profiles import PROFILES

    assert PROFILE_NAMES == tuple(sorted(PROFILES)) and FUSION_RULES == tuple(METHODS)
