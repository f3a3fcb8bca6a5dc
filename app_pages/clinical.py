"""Clinical labs page: form → calibrated P(RA), SHAP chart, ACR/EULAR 2010 panel, what-if."""

import streamlit as st

from ra_models import RAError
from ra_models.clinical.schema import LAB_FEATURES
from ui_common import disclaimer, get_clinical_predictor, get_lab_explainer, probability_badge, show_error

st.title("Clinical lab values")
disclaimer()
st.caption("Changing any value re-runs the model — pin a baseline to see how far one change "
           "moves the prediction. Tests not done can be marked as not measured: the model then "
           "uses the training median and says so.")

values: dict = {}
with st.container(border=True):
    not_measured = st.multiselect("Not measured", ["ESR", "CRP", "RF", "Anti-CCP"],
                                  key="lab_missing")
    cols = st.columns(3)
    values["Gender"] = cols[0].selectbox("Gender", ["Female", "Male"], key="lab_Gender")
    for i, f in enumerate(LAB_FEATURES):
        col = cols[(i + 1) % 3]
        values[f.name] = col.number_input(
            f"{f.label} ({f.unit})", min_value=float(f.min), max_value=float(f.max),
            value=float(f.default), step=1.0 if f.name in ("Age", "ESR") else 0.5,
            key=f"lab_{f.name}", help=f"{f.help} Reference: {f.reference}.",
            disabled=f.name in not_measured)
    for name in not_measured:
        values[name] = None
    st.caption("Reference ranges: " + " · ".join(
        f"{f.name} {f.reference}" for f in LAB_FEATURES if f.name != "Age"))

with st.expander("ACR/EULAR 2010 — joint count and symptom duration (optional)"):
    j1, j2, j3 = st.columns(3)
    small = j1.number_input("Small joints involved", 0, 40, value=None, key="lab_small",
                            help="MCP, PIP, thumb IP, MTP 2–5, wrists (DIP, 1st CMC/MTP excluded)")
    large = j2.number_input("Large joints involved", 0, 10, value=None, key="lab_large",
                            help="shoulders, elbows, hips, knees, ankles")
    weeks = j3.number_input("Symptom duration (weeks)", 0.0, 1000.0, value=None, key="lab_weeks")

try:
    predictor = get_clinical_predictor()
    res = predictor.predict(values, small_joints=small, large_joints=large, symptom_weeks=weeks)
    expl = get_lab_explainer().explain(values)
except RAError as e:
    show_error(e)
    st.stop()

probability_badge(res.probability_ra, res.threshold, res.uncertain, res.label)
base = st.session_state.get("lab_baseline")
c1, c2, c3 = st.columns(3)
delta = None if base is None else f"{(res.probability_ra - base) * 100:+.1f} points vs pinned"
c1.metric("Calibrated P(RA)", res.display_probability, delta=delta, delta_color="inverse")
c2.metric("ACR/EULAR 2010 score", f"{res.acr_eular.score}/10",
          help="Classification criteria, not a diagnostic rule")
if c3.button("Pin these values as baseline", key="lab_pin"):
    st.session_state["lab_baseline"] = res.probability_ra
    st.rerun()
for w in res.warnings:
    st.warning(w, icon=":material/info:")

from explain.plots import shap_bar_png, shap_waterfall_png  # noqa: E402

left, right = st.columns([3, 2])
with left:
    kind = st.radio("Explanation chart", ["Bar", "Waterfall"], horizontal=True, key="lab_chart")
    png = shap_bar_png(expl) if kind == "Bar" else shap_waterfall_png(expl)
    st.image(png, caption="Exact Shapley values (probability units) against the model's "
             "background sample. Labels show the raw values.", width="stretch")
with right:
    st.subheader("2010 ACR/EULAR criteria")
    st.write(res.acr_eular.verdict)
    st.dataframe(
        [{"Domain": i.domain, "Category": i.category, "Points": i.points, "Why": i.reason}
         for i in res.acr_eular.items], hide_index=True, width="stretch")
    if res.acr_eular.missing:
        st.caption("Not assessed: " + ", ".join(res.acr_eular.missing) + ".")
    st.caption("For patients with ≥ 1 clinically swollen joint not better explained by another "
               "disease. ULNs: RF 20 IU/mL, anti-CCP 20 U/mL, CRP 10 mg/L, ESR age/2 (men) or "
               "(age+10)/2 (women).")
st.caption(f"Model {res.model.name} v{res.model.version} · trained on a synthetic cohort · "
           f"sha256 {res.model.sha256[:12]}…")
