"""Lab model latency: cold start (a fresh process, as after `make run`) and per patient.

Cold start is measured twice in fresh processes: the library path (load the model folder,
predict, exact SHAP, bar chart) and the Clinical page itself through Streamlit's AppTest
(first run of the app, open the page, type sex, age and four lab values). Neither imports
TensorFlow: the lab DNN runs in NumPy from its .keras file (tested equal to Keras ≤ 1e-6).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.common import median, table, time_ms

ROOT = Path(__file__).resolve().parent.parent
PATIENT = {"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 65, "Anti-CCP": 120}

_LIBRARY = """
import json, sys, time
t0 = time.perf_counter()
from ra_models import Settings
from ra_models.predictor import ClinicalPredictor
from explain.shap_values import LabExplainer
from explain.plots import shap_bar_png
pred = ClinicalPredictor.load(Settings.from_env().clinical_model_dir)
r = pred.predict(PATIENT)
png = shap_bar_png(LabExplainer(pred).explain(r.values))
print(json.dumps({"seconds": time.perf_counter() - t0, "tensorflow": "tensorflow" in sys.modules}))
"""

_PAGE = """
import json, sys, time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("streamlit_app.py", default_timeout=120).run()
at.switch_page("app_pages/clinical.py").run()
t1 = time.perf_counter()
at.selectbox(key="lab_Gender").set_value("Female")
for k, v in (("Age", "54"), ("ESR", "38"), ("CRP", "14"), ("RF", "65"), ("Anti-CCP", "120")):
    at.text_input(key="lab_" + k).set_value(v)
at.run()
t2 = time.perf_counter()
assert not at.exception and any("P(RA)" in e.value for e in [*at.error, *at.success, *at.warning])
print(json.dumps({"open": t1 - t0, "answer": t2 - t1, "seconds": t2 - t0,
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def _fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code.replace("PATIENT", repr(PATIENT))], cwd=ROOT,
                         capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(model_dir: str | None = None, repeat: int = 200, cold_runs: int = 3) -> str:
    from explain.shap_values import LabExplainer
    from ra_models import Settings
    from ra_models.predictor import ClinicalPredictor

    lib = [_fresh(_LIBRARY) for _ in range(cold_runs)]
    page = [_fresh(_PAGE) for _ in range(cold_runs)]
    pred = ClinicalPredictor.load(model_dir or Settings.from_env().clinical_model_dir)
    x = pred.transform([PATIENT])
    forward = time_ms(lambda: pred.predict_scaled(x), repeat)
    full = time_ms(lambda: pred.predict(PATIENT), repeat)
    ex = LabExplainer(pred)
    shap_t = time_ms(lambda: ex.explain(PATIENT), max(20, repeat // 5))
    tf_used = any(r["tensorflow"] for r in lib + page)
    return table("Clinical latency", ["path", "value", "goal"], [
        ["cold start, library: load + predict + exact SHAP + chart (fresh process, median of "
         f"{cold_runs})", f"{median([r['seconds'] for r in lib]):.2f} s", "≤ 3 s"],
        ["cold start, Clinical page via AppTest: app + page + first answer (fresh process)",
         f"{median([r['seconds'] for r in page]):.2f} s "
         f"(page {median([r['open'] for r in page]):.2f} s, answer {median([r['answer'] for r in page]):.2f} s)",
         "≤ 3 s to the answer"],
        ["TensorFlow imported on those paths", "yes" if tf_used else "no", "no"],
        [f"forward pass ({pred.backend})", f"{median(forward):.3f} ms", ""],
        ["predict() incl. validation, preprocessing, missing-marker averaging, ACR/EULAR",
         f"{median(full):.2f} ms", "≤ 2 ms"],
        ["exact SHAP (64 coalitions × 150 background patients) incl. prediction",
         f"{median(shap_t):.2f} ms", "≤ 10 ms"],
    ])


if __name__ == "__main__":
    main()
