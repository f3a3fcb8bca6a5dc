"""Regenerate the README's explanation figures from the shipped models.

    python docs/make_figures.py

docs/cam_vs_mask.png: an RA phantom (fresh seed), its Grad-CAM overlay and its true signs by type.
docs/svh_scorer.png: the joint-level scorer's grades on the same film beside the truth.
docs/phantoms.png and docs/lesions.png: the generator 2.x contact sheet and lesion crops.
docs/pairs.png: both hands on one film (RA symmetric; psoriatic arthritis, gout asymmetric).
docs/shap_bar.png: SHAP bar chart for an example patient. All synthetic.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from types import SimpleNamespace

    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from explain.cam import CamExplainer
    from explain.faithfulness import pointing_hit
    from explain.overlay import explained_overlay, sign_overlay, svh_overlay
    from explain.plots import shap_bar_png
    from explain.shap_values import LabExplainer
    from ra_models.predictor import ClinicalPredictor, XrayPredictor
    from ra_models.preprocess import prepare_xray
    from ra_models.synthetic.cases import sample_spec
    from ra_models.synthetic.dataset import contact_sheet
    from ra_models.synthetic.film import render
    from ra_models.synthetic.lesions import MASK_LABELS
    from ra_models.synthetic.sheets import lesion_sheet
    from ra_models.xray.scorer import SCORER_INPUT, ScorePredictor

    contact_sheet(ROOT / "docs/phantoms.png", seed=7)
    lesion_sheet(ROOT / "docs/lesions.png")
    pair_sheet(ROOT / "docs/pairs.png")

    xp = XrayPredictor.load(ROOT / "assets/models/xray")
    cams = CamExplainer.for_predictor(xp)
    spec = next(s for s in (sample_spec(5000 + i, "RA") for i in range(100))
                if s.subtype == "established_ra" and s.marker_corner is not None)
    img, mask, meta = render(spec, 384, meta=True)
    _, x, _ = xp.prepare(img)
    res = xp.result_from_input(x)
    heat = cams.heatmap(x, img.shape, "gradcam")
    hit = pointing_hit(heat.values, mask, 5)
    overlay = explained_overlay(img, heat, alpha=0.6, min_width=384)  # the tile is 384 wide
    h = overlay.shape[0]
    pad = np.full((h - 384, 384, 3), 255, np.uint8)
    tiles = [np.concatenate([np.repeat((img * 255).astype(np.uint8)[..., None], 3, 2), pad]),
             overlay, np.concatenate([sign_overlay(img, mask, MASK_LABELS)[0], pad])]
    captions = ["synthetic RA phantom", f"Grad-CAM ({heat.scale} scale), P(RA) {res.probability_ra:.0%}",
                f"true signs by type (peak on a sign: {'yes' if hit else 'no'})"]
    sheet = Image.new("RGB", (3 * 384, h + 28), "white")
    d = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=16)
    for i, (t, c) in enumerate(zip(tiles, captions)):
        sheet.paste(Image.fromarray(t), (i * 384, 0))
        d.text((i * 384 + 8, h + 4), c, fill="black", font=font)
    sheet.save(ROOT / "docs/cam_vs_mask.png", optimize=True)

    sp = ScorePredictor.load(ROOT / "assets/models/svh")
    x = prepare_xray(img, SCORER_INPUT)
    scored = sp.score_input(x)
    truth = spec.svh()
    left = svh_overlay(x[..., 0], scored, size=512)
    right = svh_overlay(x[..., 0], SimpleNamespace(where=meta["landmarks"], erosion=truth["erosion"],
                                                   narrowing=truth["narrowing"]), size=512)
    pair = Image.new("RGB", (1024, 540), "white")
    pair.paste(Image.fromarray(left), (0, 0))
    pair.paste(Image.fromarray(right), (512, 0))
    d = ImageDraw.Draw(pair)
    t = scored.totals
    d.text((8, 516), f"scorer: erosion {t['erosion']}, narrowing {t['narrowing']} (E/N per area)",
           fill="black", font=font)
    d.text((520, 516), f"truth: erosion {truth['totals']['erosion']}, narrowing "
                       f"{truth['totals']['narrowing']}", fill="black", font=font)
    pair.save(ROOT / "docs/svh_scorer.png", optimize=True)

    cp = ClinicalPredictor.load(ROOT / "assets/models/clinical")
    v = {"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 65, "Anti-CCP": 120}
    (ROOT / "docs/shap_bar.png").write_bytes(shap_bar_png(LabExplainer(cp).explain(v)))
    print("wrote docs/phantoms.png, docs/lesions.png, docs/pairs.png, docs/cam_vs_mask.png, "
          "docs/svh_scorer.png and docs/shap_bar.png")


def pair_sheet(path: Path, size: int = 320) -> None:
    """Two-hand films with every drawn sign tinted, one row per subtype, seeds 11…"""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from explain.overlay import sign_overlay
    from ra_models.synthetic.cases import SUBTYPE_NAMES
    from ra_models.synthetic.lesions import MASK_LABELS
    from ra_models.synthetic.pairs import render_pair, sample_pair, symmetry

    rows, captions = [], []
    for seed, subtype in ((11, "established_ra"), (12, "psa"), (13, "gout")):
        left, right = sample_pair(seed, subtype=subtype)
        img, mask = render_pair(left, right, size)
        rows.append(sign_overlay(img, mask, MASK_LABELS)[0])
        sym = symmetry(left, right)
        captions.append(f"{SUBTYPE_NAMES[subtype]}: joints involved left {sym['left']}, right "
                        f"{sym['right']}, in both {sym['both']}")
    sheet = Image.new("RGB", (2 * size, len(rows) * (size + 26)), "white")
    d = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=16)
    for i, (row, caption) in enumerate(zip(rows, captions)):
        sheet.paste(Image.fromarray(np.asarray(row)), (0, i * (size + 26)))
        d.text((8, i * (size + 26) + size + 4), caption, fill="black", font=font)
    sheet.save(path, optimize=True)


if __name__ == "__main__":
    main()
