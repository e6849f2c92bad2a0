"""Real-data loaders on small files made here, their error messages, and the Harvard atlas pairs."""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nibabel.externals.netcdf import netcdf_file
from PIL import Image
from scipy.io import savemat

from ivan_core.data import (
    DataError,
    find_aanlib,
    load_aanlib,
    load_brainweb,
    load_nifti,
    load_paired_folder,
    split_subjects,
)
from ivan_core.data.loaders import to_unit
from ivan_core.data.sequences import HARVARD_PET, HARVARD_SPECT, colour_to_position, pet_to_rgb

AANLIB = find_aanlib()
needs_aanlib = pytest.mark.skipif(AANLIB is None, reason="Harvard atlas pairs not found (set IVAN_AANLIB)")


def head_volume(shape=(12, 14, 10), seed=0):
    """A bright ellipsoid on a dark background, with a marker in the right-anterior corner."""
    x, y, z = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    rng = np.random.default_rng(seed)
    volume = (x**2 + y**2 + z**2 < 0.7).astype(np.float32) * (100 + 10 * rng.random(shape, dtype=np.float32))
    volume[-1, -1, :] = 300.0  # max x (right), max y (anterior)
    return volume


# ----------------------------------------------------------------------------- NIfTI


def test_nifti_any_orientation(tmp_path):
    ras = head_volume()
    nib.save(nib.Nifti1Image(ras, np.eye(4)), tmp_path / "t1.nii.gz")
    # the same volume stored LPS (x and y flipped), with the affine that says so
    lps_affine = np.diag([-1.0, -1.0, 1.0, 1.0])
    lps_affine[:3, 3] = [ras.shape[0] - 1, ras.shape[1] - 1, 0]
    nib.save(nib.Nifti1Image(ras[::-1, ::-1].copy() * 2, lps_affine), tmp_path / "t2.nii")
    s = load_nifti({"T1": tmp_path / "t1.nii.gz", "T2": tmp_path / "t2.nii"})
    assert s.name == "t1"
    assert s["T1"].shape == (10, 14, 12)  # (Z, Y, X)
    np.testing.assert_allclose(s["T1"], s["T2"], atol=1e-6)  # same anatomy once both are RAS+
    # radiological view: the right-anterior marker is top-left
    assert s["T1"][0, 0, 0] == 1.0 and s["T1"][0, -1, -1] == 0.0
    np.testing.assert_allclose(s.meta["affine"], np.eye(4))
    assert s.mask[5].sum() > 0 and not s.mask[5, 0, -1]
    coronal = load_nifti({"T1": tmp_path / "t1.nii.gz"}, axis=1, slices=slice(2, 5))
    assert coronal["T1"].shape == (3, 10, 12)


def test_nifti_errors_name_the_file(tmp_path):
    good = tmp_path / "good.nii.gz"
    nib.save(nib.Nifti1Image(head_volume(), np.eye(4)), good)
    small = tmp_path / "small.nii.gz"
    nib.save(nib.Nifti1Image(head_volume((12, 14, 9)), np.eye(4)), small)
    with pytest.raises(DataError, match="small.nii.gz.*does not match"):
        load_nifti({"T1": good, "T2": small})

    shifted = tmp_path / "shifted.nii.gz"
    nib.save(nib.Nifti1Image(head_volume(), np.diag([2.0, 2.0, 2.0, 1.0])), shifted)
    with pytest.raises(DataError, match="shifted.nii.gz.*affine"):
        load_nifti({"T1": good, "T2": shifted})

    nan = head_volume()
    nan[3, 3, 3] = np.nan
    nan_path = tmp_path / "nan.nii.gz"
    nib.save(nib.Nifti1Image(nan, np.eye(4)), nan_path)
    with pytest.raises(DataError, match="nan.nii.gz: 1 voxel"):
        load_nifti({"T1": nan_path})

    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(gzip.compress(b"definitely not nifti"))
    with pytest.raises(DataError, match="broken.nii.gz.*cannot read"):
        load_nifti({"T1": broken})

    with pytest.raises(FileNotFoundError, match="missing.nii"):
        load_nifti({"T1": tmp_path / "missing.nii"})


# ----------------------------------------------------------------------------- BrainWeb


