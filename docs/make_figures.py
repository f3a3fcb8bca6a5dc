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
    from explain.overlay import mask_overlay, overlay_heatmap
    from explain.plots import shap_bar_png
    from explain.shap_values import LabExplainer
    from ra_models.predictor import ClinicalPredictor, XrayPredictor
    from ra_models.synthetic.phantom import render, sample_spec

    xp = XrayPredictor.load(ROOT / "assets/models/xray")
    cams = CamExplainer(xp.model, xp.gradcam_layer)
    spec = next(s for s in (sample_spec(5000 + i, "RA") for i in range(100))
                if s.subtype == "established_ra" and s.marker_corner is not None)
    img, mask = render(spec, 384)
    _, x, _ = xp.prepare(img)
    res = xp.result_from_input(x)
    heat = cams.compute(x, img.shape, "gradcam")
    hit = pointing_hit(heat, mask, 5)
    tiles = [np.repeat((img * 255).astype(np.uint8)[..., None], 3, 2),
             overlay_heatmap(img, heat, alpha=0.45), mask_overlay(img, mask)]
    captions = ["synthetic RA phantom", f"Grad-CAM, P(RA) {res.probability_ra:.0%}",
                f"true RA signs (peak on a sign: {'yes' if hit else 'no'})"]
    sheet = Image.new("RGB", (3 * 384, 384 + 28), "white")
    d = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=16)
    for i, (t, c) in enumerate(zip(tiles, captions)):
        sheet.paste(Image.fromarray(t), (i * 384, 0))
        d.text((i * 384 + 8, 388), c, fill="black", font=font)
    sheet.save(ROOT / "docs/cam_vs_mask.png", optimize=True)

    cp = ClinicalPredictor.load(ROOT / "assets/models/clinical")
    v = {"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 65, "Anti-CCP": 120}
    (ROOT / "docs/shap_bar.png").write_bytes(shap_bar_png(LabExplainer(cp).explain(v)))
    print("wrote docs/cam_vs_mask.png and docs/shap_bar.png")


if __name__ == "__main__":
    main()
