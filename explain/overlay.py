"""Heatmap overlays: a perceptually uniform colour map whose opacity follows the heat, an
optional outline of the hottest region, a muted style for films with little RA evidence, and
a colour bar with words under every overlay a person sees. Deterministic."""

from __future__ import annotations

import io
from pathlib import Path

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


DEFAULT_COLORMAP = "plasma"  # perceptually uniform; blue = little heat, yellow = most


def top_region(heatmap: np.ndarray, fraction: float = 0.2, floor: float = 0.25) -> np.ndarray:
    """Boolean mask of the ``fraction`` of pixels with the highest heat.

    Pixels below ``floor`` (in the map's own units, [0, 1]) never count, so a map that is
    weak everywhere (on the fixed scale) gets no outline around background noise.
    """
    thr = max(float(np.quantile(heatmap, 1 - fraction)), floor)
    return heatmap >= thr if thr > 0 else np.zeros(heatmap.shape, bool)


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, *, alpha: float = 0.45,
                    colormap: str = DEFAULT_COLORMAP, contour: bool = True,
                    contour_fraction: float = 0.2, muted: bool = False) -> np.ndarray:
    """Blend ``heatmap`` (H, W in [0, 1]) over a grayscale ``image`` (H, W in [0, 1]).

    Opacity grows with the heat (0 below heat 0.025, full ``alpha`` from heat 0.525 up), so where the map is 0 the film shows
    through untouched: no colour means "no evidence for RA found here", never a colour that
    could be read as "evidence against". ``muted`` (for a film below the operating threshold)
    halves the opacity, desaturates the colours and draws no outline.
    Returns (H, W, 3) uint8 RGB. With ``contour``, the outline of the hottest
    ``contour_fraction`` of pixels (heat ≥ 0.25) is drawn in white.
    """
    img = np.clip(np.asarray(image, np.float32), 0, 1)
    hm = np.clip(np.asarray(heatmap, np.float32), 0, 1)
    if img.shape != hm.shape:
        raise ValueError(f"image {img.shape} and heatmap {hm.shape} differ in shape")
    gray = np.repeat((img * 255)[..., None], 3, axis=2)
    colour = _lut(colormap)[np.round(hm * 255).astype(np.uint8)].astype(np.float32)
    a = float(np.clip(alpha, 0, 1)) * np.clip(2 * hm - 0.05, 0, 1)[..., None]
    if muted:
        a = a * 0.5
        colour = 0.5 * colour + 0.5 * colour.mean(axis=-1, keepdims=True)
        contour = False
    out = (1 - a) * gray + a * colour
    if contour:
        region = top_region(hm, contour_fraction)
        edge = region & ~ndimage.binary_erosion(region, iterations=max(1, img.shape[0] // 256))
        out[edge] = 255.0
    return np.round(out).clip(0, 255).astype(np.uint8)


def _font(size: int):
    """DejaVu Sans as shipped with matplotlib (crisp at small sizes), else Pillow's default."""
    from PIL import ImageFont

    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        return ImageFont.truetype(str(path), size)
    except (ImportError, OSError):
        try:
            return ImageFont.load_default(size=size)
        except TypeError:  # Pillow < 10.1 has no sized default font
            return ImageFont.load_default()


def colorbar(width: int, left: str, right: str, *, colormap: str = DEFAULT_COLORMAP) -> np.ndarray:
    """(h, width, 3) uint8 strip: the colour map's gradient with words at both ends."""
    from PIL import ImageDraw

    width = max(int(width), 64)
    size = int(np.clip(width / 36, 10, 24))
    while True:
        font = _font(size)
        probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        wl = probe.textlength(left, font=font)
        wr = probe.textlength(right, font=font)
        if wl + wr + 3 * size <= width or size <= 7:
            break
        size -= 1
    pad = max(2, size // 3)
    bar_h = max(6, size)
    h = pad + bar_h + pad + size + 2 * pad
    strip = Image.new("RGB", (width, h), (255, 255, 255))
    grad = _lut(colormap)[np.linspace(0, 255, width - 2 * pad).astype(np.uint8)]
    strip.paste(Image.fromarray(np.repeat(grad[None], bar_h, axis=0)), (pad, pad))
    draw = ImageDraw.Draw(strip)
    y = pad + bar_h + pad
    draw.text((pad, y), left, fill=(30, 30, 30), font=font)
    draw.text((max(pad, width - pad - wr), y), right, fill=(30, 30, 30), font=font)
    return np.asarray(strip)


def explained_overlay(image: np.ndarray, heatmap, *, alpha: float = 0.45, muted: bool = False,
                      contour: bool = True, min_width: int = 512) -> np.ndarray:
    """The overlay a person sees: :func:`overlay_heatmap` of an
    :class:`explain.cam.Heatmap` with its colour bar (the scale's words) underneath. A small
    film is enlarged to ``min_width`` first, so the words stay legible where it is shown."""
    rgb = overlay_heatmap(image, heatmap.values, alpha=alpha, muted=muted, contour=contour)
    if rgb.shape[1] < min_width:
        f = min_width / rgb.shape[1]
        size = (min_width, max(1, round(rgb.shape[0] * f)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
    left, right = heatmap.legend
    return np.concatenate([rgb, colorbar(rgb.shape[1], left, right)], axis=0)


def to_png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def overlay_png(image, heatmap, **kw) -> bytes:
    return to_png(overlay_heatmap(image, heatmap, **kw))


def gray_png(image: np.ndarray) -> bytes:
    return to_png(np.repeat(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)[..., None], 3, 2))


#: Mask colour per sign type (generator 2.x labels) and the Streamlit text colour naming it.
SIGN_COLOURS = {"erosion": ((255, 60, 60), "red"), "narrowing": ((255, 160, 20), "orange"),
                "osteopenia": ((80, 150, 255), "blue"), "swelling": ((60, 200, 100), "green"),
                "osteophyte": ((190, 110, 255), "violet"), "periostitis": ((255, 110, 220), "violet"),
                "tophus": ((235, 235, 235), "gray"), "sclerosis": ((150, 150, 150), "gray")}


def sign_overlay(image: np.ndarray, mask: np.ndarray, labels: dict, alpha: float = 0.5):
    """Each sign type in its own colour (``labels``: sign -> mask value). Returns the RGB
    image and the legend as markdown (the signs present, in their colours)."""
    gray = np.repeat((np.clip(image, 0, 1) * 255)[..., None], 3, axis=2).astype(np.float32)
    mask = np.asarray(mask)
    legend = []
    for sign, value in labels.items():
        m = mask == value
        if m.any():
            colour, name = SIGN_COLOURS.get(sign, ((255, 60, 60), "red"))
            gray[m] = (1 - alpha) * gray[m] + alpha * np.array(colour, np.float32)
            legend.append(f":{name}[■ {sign.replace('_', ' ')}]")
    return np.round(gray).astype(np.uint8), " · ".join(legend) or "no sign drawn"


def svh_overlay(image: np.ndarray, result, size: int = 512) -> np.ndarray:
    """The film with each SvH area the scorer graded marked where it looked: a ring coloured
    by the worse of its erosion (E) and narrowing (N) grade, labelled "E/N"."""
    from matplotlib import colormaps
    from PIL import Image, ImageDraw, ImageFont

    img = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).convert("RGB")
    img = img.resize((size, int(size * img.height / img.width)), Image.BILINEAR)
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(size // 48, 9))
    cmap = colormaps["plasma"]
    for area, (x, y) in result.where.items():
        e, n = result.erosion.get(area, 0), result.narrowing.get(area, 0)
        worst = max(e / 5, n / 4)
        colour = tuple(int(255 * c) for c in cmap(0.15 + 0.85 * worst)[:3])
        px, py = x * img.width, y * img.height
        r = size / 64
        d.ellipse([px - r, py - r, px + r, py + r], outline=colour, width=2)
        text = f"{e if area in result.erosion else '-'}/{n if area in result.narrowing else '-'}"
        d.text((px + r + 1, py - r), text, fill=colour, font=font)
    return np.asarray(img)
