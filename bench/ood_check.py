"""Out-of-distribution notice: false alarms on fresh phantoms, hits on non-hand images.

Non-hand images are the sample photos that ship inside scikit-image (no download), including
the Shepp–Logan phantom, plus flat and noise images. ``--update-card`` writes the rates into
the X-ray model card.
"""

from __future__ import annotations

import argparse
import io

import numpy as np
from PIL import Image

from bench.common import table

SKIMAGE_SAMPLES = ("astronaut", "camera", "coins", "moon", "page", "text", "horse", "chelsea",
                   "coffee", "rocket", "brick", "grass", "gravel", "checkerboard", "clock",
                   "hubble_deep_field", "immunohistochemistry", "logo", "motorcycle_left",
                   "retina", "microaneurysms", "cell", "human_mitosis", "shepp_logan_phantom")


def non_hand_images() -> list[tuple[str, bytes]]:
    from skimage import data

    out = []
    for name in SKIMAGE_SAMPLES:
        try:
            arr = getattr(data, name)()
        except Exception:  # noqa: BLE001 - samples that need a download are skipped
            continue
        arr = np.asarray(arr)
        if arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        if arr.dtype != np.uint8:
            arr = np.round(255 * (arr - arr.min()) / max(float(np.ptp(arr)), 1e-9)).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[-1] == 4:
            arr = arr[..., :3]
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="PNG")
        out.append((name, buf.getvalue()))
    rng = np.random.default_rng(0)
    for name, arr in (("uniform gray", np.full((256, 256), 128, np.uint8)),
                      ("white noise", rng.integers(0, 256, (256, 256), dtype=np.uint8))):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="PNG")
        out.append((name, buf.getvalue()))
    return out


def main(n_phantoms: int = 300, update_card: bool = False) -> str:
    from ra_models import Settings, model_card
    from ra_models.analysis import analyse_xray
    from ra_models.ood import OODChecker
    from ra_models.predictor import XrayPredictor
    from ra_models.synthetic.generator import make_phantom

    s = Settings.from_env()
    pred = XrayPredictor.load(s.xray_model_dir)
    ood = OODChecker.load(s.xray_model_dir)
    if ood is None:
        raise SystemExit("the model folder has no ood.json")
    flags = []
    for i in range(n_phantoms):
        img, _, _ = make_phantom(900_000 + i, size=256)
        flags.append(analyse_xray(pred, img, ood).ood.flagged)
    fa = float(np.mean(flags))
    hits, misses = [], []
    for name, png in non_hand_images():
        (hits if analyse_xray(pred, png, ood).ood.flagged else misses).append(name)
    n_other = len(hits) + len(misses)
    hit_rate = len(hits) / max(n_other, 1)
    text = table("Out-of-distribution notice", ["data", "n", "flagged"], [
        ["fresh phantoms (seeds 900000+, synthetic)", n_phantoms, f"{fa:.1%} (false alarms)"],
        ["non-hand images (scikit-image samples, flat, noise)", n_other, f"{hit_rate:.1%} (hits)"],
    ], note=f"Missed: {', '.join(misses) or 'none'}.")
    if update_card:
        card = model_card.load_card(s.xray_model_dir)
        card.setdefault("ood", {}).update({
            "false_alarm_rate_fresh_phantoms": fa, "n_phantoms": n_phantoms,
            "hit_rate_non_hand_images": hit_rate, "n_non_hand": n_other, "missed": misses})
        model_card.save_card(s.xray_model_dir, card)
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--update-card", action="store_true")
    a = ap.parse_args()
    main(a.n, a.update_card)
