"""Image intake: any upload -> grayscale float32 array in [0, 1] plus metadata.

``read_image`` is the single door through which every image enters the project (training
data, Streamlit uploads, Flask uploads, the API). It detects the type from the bytes, never
from the file name, applies the guards in :class:`IntakeLimits`, and raises a subclass of
:class:`~ra_models.errors.InvalidImageError` with a message a person can act on. Nothing is
ever written to disk.

Supported: PNG (8/16-bit), JPEG, GIF (first frame), BMP, TIFF, and DICOM (through pydicom:
modality LUT, VOI LUT/window, MONOCHROME1 inverted; JPEG/JPEG-LS/JPEG 2000/RLE compressed
files are decoded by the pylibjpeg plugins).
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from typing import IO, NamedTuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import (
    CorruptImageError,
    DicomError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    UnsupportedFormatError,
)

ImageSource = bytes | bytearray | memoryview | str | os.PathLike | IO[bytes]

#: What a person may upload, as shown in error messages.
ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "DICOM")
ALLOWED_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".dcm", ".dicom")
_ALLOWED_TEXT = "PNG, JPEG, GIF, BMP, TIFF or DICOM"


@dataclass(frozen=True)
class IntakeLimits:
    """Guards applied before and while decoding. All configurable."""

    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 40_000_000  # decompression-bomb guard (width x height)
    min_side: int = 64


@dataclass(frozen=True)
class ImageMeta:
    format: str  # one of ALLOWED_FORMATS
    original_size: tuple[int, int]  # (width, height) as stored, before EXIF rotation
    bit_depth: int
    photometric: str  # e.g. "MONOCHROME2", "MONOCHROME1", "RGB", "L", "P"
    n_frames: int = 1
    notes: tuple[str, ...] = ()


class LoadedImage(NamedTuple):
    pixels: np.ndarray  # (H, W) float32 in [0, 1], bright = dense (bone)
    meta: ImageMeta


def sniff_format(data: bytes) -> str | None:
    """Return the format name from magic bytes, or None if unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data.startswith(b"BM") and len(data) >= 26:
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if len(data) >= 132 and data[128:132] == b"DICM":
        return "DICOM"
    return None


