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


def _badge(at) -> str:
    return " ".join(x.value for x in [*at.error, *at.success, *at.warning] if "P(RA)" in x.value)


def test_clinical_no_verdict_before_input_then_full_workup(at):
    at.switch_page("app_pages/clinical.py").run()
    assert not at.exception
    assert not _badge(at)  # defaults give no answer
    assert any("Enter sex, age" in i.value for i in at.info)
    at.selectbox(key="lab_Gender").set_value("Female").run()
    at.text_input(key="lab_Age").set_value("54").run()
    assert not _badge(at) and any("Insufficient data" in w.value for w in at.warning)
    at.text_input(key="lab_RF").set_value("150").run()
    at.text_input(key="lab_CRP").set_value("14").run()
    assert "P(RA)" in _badge(at)
    t = texts(at)
    assert "Not measured: ESR, Anti-CCP" in t and "lab domains B + C = 4 / 4" in t
    at.radio(key="lab_gate").set_value("Yes").run()
    at.multiselect(key="lab_j_Hands — small").set_value(["R_MCP2", "R_MCP3", "L_MCP2", "L_PIP3"]).run()
    at.text_input(key="lab_weeks").set_value("10").run()
    assert not at.exception
    assert "meets the 2010 ACR/EULAR classification criteria" in texts(at)  # 3 + 3 + 1 + 1 = 8
    at.multiselect(key="lab_tender").set_value(["R_MCP2", "R_MCP3", "L_MCP2", "L_PIP3"]).run()
    at.multiselect(key="lab_swollen").set_value(["R_MCP2", "L_MCP2"]).run()
    at.text_input(key="lab_ptga").set_value("50").run()
    at.text_input(key="lab_ega").set_value("4").run()
    scores = [r for tb in at.table for r in tb.value.to_dict("records") if "Score" in r]
    names = {r["Score"] for r in scores}
    assert {"DAS28-CRP", "CDAI", "SDAI"} <= names and "DAS28-ESR" not in names  # no ESR given
    at.radio(key="lab_chart").set_value("Waterfall").run()
    assert not at.exception
    at.button(key="lab_pin").click().run()
    at.text_input(key="lab_RF").set_value("5").run()
    assert "What-if:" in texts(at) and "against the pinned" in texts(at)


def test_xray_reading_carries_to_the_erosive_pathway(at):
    at.switch_page("app_pages/xray.py").run()
    at.radio(key="xray_source").set_value("Use a shipped sample").run()
    at.button(key="xray_to_erosive").click().run()
    assert not at.exception
    assert at.radio(key="lab_erosive").value == "Yes"


def test_clinical_invalid_value_shows_error_and_no_stale_result(at):
    """Type a good value, then a bad one: the result disappears and the field is named; fix it
    and the result comes back with the new value, never the old one."""
    at.switch_page("app_pages/clinical.py").run()
    at.selectbox(key="lab_Gender").set_value("Female").run()
    at.text_input(key="lab_Age").set_value("54").run()
    at.text_input(key="lab_CRP").set_value("14").run()
    first = _badge(at)
    assert "P(RA)" in first
    at.text_input(key="lab_CRP").set_value("-5").run()
    assert not _badge(at)
    err = " ".join(e.value for e in at.error)
    assert "CRP" in err and "-5" in err and "No result" in err
    at.text_input(key="lab_CRP").set_value("9999").run()
    assert not _badge(at) and "9999" in " ".join(e.value for e in at.error)
    at.text_input(key="lab_Age").set_value("54.5").run()
    assert "whole number" in " ".join(e.value for e in at.error)
    at.text_input(key="lab_Age").set_value("54").run()
    at.text_input(key="lab_CRP").set_value("").run()  # cleared: not measured, visibly
    at.text_input(key="lab_ESR").set_value("38").run()
    assert "P(RA)" in _badge(at) and "Not measured: CRP, RF, Anti-CCP" in texts(at)
    # the CRP unit switch: 1.4 mg/dL is the same patient as 14 mg/L
    at.text_input(key="lab_ESR").set_value("").run()
    at.text_input(key="lab_CRP").set_value("14").run()
    mg_l = _badge(at)
    at.radio(key="lab_crp_unit").set_value("mg/dL").run()
    at.text_input(key="lab_CRP").set_value("1.4").run()
    assert _badge(at) == mg_l == first