def write_minc1(path, zyx):
    """A minimal MINC1 file (netCDF; nibabel reads MINC but cannot write it)."""
    f = netcdf_file(str(path), "w")
    for name, n, start in zip(("zspace", "yspace", "xspace"), zyx.shape, (-72.0, -126.0, -90.0)):
        f.createDimension(name, n)
        dim = f.createVariable(name, "d", ())
        dim.start, dim.step, dim.spacing = start, 1.0, b"regular__"
    image = f.createVariable("image", "f", ("zspace", "yspace", "xspace"))
    image[:] = zyx
    image.valid_range = np.array([0.0, float(zyx.max())])
    for name, value in (("image-max", float(zyx.max())), ("image-min", 0.0)):
        f.createVariable(name, "d", ()).data[()] = value
    f.close()


def test_brainweb_raw_gz_and_minc(tmp_path):
    shape = (9, 11, 7)  # (x, y, z)
    xyz = (head_volume(shape) / 300 * 255).astype(np.uint8)
    raw = xyz.transpose(2, 1, 0).tobytes()  # BrainWeb order: x fastest, then y, then z
    (tmp_path / "t1_icbm.rawb").write_bytes(raw)
    (tmp_path / "t2_icbm.rawb.gz").write_bytes(gzip.compress(raw))
    write_minc1(tmp_path / "pd_icbm.mnc", xyz.transpose(2, 1, 0).astype(np.float32))
    s = load_brainweb(
        {"T1": tmp_path / "t1_icbm.rawb", "T2": tmp_path / "t2_icbm.rawb.gz", "PD": tmp_path / "pd_icbm.mnc"},
        shape=shape,
    )
    assert s.name == "t1_icbm" and s["T1"].shape == (7, 11, 9)
    expected = xyz.transpose(2, 1, 0)[:, ::-1, ::-1]  # axial, radiological
    np.testing.assert_allclose(s["T1"], expected / 255.0, atol=1e-6)
    np.testing.assert_array_equal(s["T1"], s["T2"])
    # MINC holds floats: robust min-max scaling instead of / 255
    np.testing.assert_allclose(s["PD"], to_unit(expected.astype(np.float32)), atol=1e-6)
    assert s.meta["affine"][0][3] == -90.0


def test_brainweb_errors_name_the_file(tmp_path):
    short = tmp_path / "short.rawb"
    short.write_bytes(bytes(100))
    with pytest.raises(DataError, match="short.rawb: holds 100 bytes.*181x217x181"):
        load_brainweb({"T1": short})
    bad_gz = tmp_path / "bad.rawb.gz"
    bad_gz.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataError, match="bad.rawb.gz: cannot decompress"):
        load_brainweb({"T1": bad_gz})
    odd = tmp_path / "volume.raw"
    odd.write_bytes(bytes(10))
    with pytest.raises(DataError, match="volume.raw: unknown BrainWeb format"):
        load_brainweb({"T1": odd})


# ----------------------------------------------------------------------------- paired folders


def write_png_pairs(root, stems, size=(20, 24)):
    rng = np.random.default_rng(1)
    for folder in ("t1", "t2"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for stem in stems:
            Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8)).save(root / folder / f"{stem}.png")


def test_png_pairs_grouped_by_subject(tmp_path):
    write_png_pairs(tmp_path, ["1001", "1002", "2001", "2002", "2003"])
    subjects = load_paired_folder(tmp_path, {"t1": "T1", "t2": "T2"}, subject_of=r"(\d+)\d{3}")
    assert [s.name for s in subjects] == ["1", "2"]
    assert [s.n_slices for s in subjects] == [2, 3]
    original = np.asarray(Image.open(tmp_path / "t2" / "2003.png"))
    np.testing.assert_allclose(subjects[1]["T2"][2], original / 255.0)
    whole = load_paired_folder(tmp_path)
    assert len(whole) == 1 and whole[0].n_slices == 5 and set(whole[0].images) == {"t1", "t2"}


def test_mat_pairs_and_colour(tmp_path):
    rng = np.random.default_rng(2)
    for folder in ("mri", "pet"):
        (tmp_path / folder).mkdir()
    for i in range(3):
        savemat(tmp_path / "mri" / f"s{i}.mat", {"data": rng.random((16, 16)) * 7.0})
        savemat(tmp_path / "pet" / f"s{i}.mat", {"data": rng.random((16, 16, 3))})
    (s,) = load_paired_folder(tmp_path, {"mri": "T1", "pet": "PET_rgb"})
    assert s["T1"].shape == (3, 16, 16) and s["PET_rgb"].shape == (3, 16, 16, 3)
    assert s["T1"].max() == 1.0 and s["T1"].min() == 0.0  # float data: robust min-max per volume


