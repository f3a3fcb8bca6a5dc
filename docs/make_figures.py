"""Regenerate the README's explanation figures from the shipped models.

    python docs/make_figures.py

docs/cam_vs_mask.png: an RA phantom (fresh seed), its Grad-CAM overlay and its true lesion mask.
docs/shap_bar.png: SHAP bar chart for an example patient. Both synthetic.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from explain.cam import CamExplainer
    from explain.faithfulness import pointing_hit
    from explain.overlay import explained_overlay, mask_overlay
    from explain.plots import shap_bar_png
    from explain.shap_values import LabExplainer
    from ra_models.predictor import ClinicalPredictor, XrayPredictor
    from ra_models.synthetic.phantom import render, sample_spec

    xp = XrayPredictor.load(ROOT / "assets/models/xray")
    cams = CamExplainer.for_predictor(xp)
    spec = next(s for s in (sample_spec(5000 + i, "RA") for i in range(100))
                if s.subtype == "established_ra" and s.marker_corner is not None)
    img, mask = render(spec, 384)
    _, x, _ = xp.prepare(img)
    res = xp.result_from_input(x)
    heat = cams.heatmap(x, img.shape, "gradcam")
    hit = pointing_hit(heat.values, mask, 5)
    overlay = explained_overlay(img, heat, alpha=0.6)
    h = overlay.shape[0]
    pad = np.full((h - 384, 384, 3), 255, np.uint8)
    tiles = [np.concatenate([np.repeat((img * 255).astype(np.uint8)[..., None], 3, 2), pad]),
             overlay, np.concatenate([mask_overlay(img, mask), pad])]
    captions = ["synthetic RA phantom", f"Grad-CAM ({heat.scale} scale), P(RA) {res.probability_ra:.0%}",
                f"true RA signs (peak on a sign: {'yes' if hit else 'no'})"]
    sheet = Image.new("RGB", (3 * 384, h + 28), "white")
    d = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=16)
    for i, (t, c) in enumerate(zip(tiles, captions)):
        sheet.paste(Image.fromarray(t), (i * 384, 0))
        d.text((i * 384 + 8, h + 4), c, fill="black", font=font)
    sheet.save(ROOT / "docs/cam_vs_mask.png", optimize=True)

    cp = ClinicalPredictor.load(ROOT / "assets/models/clinical")
    v = {"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 65, "Anti-CCP": 120}
    (ROOT / "docs/shap_bar.png").write_bytes(shap_bar_png(LabExplainer(cp).explain(v)))
    print("wrote docs/cam_vs_mask.png and docs/shap_bar.png")


if __name__ == "__main__":
    main()
