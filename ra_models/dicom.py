"""DICOM intake: one radiograph frame from a DICOM file, safely.

Called by :func:`ra_models.imaging.read_image` only. Every check here happens *before* the
pixel data are decoded, because a compressed frame is decoded at the size its own codestream
declares, not at the size the DICOM header states: a 6 KB file whose JPEG frame header says
30000 × 30000 would otherwise ask a worker for gigabytes.

What is checked, in order:

* the transfer syntax (deflated data sets are refused: pydicom inflates them whole);
* Rows, Columns, SamplesPerPixel, BitsAllocated, NumberOfFrames are sane and within limits;
* for encapsulated pixel data, the first frame's own header (JPEG SOF, JPEG-LS SOF55,
  JPEG 2000 SIZ, RLE segment count) agrees with Rows/Columns/samples;
* RescaleSlope/Intercept are finite (slope ≠ 0); WindowCenter/Width are numbers, the width is
  positive; VOILUTFunction is one the standard defines.

Only the first frame is decoded. Images larger than ``limits.max_side`` are reduced by block
averaging right after decoding, so the float arrays stay small.
"""

from __future__ import annotations

import io
import math
import struct

import numpy as np

from .errors import DicomError, ImageTooLargeError
from .image_types import ImageMeta, _short, check_dims, reduce_to

_JPEG_TS = {
    "1.2.840.10008.1.2.4.50",  # baseline
    "1.2.840.10008.1.2.4.51",  # extended
    "1.2.840.10008.1.2.4.57",  # lossless
    "1.2.840.10008.1.2.4.70",  # lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
}
_J2K_TS = {
    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203",  # HTJ2K
}
_RLE_TS = "1.2.840.10008.1.2.5"
_DEFLATED_TS = "1.2.840.10008.1.2.1.99"
_VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
_MAX_FRAMES = 10_000
_COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT")


def decode_dicom(data: bytes, name: str, limits):
    """-> ((H, W) float32 in [0, 1] with bone bright, ImageMeta). Raises DicomError & co."""
    import pydicom
    from pydicom.errors import InvalidDicomError


    ts = _transfer_syntax(data, name)
    if ts == _DEFLATED_TS:
        raise DicomError(
            f"{name} is a deflated DICOM file (transfer syntax {ts}), which this app does not "
            "inflate. Export it uncompressed or as JPEG/JPEG 2000/RLE, or upload a PNG.")
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except InvalidDicomError as e:
        raise DicomError(f"{name} is a damaged DICOM file ({_short(e)}).") from e
    if "PixelData" not in ds:
        kind = "float pixel data, which radiographs do not use" if "FloatPixelData" in ds else \
            "pixel data"
        raise DicomError(
            f"{name} is a DICOM file without {kind} (modality {ds.get('Modality', 'unknown')}, "
            "e.g. a report or presentation state). Upload the image series itself.")
    rows = _int_tag(ds, "Rows", name)
    cols = _int_tag(ds, "Columns", name)
    spp = _int_tag(ds, "SamplesPerPixel", name, default=1)
    bits = _int_tag(ds, "BitsAllocated", name, default=8)
    n_frames = _int_tag(ds, "NumberOfFrames", name, default=1) or 1
    if spp not in (1, 3):
        raise DicomError(f"{name}: SamplesPerPixel is {spp}; a radiograph has 1 (or 3 for colour).")
    if bits not in (1, 8, 16, 32):
        raise DicomError(f"{name}: BitsAllocated is {bits}; allowed are 1, 8, 16 or 32.")
    if not 1 <= n_frames <= _MAX_FRAMES:
        raise DicomError(f"{name}: NumberOfFrames is {n_frames}; allowed is 1–{_MAX_FRAMES}.")
    check_dims(cols, rows, name, limits)
    if ts in _JPEG_TS | _J2K_TS or ts == _RLE_TS:
        _check_first_frame(ds, ts, rows, cols, spp, bits, n_frames, name, limits)
    elif getattr(ds.file_meta.get("TransferSyntaxUID"), "is_compressed", False) is False:
        per_frame = rows * cols * spp * bits // 8 if bits >= 8 else math.ceil(rows * cols * spp / 8)
        if len(ds.PixelData) < per_frame:
            raise DicomError(
                f"{name}: the pixel data hold {len(ds.PixelData):,} bytes but Rows × Columns "
                f"({rows} × {cols}, {bits}-bit) need {per_frame:,} for one frame.")
    slope, intercept = _rescale(ds, name)
    voi = _voi(ds, name)

    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
    allowed = ("MONOCHROME1", "MONOCHROME2") if spp == 1 else _COLOUR
    if photometric not in allowed:
        raise DicomError(f"{name}: PhotometricInterpretation is {_short(repr(photometric), 40)} "
                         f"with {spp} sample(s) per pixel; supported: {', '.join(allowed)}.")
    try:
        ds.pixel_array_options(index=0)  # decode the first frame only
        raw = ds.pixel_array
    except NotImplementedError as e:
        ts_name = getattr(ds.file_meta.get("TransferSyntaxUID"), "name", ts)
        raise DicomError(
            f"{name} uses the transfer syntax '{ts_name}' ({ts}), which this app cannot decode. "
            "Export it uncompressed or as JPEG/JPEG 2000/RLE, or upload a PNG.") from e
    expected = (rows, cols) if spp == 1 else (rows, cols, 3)
    if raw.shape != expected:
        raise DicomError(f"{name}: the first frame decoded to shape {raw.shape}, but the header "
                         f"declares {expected}.")
    notes: list[str] = []
    if n_frames > 1:
        notes.append(f"first of {n_frames} frames used")
    if spp == 3:
        if photometric.startswith("YBR"):
            from pydicom.pixels import convert_color_space

            raw = convert_color_space(raw, photometric, "RGB")
        raw = raw.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        notes.append("colour converted to luminance")
        pixels, reduced = reduce_to(raw, limits.max_side)
    else:
        if "ModalityLUTSequence" in ds:
            from pydicom.pixels import apply_modality_lut

            raw = apply_modality_lut(raw, ds)
            notes.append("modality LUT applied")
        pixels, reduced = reduce_to(raw, limits.max_side)
        if slope != 1.0 or intercept != 0.0:
            pixels = pixels * np.float32(slope) + np.float32(intercept)
            notes.append("rescale slope/intercept applied")
        if voi:
            from pydicom.pixels import apply_voi_lut

            pixels = apply_voi_lut(pixels, ds).astype(np.float32)
            notes.append("VOI LUT/window applied")
    if reduced:
        notes.append(f"downscaled from {cols}×{rows} to {pixels.shape[1]}×{pixels.shape[0]} "
                     "on intake")
    if not np.isfinite(pixels).all():
        raise DicomError(f"{name}: its rescale or VOI LUT produced non-finite pixel values.")
    lo, hi = float(pixels.min()), float(pixels.max())
    pixels = (pixels - lo) / (hi - lo) if hi > lo else np.zeros_like(pixels)
    if photometric == "MONOCHROME1":
        pixels = 1.0 - pixels
        notes.append("MONOCHROME1 inverted")
    bit_depth = _int_tag(ds, "BitsStored", name, default=bits)
    meta = ImageMeta(format="DICOM", original_size=(cols, rows), bit_depth=bit_depth,
                     photometric=photometric, n_frames=n_frames, notes=tuple(notes))
    return pixels.astype(np.float32), meta