def test_paired_folder_errors_name_the_file(tmp_path):
    write_png_pairs(tmp_path / "unpaired", ["a1", "a2"])
    (tmp_path / "unpaired" / "t2" / "a2.png").unlink()
    with pytest.raises(DataError, match=r"unpaired.*t1/a2\.png"):
        load_paired_folder(tmp_path / "unpaired")

    write_png_pairs(tmp_path / "sizes", ["a1", "a2"])
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "sizes" / "t2" / "a2.png")
    with pytest.raises(DataError, match=r"t2/a2\.png: shape \(8, 8\) differs"):
        load_paired_folder(tmp_path / "sizes")

    write_png_pairs(tmp_path / "mismatch", ["a1"])
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "mismatch" / "t2" / "a1.png")
    with pytest.raises(DataError, match=r"a1\.png: slices are \(8, 8\)"):
        load_paired_folder(tmp_path / "mismatch")

    write_png_pairs(tmp_path / "corrupt", ["a1"])
    (tmp_path / "corrupt" / "t1" / "a1.png").write_bytes(b"\x89PNG truncated")
    with pytest.raises(DataError, match=r"t1/a1\.png: cannot read"):
        load_paired_folder(tmp_path / "corrupt")

    (tmp_path / "empty" / "t1").mkdir(parents=True)
    with pytest.raises(DataError, match=r"empty/t1: no .*files"):
        load_paired_folder(tmp_path / "empty")

    (tmp_path / "nan" / "x").mkdir(parents=True)
    savemat(tmp_path / "nan" / "x" / "n1.mat", {"data": np.full((4, 4), np.nan)})
    with pytest.raises(DataError, match=r"n1\.mat: 16 voxel\(s\) are NaN"):
        load_paired_folder(tmp_path / "nan")

    (tmp_path / "novar" / "x").mkdir(parents=True)
    savemat(tmp_path / "novar" / "x" / "n1.mat", {"image": np.zeros((4, 4))})
    with pytest.raises(DataError, match=r"n1\.mat: no variable 'data'.*\['image'\]"):
        load_paired_folder(tmp_path / "novar")

    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_paired_folder(tmp_path / "nowhere")


# ----------------------------------------------------------------------------- Harvard atlas


def test_find_aanlib(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="not-there"):
        find_aanlib(tmp_path / "not-there")
    monkeypatch.setenv("IVAN_AANLIB", str(tmp_path))
    assert find_aanlib() == tmp_path
    assert find_aanlib(tmp_path) == tmp_path
    monkeypatch.setenv("IVAN_AANLIB", "")  # explicitly none: the notebooks skip their Harvard parts
    assert find_aanlib() is None
    monkeypatch.setenv("IVAN_AANLIB", str(tmp_path / "moved"))
    with pytest.raises(FileNotFoundError, match=r"moved \(from IVAN_AANLIB\).*IVAN_AANLIB=''"):
        find_aanlib()


def test_aanlib_layout_errors(tmp_path):
    for modality in ("CT", "MRI"):
        (tmp_path / "CT-MRI" / modality).mkdir(parents=True)
    for stem in ("16001", "16002"):
        Image.fromarray(np.full((8, 8), 200, np.uint8)).save(tmp_path / "CT-MRI" / "CT" / f"{stem}.png")
    Image.fromarray(np.full((8, 8), 90, np.uint8)).save(tmp_path / "CT-MRI" / "MRI" / "16001.png")
    with pytest.raises(DataError, match=r"CT/16002\.png"):
        load_aanlib(tmp_path, "CT-MRI")
    Image.fromarray(np.full((8, 8), 90, np.uint8)).save(tmp_path / "CT-MRI" / "MRI" / "16002.png")
    (s,) = load_aanlib(tmp_path, "CT-MRI")
    assert s.name == "aanlib-CT-MRI-16" and set(s.images) == {"CT", "T2"} and s.meta["slices"] == [1, 2]
    with pytest.raises(ValueError, match=r"cases \['99'\].*available: \['16'\]"):
        load_aanlib(tmp_path, "CT-MRI", cases=[99])
    with pytest.raises(ValueError, match="unknown pair"):
        load_aanlib(tmp_path, "MRI-MRI")


