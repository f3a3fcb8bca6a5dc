"""Lab model latency per patient: compiled prediction and exact SHAP."""

from __future__ import annotations

from bench.common import median, table, time_ms


def main(model_dir: str | None = None, repeat: int = 200) -> str:
    from explain.shap_values import LabExplainer
    from ra_models import Settings
    from ra_models.predictor import ClinicalPredictor

    pred = ClinicalPredictor.load(model_dir or Settings.from_env().clinical_model_dir)
    v = {"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 65, "Anti-CCP": 120}
    x = pred.transform([v])
    compiled = time_ms(lambda: pred.predict_scaled(x), repeat)
    full = time_ms(lambda: pred.predict(v), repeat)
    keras_predict = time_ms(lambda: pred.model.predict(x, verbose=0), max(20, repeat // 10))
    ex = LabExplainer(pred)
    shap_t = time_ms(lambda: ex.explain(v), max(20, repeat // 5))
    return table("Clinical latency (median ms per patient)", ["path", "median ms", "goal"], [
        ["compiled tf.function forward pass", f"{median(compiled):.3f}", ""],
        ["predict() incl. validation, preprocessing, ACR/EULAR", f"{median(full):.2f}", "≤ 2 ms"],
        ["model.predict (for comparison)", f"{median(keras_predict):.1f}", ""],
        ["exact SHAP (64 coalitions × background) incl. prediction", f"{median(shap_t):.2f}",
         "≤ 10 ms"],
    ])


if __name__ == "__main__":
    main()
