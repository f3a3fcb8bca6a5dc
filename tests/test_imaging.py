"""Image intake: every format in, every bad input refused with a helpful message."""

import io

import numpy as np
import pytest
from PIL import Image

from ra_models import IntakeLimits, read_image
from ra_models.errors import (
    CorruptImageError,
    DicomError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    UnsupportedFormatError,
)
from ra_models.synthetic.dataset import write_dicom


def gradient(h=96, w=128):
    y, x = np.mgrid[0:h, 0:w]
    return ((x / (w - 1)) * 0.8 + (y / (h - 1)) * 0.2).astype(np.float32)


def save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "TIFF"])
def test_raster_formats_decode_to_unit_float(fmt):
    g = gradient()
    pil = Image.fromarray(np.round(g * 255).astype(np.uint8))
    img, meta = read_image(save(pil, fmt))
    assert meta.format == fmt
    assert img.dtype == np.float32 and img.shape == (96, 128)
    assert 0.0 <= img.min() and img.max() <= 1.0
    assert np.abs(img - g).mean() < 0.02  # lossy JPEG/GIF stay close


def test_png_16bit_keeps_depth():
    g = gradient()
    arr16 = np.round(g * 65535).astype(np.uint16)
    img, meta = read_image(save(Image.fromarray(arr16), "PNG"))
    assert meta.bit_depth == 16
    assert np.abs(img - g).max() < 1e-4


def test_gif_first_frame_only():
    a = Image.fromarray(np.full((80, 80), 30, np.uint8))
    b = Image.fromarray(np.full((80, 80), 220, np.uint8))
    data = save(a, "GIF", save_all=True, append_images=[b])
    img, meta = read_image(data)
    assert meta.n_frames == 2
    assert img.mean() < 0.2


def test_colour_to_luminance_and_alpha_flattened():
    rgba = np.zeros((70, 70, 4), np.uint8)
    rgba[..., 0] = 255  # pure red
    rgba[..., 3] = 255
    rgba[:35, :, 3] = 0  # top half transparent -> black
    img, meta = read_image(save(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert img[:35].max() == 0.0
    assert abs(img[50, 10] - 0.299) < 0.01  # ITU-R 601 luma of red
    assert "alpha channel flattened onto black" in meta.notes


def test_exif_orientation_is_applied():
    arr = np.zeros((64, 100), np.uint8)
    arr[:, :20] = 255  # bright band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise for display
    data = save(Image.fromarray(arr), "JPEG", exif=exif, quality=95)
    img, meta = read_image(data)
    assert img.shape == (100, 64)
    assert img[:20].mean() > 0.8 and img[-20:].mean() < 0.2  # band now at the top
    assert "EXIF orientation applied" in meta.notes


def test_dicom_monochrome1_is_inverted(tmp_path):
    g = gradient()
    p1, p2 = tmp_path / "m1.dcm", tmp_path / "m2.dcm"
    write_dicom(p1, g, monochrome1=True)
    write_dicom(p2, g, monochrome1=False)
    img1, meta1 = read_image(p1)
    img2, meta2 = read_image(p2.read_bytes())
    assert meta1.photometric == "MONOCHROME1" and meta1.bit_depth == 12
    assert "MONOCHROME1 inverted" in meta1.notes
    # both come out with bone bright: same orientation of the gradient
    assert np.corrcoef(img1.ravel(), g.ravel())[0, 1] > 0.99
    assert np.abs(img1 - img2).max() < 1e-3


def test_dicom_window_is_applied(tmp_path):
    p = tmp_path / "w.dcm"
    write_dicom(p, gradient())
    import pydicom

    ds = pydicom.dcmread(p)
    ds.WindowCenter, ds.WindowWidth = 2048, 1024  # narrow window: ends saturate
    ds.save_as(p)
    img, meta = read_image(p)
    assert "VOI LUT/window applied" in meta.notes
    assert (img == 0).mean() > 0.2 and (img == 1).mean() > 0.1


def test_dicom_without_pixels_is_refused(tmp_path):
    p = tmp_path / "sr.dcm"
    write_dicom(p, gradient())
    import pydicom

    ds = pydicom.dcmread(p)
    del ds.PixelData
    ds.Modality = "SR"
    ds.save_as(p)
    with pytest.raises(DicomError, match="without pixel data"):
        read_image(p)


def test_compressed_dicom_decodes(tmp_path):
    """JPEG 2000 (lossless) through the pylibjpeg plugin."""
    import pydicom
    from pydicom.uid import JPEG2000Lossless

    p = tmp_path / "j2k.dcm"
    write_dicom(p, gradient(), bits=12)
    ds = pydicom.dcmread(p)
    ds.compress(JPEG2000Lossless)
    ds.save_as(p)
    img, meta = read_image(p)
    assert np.corrcoef(img.ravel(), gradient().ravel())[0, 1] > 0.999


@pytest.mark.parametrize(
    ("data", "exc", "needle"),
    [
        (b"", CorruptImageError, "empty"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", UnsupportedFormatError, "HTML"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
         UnsupportedFormatError, "SVG"),
        (b"%PDF-1.4 blah", UnsupportedFormatError, "PDF"),
        (b"just some text", UnsupportedFormatError, "PNG, JPEG, GIF, BMP, TIFF or DICOM"),
    ],
)
def test_bad_inputs_named(data, exc, needle):
    with pytest.raises(exc, match=needle):
        read_image(data)


def test_truncated_png():
    data = save(Image.fromarray(np.full((100, 100), 128, np.uint8)), "PNG")
    with pytest.raises(CorruptImageError, match="truncated"):
        read_image(data[: len(data) // 2])


def test_html_named_png(tmp_path):
    p = tmp_path / "xray.png"
    p.write_bytes(b"<html><script>alert(1)</script></html>")
    with pytest.raises(UnsupportedFormatError, match="HTML page"):
        read_image(p)


def test_too_small():
    data = save(Image.fromarray(np.zeros((32, 40), np.uint8)), "PNG")
    with pytest.raises(ImageTooSmallError, match="40×32"):
        read_image(data)


def test_huge_dimensions_refused_before_decoding():
    # A 20000 x 20000 PNG header (400 MP) made cheaply: a 1-bit image compresses to nothing.
    data = save(Image.new("1", (20000, 20000)), "PNG")
    assert len(data) < 200_000
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        read_image(data)


def test_byte_limit_is_configurable():
    data = save(Image.fromarray(np.zeros((100, 100), np.uint8)), "BMP")
    with pytest.raises(ImageTooLargeError, match="limit"):
        read_image(data, limits=IntakeLimits(max_bytes=1000))


def test_file_object_and_path(tmp_path):
    data = save(Image.fromarray(np.full((70, 70), 200, np.uint8)), "PNG")
    p = tmp_path / "no_extension"
    p.write_bytes(data)
    a, _ = read_image(p)
    b, _ = read_image(io.BytesIO(data))
    assert np.array_equal(a, b)


def test_all_refusals_share_the_hierarchy():
    for exc in (CorruptImageError, DicomError, ImageTooLargeError, ImageTooSmallError,
                UnsupportedFormatError):
        assert issubclass(exc, InvalidImageError)
