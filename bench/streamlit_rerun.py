"""Streamlit re-run cost: X-ray page, opacity slider moved after the first analysis.

Measured through ``AppTest`` (the script run itself, no browser/websocket): the CAM is cached
per upload, so a slider move only re-blends the overlay.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import median, table

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def main(repeat: int = 15) -> str:
    from streamlit.testing.v1 import AppTest

    t = time.perf_counter()
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    home = time.perf_counter() - t
    at.switch_page("app_pages/xray.py").run()
    at.radio(key="xray_source").set_value("Use a shipped sample").run()
    first = []
    t = time.perf_counter()
    at.radio(key="xray_method").set_value("gradcam++").run()
    first.append((time.perf_counter() - t) * 1000)
    times = []
    for i in range(repeat):
        t = time.perf_counter()
        at.slider(key="xray_alpha").set_value(round(0.2 + 0.05 * (i % 12), 2)).run()
        times.append((time.perf_counter() - t) * 1000)
    assert not at.exception
    return table("Streamlit re-runs (X-ray page)", ["action", "time", "goal"], [
        ["Home page script run, cold process (no TensorFlow import)", f"{home * 1000:.0f} ms", "≤ 2 s"],
        ["switch CAM method (first time: computes the CAM)", f"{first[0]:.0f} ms", ""],
        ["opacity slider move (cached CAM), median", f"{median(times):.0f} ms", "≤ 100 ms"],
    ])


if __name__ == "__main__":
    main()
