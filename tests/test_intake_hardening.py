"""Regression tests for the intake hardening (issue 14) and the DICOM preamble bug (issue 10).

Every hostile input is built here, in the test, by the same builders the fuzz harness uses.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from PIL import Image

from bench import fuzz_intake as fz
from ra_models import IntakeLimits, prepare_xray, read_image, sniff_format
from ra_models.errors import (
    CorruptImageError,
    DicomError,
    ImageShapeError,
    ImageTooLargeError,
    InvalidImageError,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def seeds():
    return fz.seed_files()


# ---------------------------------------------------------------- 1. tall / wide images
def test_tall_png_is_refused_by_its_header():
    data = fz.png_header_bomb(256, 65536)  # 16 KB; padding to a square would ask for 16 GiB
    assert len(data) < 20_000
    with pytest.raises(ImageShapeError, match="256×65536.*at most 6:1"):
        read_image(data)


def test_prepare_never_pads_at_full_resolution():
    img = np.random.default_rng(0).random((1000, 5800)).astype(np.float32)  # aspect 5.8: allowed
    tracemalloc.start()
    x = prepare_xray(img)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert x.shape == (224, 224, 1)
    # the old pad-then-resize allocated 5800² floats (135 MB); now only copies of the input
    assert peak < 3 * img.nbytes
    # the image sits centred in the square, padded with its border median
    rows = np.flatnonzero(np.abs(x[:, 112, 0] - np.median(x[:, 112, 0])) > 0.01)
    assert 224 // 2 - 30 < rows.mean() < 224 // 2 + 30


def test_large_image_is_reduced_on_intake():
    data = fz.png_header_bomb(6000, 6000, rows=6000)
    img, meta = read_image(data)
    assert max(img.shape) <= IntakeLimits().max_side
    assert any("downscaled from 6000×6000" in n for n in meta.notes)


# ---------------------------------------------------------------- 2. compressed DICOM frames
@pytest.mark.parametrize(("seed", "patch", "exc", "needle"), [
    ("dicom_jpeg", lambda d: fz.jpeg_sof_patch(d, 30000, 30000), ImageTooLargeError,
     "JPEG frame header declares 30000×30000"),
    ("dicom_jpeg", lambda d: fz.jpeg_sof_patch(d, 65000, 65000), ImageTooLargeError, "65000×65000"),
    ("dicom_jpeg", lambda d: fz.jpeg_sof_patch(d, 128, 0), DicomError, "128×0"),
    ("dicom_jpeg", lambda d: fz.jpeg_sof_patch(d, 256, 192), DicomError, "disagrees"),
    ("dicom_j2k", lambda d: fz.j2k_siz_patch(d, 30000, 30000), ImageTooLargeError,
     "JPEG 2000 SIZ header declares 30000×30000"),
    ("dicom_j2k", lambda d: fz.j2k_siz_patch(d, 256, 192), DicomError, "Columns×Rows 128×96"),
    ("dicom_rle", lambda d: fz.rle_segments_patch(d, 15), DicomError, "RLE frame has 15 segments"),
])
def test_compressed_frame_header_checked_before_decoding(seeds, seed, patch, exc, needle):
    with pytest.raises(exc, match=needle):
        read_image(patch(seeds[seed]))


@pytest.mark.parametrize("seed", ["dicom_jpeg", "dicom_j2k", "dicom_rle", "dicom"])
def test_valid_dicoms_still_decode(seeds, seed):
    img, meta = read_image(seeds[seed])
    assert meta.format == "DICOM" and img.shape == (96, 128)
    assert np.corrcoef(img.ravel(), fz._gradient().ravel())[0, 1] > 0.99


# ---------------------------------------------------------------- 3. TIFF IFD chains
def test_tiff_with_100000_ifds_reads_first_frame_only():
    data = fz.tiff_ifd_chain(100_000)
    assert len(data) > 10_000_000
    img, meta = read_image(data)
    assert img.shape == (64, 64)
    assert "first of ≥ 64 frames used" in meta.notes


def test_tiff_with_empty_second_ifd_keeps_first_frame():
    img, _ = read_image(fz.tiff_ifd_chain(2, empty_second=True))
    assert img.shape == (64, 64)


# ---------------------------------------------------------------- 4. decoder errors
@pytest.mark.parametrize("case", [c for c, _ in fz.dicom_tag_mutants(fz.seed_files())])
def test_malformed_dicom_tags_never_crash(seeds, case):
    data = dict(fz.dicom_tag_mutants(seeds))[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            img, _ = read_image(data)
        except InvalidImageError as e:
            assert str(e).strip()
            return
    assert np.isfinite(img).all()


@pytest.mark.parametrize(("case", "needle"), [
    ("WindowWidth -5", "WindowWidth is -5"), ("WindowWidth 0", "WindowWidth is 0"),
    ("VOILUTFunction BOGUS", "VOILUTFunction is 'BOGUS'"),
    ("WindowCenter text", "WindowCenter is 'abc', not a number"),
    ("RescaleSlope nan", "RescaleSlope is nan"), ("RescaleSlope inf", "RescaleSlope is inf"),
    ("Rows too many", "pixel data hold"),
])
def test_malformed_dicom_tags_are_named(seeds, case, needle):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DicomError, match=needle):
            read_image(dict(fz.dicom_tag_mutants(seeds))[case])


def test_tiff_xmp_of_numeric_type_is_not_a_crash():
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    ifd = ImageFileDirectory_v2()
    ifd[700], ifd.tagtype[700] = 12345, 3  # XMP (a byte string by the spec) as a SHORT
    ifd[274], ifd.tagtype[274] = 6, 3  # and an orientation tag, so the EXIF path runs
    buf = io.BytesIO()
    Image.fromarray(np.tile(np.arange(96, dtype=np.uint8), (80, 1))).save(
        buf, format="TIFF", tiffinfo=ifd)
    img, meta = read_image(buf.getvalue())
    assert img.shape == (96, 80)  # rotated by the orientation tag
    assert "EXIF orientation applied" in meta.notes


def test_any_decoder_exception_becomes_an_intake_error(seeds, monkeypatch):
    import ra_models.dicom as dicom_mod

    def boom(*a, **k):
        raise TypeError("too many values to unpack")

    monkeypatch.setattr(dicom_mod, "decode_dicom", boom)
    with pytest.raises(CorruptImageError, match="DICOM file but could not be decoded"):
        read_image(seeds["dicom"])


# ---------------------------------------------------------------- DICOM preamble (issue 10)
@pytest.mark.parametrize("case", [c for c, _ in fz.preamble_mutants(fz.seed_files())])
def test_dicm_at_128_wins_over_any_preamble(seeds, case):
    data = dict(fz.preamble_mutants(seeds))[case]
    assert sniff_format(data) == "DICOM"
    img, meta = read_image(data)
    assert meta.format == "DICOM" and "MONOCHROME1 inverted" in meta.notes
    ref, _ = read_image(seeds["dicom_m1"])
    assert np.array_equal(img, ref)


def test_shipped_sample_with_tiff_preamble_reads_as_dicom():
    path = os.path.join(ROOT, "assets", "samples", "ra-established.dcm")
    b = open(path, "rb").read()
    a, meta_a = read_image(b)
    c, meta_c = read_image(b"II*\x00" + b[4:])
    assert meta_c.format == "DICOM" and np.array_equal(a, c)


def test_tiff_whose_bytes_128_are_not_dicm_stays_tiff(seeds):
    data = seeds["tiff"]
    assert data[128:132] != b"DICM"
    assert sniff_format(data) == "TIFF"
    assert read_image(data).meta.format == "TIFF"


def test_exif_note_only_when_orientation_applied(seeds):
    for name in ("png", "jpeg", "tiff", "bmp", "gif"):
        assert "EXIF orientation applied" not in read_image(seeds[name]).meta.notes, name


def test_size_limit_message_matches_readme():
    with pytest.raises(ImageTooLargeError, match="25 MB limit"):
        read_image(b"\x89PNG\r\n\x1a\n" + bytes(IntakeLimits().max_bytes))


# ---------------------------------------------------------------- the fuzz harness itself
def test_fuzz_harness_300_mutants_no_crash():
    """The fast run of the committed harness: a fresh process, address space capped at 4 GiB."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30)); "
            "from bench.fuzz_intake import main; main(['--n', '300', '--seed', '7', '--json'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n"] == 300
    assert res["crashes"] == 0, res["crash_examples"]
    assert res["accepted"] > 30 and res["refused"] > 100  # the families do reach both outcomes
    assert set(res["by_family"]) == set(fz.FAMILIES)


def test_fuzz_mutants_are_deterministic():
    a = fz.mutants(60, seed=3)
    b = fz.mutants(60, seed=3)
    assert [x[2] for x in a] == [x[2] for x in b]
    assert [x[2] for x in a] != [x[2] for x in fz.mutants(60, seed=4)]


def test_streamlit_upload_limit_matches_the_intake():
    import tomllib

    cfg = tomllib.loads(open(os.path.join(ROOT, ".streamlit", "config.toml")).read())
    assert cfg["server"]["maxUploadSize"] * 2**20 == IntakeLimits().max_bytes  # Streamlit: MiB
