"""The one place where images become model input (training, Streamlit, Flask, API).

Contract: a (H, W) float32 image in [0, 1] (as from :func:`ra_models.read_image`) is resized
bilinearly so that its longest side is ``XRAY_INPUT_SIZE``, then padded to a square with its
border value (so the aspect ratio is kept) and returned as (224, 224, 1) float32 in [0, 1].

Before that, collimator shutter borders are found and filled from the exposed field's edge
(:func:`find_collimation`, :func:`mask_collimation`): a shutter says nothing about the hand, so
the model must not see it, whatever it learnt in training.

Resizing *before* padding matters: padding a 256 × 65,536 image to a square first would
allocate 65,536² floats (16 GiB) for a 16 KB upload.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .errors import InvalidImageError

XRAY_INPUT_SIZE = 224
#: What :func:`prepare_xray` does, as model cards state it.
PREPROCESSING = ("ra_models.preprocess.prepare_xray: collimator shutters filled from the "
                 "film's edge, longest side resized (bilinear), padded to a square")


def border_median(img: np.ndarray) -> float:
    """Median of the outermost rows and columns: the film's background level."""
    return float(np.median(np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])))


def fitted_box(shape: tuple[int, int], size: int) -> tuple[int, int, int, int]:
    """Where an (H, W) image lands inside the ``size``² model input: (top, left, h, w)."""
    h, w = shape
    side = max(h, w)
    nh, nw = max(1, round(h * size / side)), max(1, round(w * size / side))
    return (size - nh) // 2, (size - nw) // 2, nh, nw


def fit_to_square(img: np.ndarray, size: int) -> np.ndarray:
    """Resize so the longest side is ``size``, then pad with the median border value."""
    top, left, nh, nw = fitted_box(img.shape, size)
    small = resize(img, (nh, nw))
    if (nh, nw) == (size, size):
        return small
    out = np.full((size, size), border_median(img), np.float32)
    out[top: top + nh, left: left + nw] = small
    return out


def resize(img: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float image; ``size`` is an int (square) or (height, width)."""
    hw = (size, size) if isinstance(size, int) else size
    if img.shape == tuple(hw):
        return img.astype(np.float32, copy=False)
    pil = Image.fromarray(np.asarray(img, np.float32), mode="F")
    return np.asarray(pil.resize((hw[1], hw[0]), Image.BILINEAR), np.float32)


#: Collimation detection: a shutter line is bright (median ≥ level) and uniform (≥ 95% of its
#: pixels within ``tol`` of its median); at most ``cap`` of each side is searched.
SHUTTER_LEVEL, SHUTTER_TOL, SHUTTER_UNIFORM, SHUTTER_CAP = 0.45, 0.08, 0.95, 0.30
_DETECT_SIDE = 512  # detection runs on a copy at most this large (a 4096² film costs ~5 ms)


def _shutter_lines(lines: np.ndarray) -> np.ndarray:
    """Per line (row of ``lines``): True where it is bright and uniform, as a shutter is."""
    med = np.median(lines, axis=1)
    uniform = (np.abs(lines - med[:, None]) < SHUTTER_TOL).mean(axis=1) >= SHUTTER_UNIFORM
    return (med >= SHUTTER_LEVEL) & uniform


def _run_length(flags: np.ndarray) -> int:
    """How many leading entries are True."""
    return len(flags) if flags.all() else int(np.argmin(flags))


def find_collimation(img: np.ndarray) -> tuple[int, int, int, int]:
    """Widths in pixels of collimator shutter borders (left, top, right, bottom); 0 where none.

    A shutter leaves the film unexposed: whole rows (top/bottom) or columns (left/right) that
    are bright and uniform from the edge inwards. A hand never fills a whole line that way
    (air lies beside the fingers and the forearm), so clean films give (0, 0, 0, 0). Shutters
    shown black (as some viewers mask them) look like air and need nothing. The search runs on
    a subsampled copy, then the edge is settled on the full image.
    """
    arr = np.asarray(img, np.float32)
    h, w = arr.shape
    step = max(1, int(np.ceil(max(h, w) / _DETECT_SIDE)))
    out = []
    for side in range(4):  # left, top, right, bottom: lines ordered from the edge inwards
        full = arr.T if side in (0, 2) else arr
        if side >= 2:
            full = full[::-1]
        cap = int(SHUTTER_CAP * len(full))
        n = _run_length(_shutter_lines(full[:cap:step, ::step])) * step
        if n:  # the subsampled edge is within ``step`` lines of the true one
            lo = max(0, n - step)
            n = lo + _run_length(_shutter_lines(full[lo: min(cap, n + step)]))
        out.append(min(n, cap))
    return tuple(out)


def mask_collimation(img: np.ndarray, margins: tuple[int, int, int, int]) -> np.ndarray:
    """Fill shutter borders by repeating the exposed field's outermost line outwards, so that a
    collimated film looks like one taken without the shutter (a forearm runs on to the edge,
    air stays air). Returns ``img`` itself when there is nothing to fill."""
    left, top, right, bottom = margins
    if not any(margins):
        return img
    h, w = img.shape
    inner = img[top: h - bottom, left: w - right]
    return np.pad(inner, ((top, bottom), (left, right)), mode="edge")


def describe_collimation(margins: tuple[int, int, int, int], shape: tuple[int, int]) -> str:
    """'collimator shutter found (left 5%, bottom 3%) and filled from the film's edge before the
    model' — a note for the image details; '' when there was none."""
    h, w = shape
    parts = [f"{name} {m / full:.0%}" for name, m, full in
             zip(("left", "top", "right", "bottom"), margins, (w, h, w, h)) if m]
    if not parts:
        return ""
    return (f"collimator shutter found ({', '.join(parts)}) and filled from the film's edge "
            "before the model")


def prepare_film(img: np.ndarray, size: int = XRAY_INPUT_SIZE, *, collimation: bool = True
                 ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """:func:`prepare_xray` that also returns the shutter borders it filled (pixels of ``img``:
    left, top, right, bottom), for the image details."""
    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise InvalidImageError(f"Expected a 2-D grayscale image, got shape {arr.shape}.")
    arr = arr.astype(np.float32)
    if arr.size == 0 or not np.isfinite(arr).all():
        raise InvalidImageError("The image is empty or has non-finite pixels.")
    if arr.min() < -1e-3 or arr.max() > 1 + 1e-3:
        raise InvalidImageError(
            f"Expected pixel values in [0, 1], got [{arr.min():.3g}, {arr.max():.3g}]; "
            "decode images with ra_models.read_image first."
        )
    arr = np.clip(arr, 0, 1)
    margins = find_collimation(arr) if collimation else (0, 0, 0, 0)
    arr = mask_collimation(arr, margins)
    return np.clip(fit_to_square(arr, size), 0, 1)[..., None], margins


def prepare_xray(img: np.ndarray, size: int = XRAY_INPUT_SIZE, *,
                 collimation: bool = True) -> np.ndarray:
    """(H, W) float image in [0, 1] -> (size, size, 1) float32 model input in [0, 1].

    ``collimation=False`` skips the shutter step (for label masks, which are not films)."""
    return prepare_film(img, size, collimation=collimation)[0]