def _describe_unknown(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "an HTML page"
    if head.startswith(b"<?xml") and b"<svg" in data[:4096].lower() or head.startswith(b"<svg"):
        return "an SVG drawing (vector graphics are not radiographs)"
    if head.startswith(b"%pdf"):
        return "a PDF document"
    if head.startswith(b"pk\x03\x04"):
        return "a ZIP archive"
    if head.startswith(b"riff") and data[8:12] == b"WEBP":
        return "a WebP image"
    return "an unrecognised file type"


def _read_source(source: ImageSource, limits: IntakeLimits) -> tuple[bytes, str]:
    """Return (bytes, name-for-messages) without reading more than max_bytes + 1."""
    too_big = (
        f"is larger than the {limits.max_bytes / 1e6:.0f} MB limit for uploads; "
        "export a smaller image (e.g. PNG at ≤ 4000 px)"
    )
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "The image"
    elif isinstance(source, (str, os.PathLike)):
        name = f"File '{os.fspath(source)}'"
        try:
            size = os.path.getsize(source)
            if size > limits.max_bytes:
                raise ImageTooLargeError(f"{name} {too_big}.")
            with open(source, "rb") as fh:
                data = fh.read(limits.max_bytes + 1)
        except OSError as e:
            raise InvalidImageError(f"{name} cannot be read: {e.strerror or e}.") from e
    elif hasattr(source, "read"):
        name = f"File '{getattr(source, 'name', 'upload')}'"
        data = source.read(limits.max_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise InvalidImageError(f"{name} must be opened in binary mode.")
        data = bytes(data)
    else:
        raise InvalidImageError(
            f"Cannot read an image from a {type(source).__name__}; pass bytes, a path or a binary file."
        )
    if len(data) > limits.max_bytes:
        raise ImageTooLargeError(f"{name} {too_big}.")
    if not data:
        raise CorruptImageError(f"{name} is empty (0 bytes). Upload a {_ALLOWED_TEXT} file.")
    return data, name


def read_image(source: ImageSource, *, limits: IntakeLimits | None = None) -> LoadedImage:
    """Decode an image from bytes, a path or a binary file object.

    Args:
        source: raw bytes, a filesystem path, or a binary file-like object.
        limits: size guards; defaults to :class:`IntakeLimits()`.

    Returns:
        ``LoadedImage(pixels, meta)``; ``pixels`` is (H, W) float32 in [0, 1] with bone bright.

    Raises:
        InvalidImageError (or a subclass) naming what was wrong and what is allowed.
    """
    limits = limits or IntakeLimits()
    data, name = _read_source(source, limits)
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedFormatError(
            f"{name} is {_describe_unknown(data)}, not a supported image. Allowed: {_ALLOWED_TEXT}."
        )
    if fmt == "DICOM":
        pixels, meta = _decode_dicom(data, name, limits)
    else:
        pixels, meta = _decode_raster(data, fmt, name, limits)
    h, w = pixels.shape
    if min(h, w) < limits.min_side:
        raise ImageTooSmallError(
            f"{name} is {w}×{h} pixels; at least {limits.min_side}×{limits.min_side} is needed "
            "to see joints."
        )
    if not np.isfinite(pixels).all():
        raise CorruptImageError(f"{name} contains non-finite pixel values.")
    return LoadedImage(np.ascontiguousarray(pixels, dtype=np.float32), meta)


def _check_dims(w: int, h: int, name: str, limits: IntakeLimits) -> None:
    if w * h > limits.max_pixels:
        raise ImageTooLargeError(
            f"{name} declares {w}×{h} = {w * h / 1e6:.0f} megapixels; the limit is "
            f"{limits.max_pixels / 1e6:.0f} megapixels. Downscale it before uploading."
        )


def _decode_raster(data: bytes, fmt: str, name: str, limits: IntakeLimits):
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning is replaced by our explicit pixel limit below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            _check_dims(img.width, img.height, name, limits)
            original_size = img.size
            n_frames = getattr(img, "n_frames", 1)
            img.seek(0)
            img.load()
    except Image.DecompressionBombError as e:
        raise ImageTooLargeError(
            f"{name} is too large to decode safely (decompression-bomb guard). "
            f"The limit is {limits.max_pixels / 1e6:.0f} megapixels."
        ) from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise CorruptImageError(
            f"{name} looks like a {fmt} file but could not be decoded ({e}). It may be truncated "
            f"or damaged; re-export it as {_ALLOWED_TEXT}."
        ) from e
    mode = img.mode
    notes: list[str] = []
    try:
        transposed = ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not refuse a good image
        transposed, notes = img, ["EXIF orientation unreadable; shown as stored"]
    if transposed is not img:
        notes.append("EXIF orientation applied")
    img = transposed

    bit_depth = 8
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        arr = np.asarray(img, dtype=np.float32) / 65535.0
        bit_depth = 16
    elif mode == "I":
        arr = np.asarray(img, dtype=np.float64)
        bit_depth = 16 if arr.max(initial=0) <= 65535 else 32
        arr = (arr / (65535.0 if bit_depth == 16 else max(arr.max(), 1.0))).astype(np.float32)
    elif mode == "F":
        arr = np.asarray(img, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0 or hi > 1:
            arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
            notes.append("floating-point image rescaled to [0, 1]")
        bit_depth = 32
    elif mode == "1":
        arr = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
        bit_depth = 1
    else:
        if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
            # Flatten alpha onto black: transparent areas become "air", as on a film.
            rgba = img.convert("RGBA")
            bg = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
            img = Image.alpha_composite(bg, rgba)
            notes.append("alpha channel flattened onto black")
        if img.mode != "L":
            if img.mode not in ("RGB", "RGBA", "L"):
                img = img.convert("RGB")
            img = img.convert("L")  # ITU-R 601 luma
            if mode not in ("L", "P"):
                notes.append("colour converted to luminance")
        arr = np.asarray(img, dtype=np.float32) / 255.0
    meta = ImageMeta(
        format=fmt,
        original_size=(int(original_size[0]), int(original_size[1])),
        bit_depth=bit_depth,
        photometric=mode,
        n_frames=int(n_frames),
        notes=tuple(notes),
    )
    return np.clip(arr, 0.0, 1.0), meta


def _decode_dicom(data: bytes, name: str, limits: IntakeLimits):
    import pydicom  # local import: only DICOM uploads pay for it
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as e:
        raise DicomError(f"{name} is a damaged DICOM file ({e}).") from e
    if "PixelData" not in ds and "FloatPixelData" not in ds:
        raise DicomError(
            f"{name} is a DICOM file without pixel data (modality "
            f"{ds.get('Modality', 'unknown')}, e.g. a report or presentation state). "
            "Upload the image series itself."
        )
    rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    _check_dims(cols, rows, name, limits)
    ts = getattr(ds.file_meta, "TransferSyntaxUID", None)
    try:
        raw = ds.pixel_array
    except (NotImplementedError, RuntimeError) as e:
        ts_name = getattr(ts, "name", str(ts))
        raise DicomError(
            f"{name} uses the transfer syntax '{ts_name}' ({ts}), which this app cannot decode. "
            "Export it uncompressed or as JPEG/JPEG 2000/RLE, or upload a PNG."
        ) from e
    except Exception as e:  # noqa: BLE001 - pydicom raises many types for damaged pixel data
        raise DicomError(f"{name}: the DICOM pixel data could not be decoded ({e}).") from e
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    notes: list[str] = []
    arr = raw
    if n_frames > 1:
        arr = arr[0]
        notes.append(f"first of {n_frames} frames used")
    if photometric in ("RGB", "YBR_FULL", "YBR_FULL_422") or arr.ndim == 3:
        if arr.ndim == 3 and arr.shape[-1] == 3:
            if photometric.startswith("YBR"):
                from pydicom.pixels import convert_color_space

                arr = convert_color_space(arr, photometric, "RGB")
            arr = arr.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
            notes.append("colour converted to luminance")
        pixels = arr.astype(np.float64)
    else:
        pixels = apply_modality_lut(arr, ds).astype(np.float64)
        if "WindowCenter" in ds or "VOILUTSequence" in ds:
            pixels = apply_voi_lut(pixels, ds).astype(np.float64)
            notes.append("VOI LUT/window applied")
    lo, hi = float(np.min(pixels)), float(np.max(pixels))
    pixels = (pixels - lo) / (hi - lo) if hi > lo else np.zeros_like(pixels)
    if photometric == "MONOCHROME1":
        pixels = 1.0 - pixels
        notes.append("MONOCHROME1 inverted")
    meta = ImageMeta(
        format="DICOM",
        original_size=(cols, rows),
        bit_depth=int(ds.get("BitsStored", ds.get("BitsAllocated", 8))),
        photometric=photometric,
        n_frames=n_frames,
        notes=tuple(notes),
    )
    return pixels.astype(np.float32), meta