@needs_aanlib
def test_aanlib_ct_mri_split_by_case():
    subjects = load_aanlib(AANLIB, "CT-MRI")
    assert [s.name for s in subjects] == [f"aanlib-CT-MRI-{c}" for c in (2, 16, 20, 21, 28, 32, 33, 34)]
    assert sum(s.n_slices for s in subjects) == 144
    for s in subjects:
        assert set(s.images) == {"CT", "T2"} and s["CT"].shape[1:] == (256, 256)
        assert 0.2 < s.mask.mean() < 0.8
        # bone (brightest CT) lies inside the head mask
        assert s.mask[s["CT"] > 0.9].mean() > 0.9
    train, val, test = split_subjects(subjects, seed=0)
    cases = [{s.meta["case"] for s in part} for part in (train, val, test)]
    assert not (cases[0] & cases[1] or cases[0] & cases[2] or cases[1] & cases[2])
    assert len(set.union(*cases)) == 8


@needs_aanlib
def test_aanlib_pet_mri():
    subjects = load_aanlib(AANLIB, "PET-MRI", cases=["25", 30])
    assert [s.name for s in subjects] == ["aanlib-PET-MRI-25", "aanlib-PET-MRI-30"]
    assert [s.meta["plane"] for s in subjects] == ["coronal", "sagittal"]
    assert sum(s.n_slices for s in subjects) == 176
    s = subjects[0]
    assert set(s.images) == {"PET_rgb", "PET", "T1"} and s["PET_rgb"].shape == s["T1"].shape + (3,)
    # the grey PET recovered from colour maps back onto the atlas colours
    assert np.abs(pet_to_rgb(s["PET"]) - s["PET_rgb"]).mean() < 0.01


@needs_aanlib
def test_aanlib_spect_mri():
    subjects = load_aanlib(AANLIB, "SPECT-MRI")
    assert [s.meta["case"] for s in subjects] == [3, 4, 9, 11, 15, 18, 21, 25, 28, 35, 36]
    assert sum(s.n_slices for s in subjects) == 247 and {s.meta["plane"] for s in subjects} == {"axial"}
    s = subjects[0]
    assert set(s.images) == {"SPECT_rgb", "SPECT", "T2"} and s["SPECT_rgb"].shape == s["T2"].shape + (3,)
    # the grey SPECT re-coloured with the atlas's SPECT scale gives back every pixel's colour to 2 of 255 levels
    for subject in subjects:
        assert np.abs(HARVARD_SPECT(subject["SPECT"])[..., :3] - subject["SPECT_rgb"]).max() <= 2 / 255 + 1e-6
    # the colour images are 128 x 128 ones enlarged by pixel repetition
    rgb = s["SPECT_rgb"]
    np.testing.assert_array_equal(rgb[:, ::2], rgb[:, 1::2])
    np.testing.assert_array_equal(rgb[:, :, ::2], rgb[:, :, 1::2])


def test_colour_maps_invert_to_their_positions():
    positions = np.linspace(0.0, 1.0, 256, dtype=np.float32)
    for cmap in (HARVARD_PET, HARVARD_SPECT):
        back = colour_to_position(cmap(positions)[:, :3], cmap)
        assert np.abs(back - positions).max() <= 1.0 / 255 + 1e-6, cmap.name
    with pytest.raises(ValueError, match="SPECT-MRI"):
        load_aanlib(Path(__file__).parent, "MRI-SPECT")


@needs_aanlib
def test_aanlib_cases_feed_the_task_dataset():
    from ivan_core.baselines.fusion.methods import add_fusion_label
    from ivan_core.core.training.pairs import TaskDataset

    pet = [s.take(slice(0, 2)) for s in load_aanlib(AANLIB, "PET-MRI")]
    x, y = TaskDataset(pet, "t1_to_pet")[0]
    assert x.shape == y.shape == (3, 256, 256)
    np.testing.assert_array_equal(y.numpy(), np.moveaxis(pet[0]["PET_rgb"][0], -1, 0))
    ct_mri = add_fusion_label([s.take(slice(0, 2)) for s in load_aanlib(AANLIB, "CT-MRI", cases=[2])], "average")
    x, y = TaskDataset(ct_mri, "t2ct_fusion")[1]
    np.testing.assert_array_equal(x.numpy(), np.stack([ct_mri[0]["T2"][1], ct_mri[0]["CT"][1]]))
    np.testing.assert_allclose(y[0].numpy(), 0.5 * (ct_mri[0]["T2"][1] + ct_mri[0]["CT"][1]), atol=1e-6)