def _transfer_syntax(data: bytes, name: str) -> str:
    """The file meta's TransferSyntaxUID, read without parsing (or inflating) the data set."""
    from pydicom.filereader import _read_file_meta_info

    fp = io.BytesIO(data)
    fp.seek(132)
    try:
        meta = _read_file_meta_info(fp)
    except Exception as e:  # noqa: BLE001 - pydicom raises many types on a damaged header
        raise DicomError(f"{name} has a damaged DICOM file-meta header ({_short(e)}).") from e
    return str(meta.get("TransferSyntaxUID", "")).strip("\0 ")


def _int_tag(ds, keyword: str, name: str, default: int | None = None) -> int:
    if keyword not in ds or ds[keyword].value in (None, ""):
        if default is None:
            raise DicomError(f"{name}: the DICOM header has no {keyword}.")
        return default
    value = ds[keyword].value
    try:
        out = int(value)
    except (TypeError, ValueError) as e:
        raise DicomError(f"{name}: {keyword} is {_short(repr(value), 40)}, not a whole number.") from e
    if out < 0 or (keyword in ("Rows", "Columns") and out == 0):
        raise DicomError(f"{name}: {keyword} is {out}; it must be positive.")
    return out


def _number(ds, keyword: str, name: str) -> float | None:
    if keyword not in ds or ds[keyword].value in (None, ""):
        return None
    value = ds[keyword].value
    values = list(value) if isinstance(value, (list, tuple)) or \
        type(value).__name__ == "MultiValue" else [value]
    if not values:
        return None
    out = []
    for v in values:  # pydicom keeps an unparsable DS as text: check every value
        try:
            x = float(v)
        except (TypeError, ValueError) as e:
            raise DicomError(f"{name}: {keyword} is {_short(repr(v), 40)}, not a number.") from e
        if not math.isfinite(x):
            raise DicomError(f"{name}: {keyword} is {x}; it must be a finite number.")
        out.append(x)
    return out[0]


