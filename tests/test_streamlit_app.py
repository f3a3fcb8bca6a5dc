"""Every Streamlit page through AppTest: widgets in, expected elements out, no exceptions."""

from pathlib import Path

TIMEOUT = 120
APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def texts(app) -> str:
    parts = [m.value for m in app.markdown] + [m.value for m in app.caption]
    for kind in ("info", "warning", "error", "success"):
        parts += [m.value for m in getattr(app, kind)]
    return "\n".join(str(p) for p in parts)


def test_home_has_banner_and_links(at):
    t = texts(at)
    assert "not a diagnosis" in t and "synthetic" in t
    assert "What it does" in t


def test_home_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from streamlit.testing.v1 import AppTest; "
            f"at = AppTest.from_file({APP!r}); at.run(); "
            "assert not at.exception; print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr[-2000:]


def test_xray_sample_shows_probability_and_heatmap(at):
    at.switch_page("app_pages/xray.py").run()
    at.radio(key="xray_source").set_value("Use a shipped sample").run()
    assert not at.exception
    t = texts(at)
    assert "Calibrated P(RA)" in t and "operating threshold" in t
    # the verdict banner comes first, the heatmap caption names its scale and what colour means
    banner = " ".join(x.value for x in [*at.error, *at.success, *at.warning])
    assert "P(RA)" in banner or "Not assessable" in banner
    assert "no colour is not evidence against RA" in t
    assert len(at.get("imgs")) >= 1 or len(at.get("image")) >= 1
    # moving the opacity slider, the method and the scale re-renders without an exception
    at.slider(key="xray_alpha").set_value(0.8).run()
    at.radio(key="xray_method").set_value("gradcam++").run()
    at.radio(key="xray_scale").set_value("relative").run()
    assert not at.exception
    assert "relative to this film" in texts(at)
    # image details are a table of words, not a JSON tree
    assert not at.get("json")
    assert any("Size as stored" in tb.value.index for tb in at.table)


def test_xray_upload_and_bad_upload(at, phantom_png):
    at.switch_page("app_pages/xray.py").run()
    at.file_uploader(key="xray_upload").set_value(("hand.png", phantom_png, "image/png")).run()
    assert not at.exception
    assert "Calibrated P(RA)" in texts(at)
    at.file_uploader(key="xray_upload").set_value(("evil.png", b"<html>hi</html>", "image/png")).run()
    assert not at.exception
    assert any("HTML page" in e.value for e in at.error)


def test_clinical_form_shap_and_acr(at):
    at.switch_page("app_pages/clinical.py").run()
    assert not at.exception
    at.number_input(key="lab_RF").set_value(150).run()
    at.number_input(key="lab_small").set_value(6).run()
    at.number_input(key="lab_weeks").set_value(10).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert "Calibrated P(RA)" in metrics
    assert metrics["ACR/EULAR 2010 score"].endswith("/10")
    assert int(metrics["ACR/EULAR 2010 score"].split("/")[0]) >= 6
    at.button(key="lab_pin").click().run()
    at.number_input(key="lab_RF").set_value(5).run()
    assert any(m.label == "Calibrated P(RA)" and m.delta for m in at.metric)
    at.radio(key="lab_chart").set_value("Waterfall").run()
    at.multiselect(key="lab_missing").set_value(["Anti-CCP"]).run()
    assert not at.exception
    assert any("Anti-CCP not given" in w.value for w in at.warning)


def test_teaching_explorer_and_quiz(at):
    at.switch_page("app_pages/teaching.py").run()
    assert not at.exception
    assert any(m.label == "Grad-CAM peak on a true sign?" for m in at.metric)
    at.toggle(key="t_quiz").set_value(True).run()
    assert not any(m.label == "Model P(RA)" for m in at.metric)  # hidden until answered
    radio = [r for r in at.radio if r.label == "Your answer"][0]
    radio.set_value("RA pattern").run()
    [b for b in at.button if b.label == "Reveal"][0].click().run()
    assert not at.exception
    assert any(m.label == "Model P(RA)" for m in at.metric)


def test_model_cards_page(at):
    at.switch_page("app_pages/model_cards.py").run()
    assert not at.exception
    assert "synthetic" in texts(at)


def test_batch_page_lists_bad_rows(at):
    at.switch_page("app_pages/batch.py").run()
    at.radio(key="b_kind").set_value("CSV of patients").run()
    csv = b"Age,Gender,ESR,CRP,RF,Anti-CCP\n55,Female,30,12,80,200\n40,Robot,10,1,5,2\n"
    at.file_uploader(key="b_csv").set_value(("p.csv", csv, "text/csv")).run()
    assert not at.exception
    assert any("1 item(s) could not be used" in e.value for e in at.error)
    assert any("1 of 2 processed" in s.value for s in at.success)
