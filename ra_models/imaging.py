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
from typing import IO

import numpy as np
from PIL import Image

from .errors import (
    CorruptImageError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    UnsupportedFormatError,
)
from .image_types import (  # noqa: F401  (re-exported: the intake's public names)
    _ALLOWED_TEXT,
    ALLOWED_EXTENSIONS,
    ALLOWED_FORMATS,
    ImageMeta,
    IntakeLimits,
    LoadedImage,
    _short,
    check_dims,
    describe_meta,
    megabytes,
    reduce_to,
)

ImageSource = bytes | bytearray | memoryview | str | os.PathLike | IO[bytes]

def sniff_format(data: bytes) -> str | None:
    """Return the format name from magic bytes, or None if unknown.

    ``DICM`` at offset 128 wins over every other signature: the DICOM preamble may hold
    anything, and CR exports often put a TIFF header there so that TIFF readers show a preview.
    """
    if len(data) >= 132 and data[128:132] == b"DICM":
        return "DICOM"
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
        f"is larger than the {megabytes(limits.max_bytes)} limit for uploads; "
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
    try:
        if fmt == "DICOM":
            from .dicom import decode_dicom

            pixels, meta = decode_dicom(data, name, limits)
        else:
            pixels, meta = _decode_raster(data, fmt, name, limits)
    except InvalidImageError:
        raise
    except MemoryError as e:
        raise ImageTooLargeError(f"{name} needs more memory to decode than this server allows; "
                                 "export a smaller image.") from e
    except Exception as e:  # noqa: BLE001 - every decoder failure becomes the intake's own error
        raise CorruptImageError(
            f"{name} looks like a {fmt} file but could not be decoded ({_short(e)}). It may be "
            f"truncated or damaged; re-export it as {_ALLOWED_TEXT}.") from e
    h, w = pixels.shape
    if min(h, w) < limits.min_side:
        raise ImageTooSmallError(
            f"{name} is {w}×{h} pixels; at least {limits.min_side}×{limits.min_side} is needed "
            "to see joints."
        )
    if not np.isfinite(pixels).all():
        raise CorruptImageError(f"{name} contains non-finite pixel values.")
    return LoadedImage(np.ascontiguousarray(pixels, dtype=np.float32), meta)


_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}


def _count_frames(img, fmt: str, cap: int) -> tuple[int, bool]:
    """(frames, capped). TIFF: walk at most ``cap`` IFDs (a file may chain 100,000 of them)."""
    if not getattr(img, "is_animated", False):
        return 1, False
    if fmt != "TIFF":
        return int(getattr(img, "n_frames", 1)), False
    n = 1
    try:
        while n < cap:
            img.seek(n)
            n += 1
    except EOFError:
        return n, False
    except Exception:  # noqa: BLE001 - a broken later IFD must not refuse a good first frame
        return n, False
    return n, True


def _take_orientation(img, fmt: str) -> tuple[int | None, str | None]:
    """The EXIF orientation tag, read before decoding and taken out of Pillow's cached EXIF;
    (value, note for the user). The caller applies it.

    Pillow applies a TIFF's orientation itself while loading (and trips over a malformed XMP
    tag doing so); with the tag taken out, every format goes through the same path.
    """
    try:
        exif = img.getexif()
        value = exif.get(0x0112)
        if value is not None:
            del exif[0x0112]
    except Exception:  # noqa: BLE001 - a broken EXIF block must not refuse a good image
        return None, "EXIF block unreadable; shown as stored"
    try:
        return int(value) if value is not None else None, None
    except (TypeError, ValueError):
        return None, "EXIF orientation unreadable; shown as stored"


def _decode_raster(data: bytes, fmt: str, name: str, limits: IntakeLimits):
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning is replaced by our explicit pixel limit below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])  # only the sniffed decoder
            check_dims(img.width, img.height, name, limits)
            original_size = img.size
            n_frames, capped = _count_frames(img, fmt, limits.max_frames_scanned)
            if img.tell() != 0:
                img = Image.open(io.BytesIO(data), formats=[fmt])  # fresh state for frame 0
            if fmt == "JPEG" and max(img.size) > limits.max_side:
                img.draft(img.mode, (limits.max_side, limits.max_side))  # DCT-domain downscale
            orientation, exif_note = _take_orientation(img, fmt)
            img.load()
    except Image.DecompressionBombError as e:
        raise ImageTooLargeError(
            f"{name} is too large to decode safely (decompression-bomb guard). "
            f"The limit is {limits.max_pixels / 1e6:.0f} megapixels."
        ) from e
    # any other decoder failure: read_image turns it into CorruptImageError naming the format
    mode = img.mode
    notes: list[str] = []
    if n_frames > 1:
        notes.append(f"first of {'≥ ' if capped else ''}{n_frames} frames used")
    if exif_note:
        notes.append(exif_note)
    if orientation in _ORIENTATION_TRANSPOSE:
        img = img.transpose(_ORIENTATION_TRANSPOSE[orientation])
        notes.append("EXIF orientation applied")

    bit_depth, scale = 8, 255.0
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        bit_depth, scale = 16, 65535.0
    elif mode == "I":
        bit_depth = 32
    elif mode == "F":
        bit_depth = 32
    elif mode == "1":
        img, bit_depth = img.convert("L"), 1
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
    native = np.asarray(img)
    del img
    if native.ndim != 2:
        raise CorruptImageError(f"{name}: decoded to an array of shape {native.shape}, not a "
                                "single-channel image.")
    h0, w0 = native.shape
    arr, reduced = reduce_to(native, limits.max_side)
    del native
    if reduced:
        notes.append(f"downscaled from {w0}×{h0} to {arr.shape[1]}×{arr.shape[0]} on intake")
    if mode == "I":
        hi = float(arr.max(initial=0))
        bit_depth = 16 if hi <= 65535 else 32
        arr /= 65535.0 if bit_depth == 16 else max(hi, 1.0)
    elif mode == "F":
        if not np.isfinite(arr).all():
            raise CorruptImageError(f"{name} contains non-finite pixel values.")
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0 or hi > 1:
            arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
            notes.append("floating-point image rescaled to [0, 1]")
    else:
        arr /= scale
    meta = ImageMeta(
        format=fmt,
        original_size=(int(original_size[0]), int(original_size[1])),
        bit_depth=bit_depth,
        photometric=mode,
        n_frames=int(n_frames),
        notes=tuple(notes),
    )
    return np.clip(arr, 0.0, 1.0, out=arr), meta
