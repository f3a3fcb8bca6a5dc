"""Contact sheets of generator 2.x lesions for a reviewer: 1024-px renders cropped at a joint.

``lesion_sheet`` shows erosion grades 1–5 (MCP2, the earliest RA site), narrowing grades 0–4
(MCP3), osteoarthritis, erosive OA, psoriatic arthritis and gout at a DIP/PIP, and the wrist
(healthy; erosions; narrowing; late RA with carpal fusion and ulnar translocation), each on an
otherwise healthy, noise-light film so the lesion itself can be judged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cases import PhantomSpec
from .film import render

_CLEAN = dict(seed=4242, side="R", age=45.0, rotation_deg=0.0, zoom=1.0, offset=(0.0, 0.0),
              exposure=1.0, gamma=1.0, noise=0.004, blur=0.12, collimation=None,
              marker_corner=None, spread=1.0)


def _tiles():
    yield "healthy MCP2", "MCP2", {}
    for g in range(1, 6):
        yield f"erosion grade {g} (MCP2)", "MCP2", {"label": "RA", "erosion": {"MCP2": g}}
    for g in range(0, 5):
        yield f"narrowing grade {g} (MCP3)", "MCP3", {"label": "RA", "narrowing": {"MCP3": g},
                                                      "focal_side": {"MCP3": -1.0}}
    yield "OA (DIP3): osteophytes, sclerosis, focal narrowing", "DIP3", {
        "narrowing": {"DIP3": 2}, "osteophytes": {"DIP3": 0.9}, "focal_side": {"DIP3": 1.0}}
    yield "erosive OA (DIP3): central erosion, gull wing", "DIP3", {
        "narrowing": {"DIP3": 3}, "central_erosion": {"DIP3": 0.9}, "osteophytes": {"DIP3": 0.4}}
    yield "PsA (DIP3): pencil-in-cup, periostitis", "DIP3", {
        "erosion": {"DIP3": 3}, "narrowing": {"DIP3": 2}, "pencil_in_cup": {"DIP3": 1.0},
        "periostitis": {"DIP3": 0.9}, "swelling": {"DIP3": 0.6}}
    yield "gout (PIP3): punched-out erosion, tophus", "PIP3", {"gout": {"PIP3": 0.9},
                                                                "erosion": {"PIP3": 3}}
    yield "wrist (healthy)", "CSL", {}
    yield "wrist erosions: scaphoid 3, lunate 2, R 3, U 4", "CSL", {
        "label": "RA", "erosion": {"SCAPH": 3, "LUN": 2, "RAD": 3, "ULNA": 4}}
    yield "wrist narrowing: RC 3, CSL/TS/CMC 2", "CSL", {
        "label": "RA", "narrowing": {"RC": 3, "CSL": 2, "TS": 2, "CMC3": 2, "CMC4": 2, "CMC5": 2}}
    yield "late RA: CSL fused, ulnar translocation", "CSL", {
        "label": "RA", "narrowing": {"RC": 3, "CSL": 4, "TS": 3, "CMC3": 3, "CMC4": 3},
        "erosion": {"SCAPH": 5, "ULNA": 5, "RAD": 4}, "ulnar_translocation": 1.0,
        "diffuse_osteopenia": 0.6}


def lesion_sheet(path, *, size: int = 1024, crop: int = 190, tile: int = 300, cols: int = 4) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    tiles = []
    for caption, area, changes in _tiles():
        spec = PhantomSpec(**{**_CLEAN, **changes})
        img, _, meta = render(spec, size, meta=True)
        if area in meta["joints"]:
            x, y = meta["joints"][area]["centre_px"]
        else:
            x, y = (v * size for v in meta["landmarks"][area])
        c = crop if area != "CSL" else int(crop * 1.8)
        x0 = int(np.clip(x - c / 2, 0, size - c))
        y0 = int(np.clip(y - c / 2, 0, size - c))
        patch = (np.clip(img[y0: y0 + c, x0: x0 + c], 0, 1) * 255).astype(np.uint8)
        t = Image.fromarray(patch).resize((tile, tile), Image.LANCZOS).convert("RGB")
        d = ImageDraw.Draw(t)
        font = ImageFont.load_default(size=13)
        d.rectangle([0, tile - 20, tile, tile], fill=(0, 0, 0))
        d.text((4, tile - 18), caption, fill=(255, 230, 120), font=font)
        tiles.append(t)
    return save_tile_sheet(tiles, cols, path)


def save_tile_sheet(tiles: list, cols: int, path) -> Path:
    """Paste equal-sized PIL tiles row by row onto a black sheet and save it as a PNG."""
    from PIL import Image

    w, h = tiles[0].size
    rows = -(-len(tiles) // cols)
    sheet = Image.new("RGB", (cols * w, rows * h), "black")
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols) * w, (i // cols) * h))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)
    return path
