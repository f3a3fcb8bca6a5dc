"""X-ray inference and explanation latency: compiled paths vs model.predict / tf-keras-vis.

Each CAM method is timed on its compiled path and on tf-keras-vis (the reference the tests
compare it with) in the same run, each followed by the overlay a user sees (heatmap on the
fixed scale, colour bar, PNG encoding).
"""

from __future__ import annotations

import numpy as np

from bench.common import median, table, time_ms

GOALS = {"gradcam": "≤ 45 ms", "gradcam++": "≤ 40 ms", "scorecam": "≤ 120 ms"}


def main(model_dir: str | None = None, repeat: int = 50) -> str:
    from explain.cam import METHOD_LABELS, METHODS, CamExplainer, to_original
    from explain.overlay import explained_overlay, to_png
    from ra_models import Settings
    from ra_models.predictor import XrayPredictor
    from ra_models.synthetic.generator import make_phantom

    s = Settings.from_env()
    pred = XrayPredictor.load(model_dir or s.xray_model_dir)
    img, _, _ = make_phantom(42, "RA", 256)
    _, x, _ = pred.prepare(img)
    batch = x[None]
    ours = time_ms(lambda: pred.raw_probabilities(batch), repeat)
    keras_predict = time_ms(lambda: pred.model.predict(batch, verbose=0), repeat)
    full = time_ms(lambda: pred.predict(img), repeat)
    cams = CamExplainer.for_predictor(pred)

    def with_overlay(method, reference):
        def run():
            if reference:  # tf-keras-vis, then the same scaling and overlay
                raw = cams.raw_input(batch, method, reference=True)[0]
                hm = cams._scaled(raw, method, "fixed")[0]
                from explain.cam import Heatmap

                heat = Heatmap(to_original(hm, img.shape), method, "fixed", 1.0)
            else:
                heat = cams.heatmap(x, img.shape, method)
            return to_png(explained_overlay(img, heat))
        return run

    rows = [
        ["forward pass, compiled tf.function", f"{median(ours):.2f}", "≤ 15 ms"],
        ["forward pass, model.predict", f"{median(keras_predict):.2f}", ""],
        ["speed-up", f"{median(keras_predict) / median(ours):.1f}×", "≥ 7×"],
        ["predict() incl. preprocessing + calibration", f"{median(full):.2f}", ""],
    ]
    for m in METHODS:
        n = max(5, repeat // (5 if m == "scorecam" else 2))
        fast = time_ms(with_overlay(m, False), n)
        ref = time_ms(with_overlay(m, True), max(5, n // 2))
        rows.append([f"{METHOD_LABELS[m]} + overlay, compiled", f"{median(fast):.1f}", GOALS[m]])
        rows.append([f"{METHOD_LABELS[m]} + overlay, tf-keras-vis", f"{median(ref):.1f}", ""])
    return table("X-ray latency (median ms, single 256² image)", ["path", "median ms", "goal"],
                 rows, note=f"Model {pred.info.name} ({pred.card['parameters']:,} params); "
                            "Score-CAM with 16 channels.")


if __name__ == "__main__":
    np.random.seed(0)
    main()
