"""Types and size checks shared by the image intake (:mod:`ra_models.imaging`) and its DICOM
decoder (:mod:`ra_models.dicom`), kept apart so that neither imports the other's module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .errors import CorruptImageError, ImageShapeError, ImageTooLargeError, ImageTooSmallError

#: What a person may upload, as shown in error messages.
ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "DICOM")
ALLOWED_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".dcm", ".dicom")
_ALLOWED_TEXT = "PNG, JPEG, GIF, BMP, TIFF or DICOM"


@dataclass(frozen=True)
class IntakeLimits:
    """Guards applied before and while decoding. All configurable."""

    max_bytes: int = 25 * 1024 * 1024  # 25 MB (MiB), as the README and the UIs say
    max_pixels: int = 40_000_000  # decompression-bomb guard (width x height)
    min_side: int = 64
    max_aspect: float = 6.0  # longest / shortest side; a hand film is ≤ about 2:1
    max_side: int = 4096  # larger images are block-averaged down on intake (model needs 224)
    max_frames_scanned: int = 64  # multi-frame TIFF: IFDs walked to count frames


@dataclass(frozen=True)
class ImageMeta:
    format: str  # one of ALLOWED_FORMATS
    original_size: tuple[int, int]  # (width, height) as stored, before EXIF rotation
    bit_depth: int
    photometric: str  # e.g. "MONOCHROME2", "MONOCHROME1", "RGB", "L", "P"
    n_frames: int = 1
    notes: tuple[str, ...] = ()


_PHOTOMETRIC_WORDS = {
    "MONOCHROME1": "grayscale, stored inverted (MONOCHROME1: low values bright)",
    "MONOCHROME2": "grayscale (MONOCHROME2: high values bright)",
    "L": "grayscale", "I": "grayscale (32-bit integer)", "I;16": "grayscale (16-bit)",
    "I;16B": "grayscale (16-bit, big-endian)", "F": "grayscale (floating point)",
    "1": "black and white (1-bit)", "LA": "grayscale with transparency",
    "RGB": "colour (RGB)", "RGBA": "colour with transparency (RGBA)", "P": "palette colour",
    "PA": "palette colour with transparency", "CMYK": "colour (CMYK print)",
    "YCbCr": "colour (YCbCr)", "YBR_FULL": "colour (YBR_FULL)", "YBR_FULL_422": "colour (YBR_FULL_422)",
    "PALETTE COLOR": "palette colour",
}


def describe_meta(meta: ImageMeta) -> list[tuple[str, str]]:
    """(field, value) rows a person can read: what the file was and what was done to it."""
    w, h = meta.original_size
    photometric = _PHOTOMETRIC_WORDS.get(meta.photometric, meta.photometric)
    rows = [("Format", meta.format), ("Size as stored", f"{w} × {h} pixels"),
            ("Bit depth", f"{meta.bit_depth} bits per sample"), ("Pixels", photometric)]
    if meta.n_frames > 1:
        rows.append(("Frames", str(meta.n_frames)))
    done = "; ".join(meta.notes) if meta.notes else "used as stored"
    rows.append(("Done on intake", done[:1].upper() + done[1:]))
    return rows


class LoadedImage(NamedTuple):
    pixels: np.ndarray  # (H, W) float32 in [0, 1], bright = dense (bone)
    meta: ImageMeta


def megabytes(n_bytes: int) -> str:
    """'25 MB' for the default limit: sizes are stated in MiB, as the README does."""
    return f"{n_bytes / 2**20:.0f} MB"


def _short(e: BaseException | str, n: int = 200) -> str:
    """A message cut to ``n`` characters: an exception as 'Type: text', a string as itself."""
    if isinstance(e, str):
        text = e
    else:
        text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return text if len(text) <= n else text[:n] + "…"


def check_dims(w: int, h: int, name: str, limits: IntakeLimits) -> None:
    """Refuse a declared size before anything is decoded: too many pixels, too small, or an
    aspect ratio no radiograph has (padding such an image to a square would cost memory)."""
    if w <= 0 or h <= 0:
        raise CorruptImageError(f"{name} declares a size of {w}×{h} pixels; nothing to decode.")
    if w * h > limits.max_pixels:
        raise ImageTooLargeError(
            f"{name} declares {w}×{h} = {w * h / 1e6:.0f} megapixels; the limit is "
            f"{limits.max_pixels / 1e6:.0f} megapixels. Downscale it before uploading."
        )
    if min(w, h) < limits.min_side:
        raise ImageTooSmallError(
            f"{name} is {w}×{h} pixels; at least {limits.min_side}×{limits.min_side} is needed "
            "to see joints."
        )
    if max(w, h) / min(w, h) > limits.max_aspect:
        raise ImageShapeError(
            f"{name} is {w}×{h} pixels, an aspect ratio of {max(w, h) / min(w, h):.0f}:1; a hand "
            f"radiograph is at most {limits.max_aspect:g}:1. Crop it to the hand."
        )


def reduce_to(arr: np.ndarray, max_side: int) -> tuple[np.ndarray, bool]:
    """(float32 copy of ``arr``, False), or its block average down to ≤ ``max_side`` per
    side (True). Works band by band, so the float copy is never made at full size."""
    h, w = arr.shape[:2]
    f = -(-max(h, w) // max_side)
    if f <= 1:
        return arr.astype(np.float32), False
    hh, ww = h // f, w // f
    out = np.empty((hh, ww), np.float32)
    band = max(1, (16 << 20) // max(1, w * 4 * f))
    for i in range(0, hh, band):
        n = min(band, hh - i)
        blk = arr[i * f: (i + n) * f, : ww * f].astype(np.float32)
        out[i: i + n] = blk.reshape(n, f, ww, f).mean(axis=(1, 3))
    return out, True
