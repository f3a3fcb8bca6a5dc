"""Heatmap overlays: colormap, opacity, optional contour of the top-20% region. Deterministic."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

_LUT_CACHE: dict[str, np.ndarray] = {}


def _lut(name: str) -> np.ndarray:
    if name not in _LUT_CACHE:
        import matplotlib

        cmap = matplotlib.colormaps[name]
        _LUT_CACHE[name] = (cmap(np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    return _LUT_CACHE[name]


def top_region(heatmap: np.ndarray, fraction: float = 0.2, floor: float = 0.1) -> np.ndarray:
    """Boolean mask of the ``fraction`` of pixels with the highest heat.

    Pixels below ``floor`` × max never count, so a map that is near zero almost everywhere
    does not get outlines drawn around background noise.
    """
    thr = max(float(np.quantile(heatmap, 1 - fraction)), floor * float(heatmap.max()))
    return heatmap >= thr if thr > 0 else np.zeros(heatmap.shape, bool)


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, *, alpha: float = 0.4,
                    colormap: str = "jet", contour: bool = True,
                    contour_fraction: float = 0.2) -> np.ndarray:
    """Blend ``heatmap`` (H, W in [0, 1]) over a grayscale ``image`` (H, W in [0, 1]).

    Returns (H, W, 3) uint8 RGB. With ``contour``, the outline of the top-``contour_fraction``
    region is drawn in white.
    """
    img = np.clip(np.asarray(image, np.float32), 0, 1)
    hm = np.clip(np.asarray(heatmap, np.float32), 0, 1)
    if img.shape != hm.shape:
        raise ValueError(f"image {img.shape} and heatmap {hm.shape} differ in shape")
    gray = np.repeat((img * 255)[..., None], 3, axis=2)
    colour = _lut(colormap)[np.round(hm * 255).astype(np.uint8)].astype(np.float32)
    a = float(np.clip(alpha, 0, 1))
    out = (1 - a) * gray + a * colour
    if contour:
        region = top_region(hm, contour_fraction)
        edge = region & ~ndimage.binary_erosion(region, iterations=max(1, img.shape[0] // 256))
        out[edge] = 255.0
    return np.round(out).clip(0, 255).astype(np.uint8)


def to_png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def overlay_png(image, heatmap, **kw) -> bytes:
    return to_png(overlay_heatmap(image, heatmap, **kw))


def gray_png(image: np.ndarray) -> bytes:
    return to_png(np.repeat(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)[..., None], 3, 2))


def mask_overlay(image: np.ndarray, mask: np.ndarray, colour=(255, 60, 60), alpha: float = 0.45) -> np.ndarray:
    """Ground-truth lesion mask (any label > 0) tinted over the image (teaching page)."""
    gray = np.repeat((np.clip(image, 0, 1) * 255)[..., None], 3, axis=2).astype(np.float32)
    m = np.asarray(mask) > 0
    gray[m] = (1 - alpha) * gray[m] + alpha * np.array(colour, np.float32)
    return np.round(gray).astype(np.uint8)