def _rescale(ds, name: str) -> tuple[float, float]:
    slope = _number(ds, "RescaleSlope", name)
    intercept = _number(ds, "RescaleIntercept", name)
    if slope == 0:
        raise DicomError(f"{name}: RescaleSlope is 0, which would make every pixel the same.")
    return (1.0 if slope is None else slope), (0.0 if intercept is None else intercept)


def _voi(ds, name: str) -> bool:
    """True when a VOI LUT or window is to be applied; refuses malformed ones."""
    if "VOILUTSequence" in ds:
        return True
    if "WindowCenter" not in ds and "WindowWidth" not in ds:
        return False
    center = _number(ds, "WindowCenter", name)
    width = _number(ds, "WindowWidth", name)
    if center is None or width is None:
        raise DicomError(f"{name}: a VOI window needs both WindowCenter and WindowWidth.")
    func = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    if func not in _VOI_FUNCTIONS:
        raise DicomError(f"{name}: VOILUTFunction is {_short(repr(func), 40)}; allowed are "
                         f"{', '.join(_VOI_FUNCTIONS)}.")
    if width <= 0 or (func == "LINEAR" and width < 1):
        raise DicomError(f"{name}: WindowWidth is {width:g}; it must be "
                         f"{'≥ 1' if func == 'LINEAR' else '> 0'} for a {func} window.")
    return True


def _check_first_frame(ds, ts, rows, cols, spp, bits, n_frames, name, limits) -> None:
    """Read the first compressed frame's own header before any decoder sees it."""
    from pydicom.encaps import generate_frames

    try:
        frame = next(generate_frames(ds.PixelData, number_of_frames=n_frames))
    except StopIteration as e:
        raise DicomError(f"{name}: the compressed pixel data hold no frame.") from e
    except Exception as e:  # noqa: BLE001 - malformed encapsulation raises several types
        raise DicomError(f"{name}: the compressed pixel data are malformed ({_short(e)}).") from e
    if ts in _JPEG_TS:
        h, w, comps = _jpeg_sof(frame, name)
        what = "JPEG frame header"
    elif ts in _J2K_TS:
        h, w, comps = _j2k_siz(frame, name)
        what = "JPEG 2000 SIZ header"
    else:
        n_seg = struct.unpack("<I", frame[:4])[0] if len(frame) >= 64 else -1
        need = spp * max(1, bits // 8)
        if n_seg != need:
            raise DicomError(f"{name}: the RLE frame has {n_seg} segments; "
                             f"SamplesPerPixel {spp} × {bits}-bit needs {need}.")
        return
    if h <= 0 or w <= 0:
        raise DicomError(f"{name}: the {what} declares {w}×{h} pixels; refusing to decode it.")
    if w * h > limits.max_pixels:
        raise ImageTooLargeError(
            f"{name}: the {what} declares {w}×{h} = {w * h / 1e6:.0f} megapixels; the limit is "
            f"{limits.max_pixels / 1e6:.0f} megapixels.")
    if (h, w) != (rows, cols) or comps != spp:
        raise DicomError(
            f"{name}: the {what} declares {w}×{h} with {comps} component(s), but the DICOM "
            f"header says Columns×Rows {cols}×{rows} with {spp}; refusing a frame that disagrees "
            "with its header.")


def _jpeg_sof(frame: bytes, name: str) -> tuple[int, int, int]:
    """(height, width, components) from the first SOF/SOF55 marker of a JPEG codestream."""
    i, n = 2, len(frame)
    if not frame.startswith(b"\xff\xd8"):
        raise DicomError(f"{name}: the JPEG frame does not start with an SOI marker.")
    while i + 4 <= n:
        if frame[i] != 0xFF:
            i += 1
            continue
        marker = frame[i + 1]
        if marker in (0xFF, 0x00, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 1 if marker == 0xFF else 2
            continue
        seg_len = struct.unpack(">H", frame[i + 2: i + 4])[0]
        if (0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)) or marker == 0xF7:
            if i + 10 > n:
                break
            _, h, w, comps = struct.unpack(">BHHB", frame[i + 4: i + 10])
            return h, w, comps
        if marker == 0xDA:  # start of scan before any frame header
            break
        i += 2 + seg_len
    raise DicomError(f"{name}: no JPEG frame header (SOF) found in the compressed frame.")


def _j2k_siz(frame: bytes, name: str) -> tuple[int, int, int]:
    """(height, width, components) from the SIZ marker segment of a JPEG 2000 codestream."""
    at = frame.find(b"\xff\x4f\xff\x51")
    if at < 0 or at + 42 > len(frame):
        raise DicomError(f"{name}: no JPEG 2000 SIZ header found in the compressed frame.")
    xsiz, ysiz, xo, yo = struct.unpack(">IIII", frame[at + 8: at + 24])
    comps = struct.unpack(">H", frame[at + 40: at + 42])[0]
    return ysiz - yo, xsiz - xo, comps
