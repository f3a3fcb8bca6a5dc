"""X-ray inference and explanation latency: compiled path vs model.predict; Grad-CAM + overlay."""

from __future__ import annotations

import numpy as np

from bench.common import median, table, time_ms


def main(model_dir: str | None = None, repeat: int = 50) -> str:
    from explain.cam import CamExplainer
    from explain.overlay import overlay_png
    from ra_models import Settings
    from ra_models.predictor import XrayPredictor
    from ra_models.synthetic.phantom import make_phantom

    s = Settings.from_env()
    pred = XrayPredictor.load(model_dir or s.xray_model_dir)
    img, _, _ = make_phantom(42, "RA", 256)
    _, x, _ = pred.prepare(img)
    batch = x[None]
    ours = time_ms(lambda: pred.raw_probabilities(batch), repeat)
    keras_predict = time_ms(lambda: pred.model.predict(batch, verbose=0), repeat)
    full = time_ms(lambda: pred.predict(img), repeat)
    cams = CamExplainer(pred.model, pred.gradcam_layer)
    cam_times = {m: time_ms(lambda m=m: overlay_png(img, cams.compute(x, img.shape, m)),
                            max(5, repeat // (5 if m == "scorecam" else 1)))
                 for m in ("gradcam", "gradcam++", "scorecam")}
    speedup = median(keras_predict) / median(ours)
    rows = [
        ["forward pass, compiled tf.function", f"{median(ours):.2f}", "≤ 15 ms"],
        ["forward pass, model.predict", f"{median(keras_predict):.2f}", ""],
        ["speed-up", f"{speedup:.1f}×", "≥ 7×"],
        ["predict() incl. preprocessing + calibration", f"{median(full):.2f}", ""],
    ] + [[f"{m} + overlay PNG", f"{median(t):.1f}", "≤ 45 ms" if m == "gradcam" else ""]
         for m, t in cam_times.items()]
    return table("X-ray latency (median ms, single 256² image)", ["path", "median ms", "goal"],
                 rows, note=f"Model {pred.info.name} ({pred.card['parameters']:,} params).")


if __name__ == "__main__":
    np.random.seed(0)
    main()
