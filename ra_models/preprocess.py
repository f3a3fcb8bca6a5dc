"""The one place where images become model input (training, Streamlit, Flask, API).

Contract: a (H, W) float32 image in [0, 1] (as from :func:`ra_models.read_image`) is resized
bilinearly so that its longest side is ``XRAY_INPUT_SIZE``, then padded to a square with its
border value (so the aspect ratio is kept) and returned as (224, 224, 1) float32 in [0, 1].

Resizing *before* padding matters: padding a 256 × 65,536 image to a square first would
allocate 65,536² floats (16 GiB) for a 16 KB upload.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .errors import InvalidImageError

XRAY_INPUT_SIZE = 224


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


def prepare_xray(img: np.ndarray, size: int = XRAY_INPUT_SIZE) -> np.ndarray:
    """(H, W) float image in [0, 1] -> (size, size, 1) float32 model input in [0, 1]."""
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
    return np.clip(fit_to_square(np.clip(arr, 0, 1), size), 0, 1)[..., None]