def test_teaching_explorer(at):
    at.switch_page("app_pages/teaching.py").run()
    assert not at.exception
    assert any(m.label == "Grad-CAM peak on a true sign?" for m in at.metric)
    assert "Sharp/van der Heijde erosion" in texts(at)
    at.selectbox(key="t_differential").set_value("psoriatic arthritis").run()
    assert not at.exception
    assert "psoriatic arthritis" in texts(at) and "periostitis" in texts(at)
    # both hands on one film: a model answer and a truth line per hand, and the symmetry
    at.selectbox(key="t_differential").set_value("none").run()
    at.slider(key="t_erosion").set_value(3).run()
    at.toggle(key="t_both").set_value(True).run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Left hand: P(RA)" in labels and "Right hand: P(RA)" in labels
    assert "Truth — left hand: RA" in texts(at) and "Truth — right hand: RA" in texts(at)
    assert "in both" in texts(at)
    assert len(at.image) == 3  # the film, the model's view and the truth, each of both hands


def test_class_quiz_hides_then_locks_then_reveals(at, tmp_path, monkeypatch):
    monkeypatch.setenv("RA_QUIZ_DIR", str(tmp_path))
    at.switch_page("app_pages/quiz.py").run()
    assert not at.exception and not at.image  # nothing before a session code
    at.text_input(key="q_code").set_value("RHEUM-1").run()
    at.text_input(key="q_name").set_value("ana").run()
    assert len(at.image) == 1 and not at.sidebar.slider  # the film only; no controls that tell
    assert not any("Truth" in x.value for x in [*at.success, *at.error])
    radio = at.radio(key="q_answer_RHEUM-1_0")
    radio.set_value("RA").run()
    at.button(key="q_submit_0").click().run()
    assert not at.exception
    assert any("Truth" in x.value and "(locked)" in x.value for x in [*at.success, *at.error])
    assert at.radio(key="q_answer_RHEUM-1_0").disabled
    assert len(at.image) == 3  # film, model heatmap, true signs
    at.button(key="q_next_0").click().run()
    assert any("Film 2 of 10" in str(p.proto) for p in at.get("progress"))
    # another session code is another sequence: it starts at film 1, and the first one keeps
    # its place
    at.text_input(key="q_code").set_value("RHEUM-2").run()
    assert any("Film 1 of 10" in str(p.proto) for p in at.get("progress"))
    at.text_input(key="q_code").set_value("RHEUM-1").run()
    assert any("Film 2 of 10" in str(p.proto) for p in at.get("progress"))
    at.radio(key="q_role").set_value("teacher").run()
    assert not at.exception
    rows = at.dataframe[0].value
    assert int(rows["answers"].iloc[0]) == 1


def test_class_quiz_grades_joints_and_shows_agreement(at, tmp_path, monkeypatch):
    monkeypatch.setenv("RA_QUIZ_DIR", str(tmp_path))
    at.switch_page("app_pages/quiz.py").run()
    at.text_input(key="q_code").set_value("SVH-1").run()
    at.selectbox(key="q_difficulty").set_value("established RA").run()
    at.text_input(key="q_name").set_value("ben").run()
    at.toggle(key="q_grade_SVH-1_0").set_value(True).run()
    assert not at.exception
    grids = at.dataframe
    assert len(grids) == 2  # erosion (16 areas) and narrowing (15 areas) grading tables
    at.radio(key="q_answer_SVH-1_0").set_value("RA").run()
    at.button(key="q_submit_0").click().run()
    assert not at.exception
    mine = next(m for m in at.metric if m.label == "Your weighted κ vs truth")
    assert mine.value not in ("not graded", "")
    float(mine.value)  # a number: all-zero grades against established RA's damage
    assert any(m.label == "Scorer's weighted κ vs truth" for m in at.metric)
    assert at.toggle(key="q_grade_SVH-1_0").disabled  # grades lock with the answer
    legend = " ".join(m.value for m in at.markdown)
    assert "erosion" in legend  # the truth overlay's legend names the sign types drawn
    at.radio(key="q_role").set_value("teacher").run()
    assert "mean κ" in at.dataframe[0].value.columns


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
