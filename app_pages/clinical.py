"""Clinical labs page: lab values → calibrated P(RA) with SHAP; ACR/EULAR 2010 with a joint
picker; DAS28/CDAI/SDAI. What the model used is exactly what is on screen: a value that is
invalid shows an error and no result, a value left empty is "not measured", visibly."""

import streamlit as st

from ra_models import RAError
from ra_models.clinical.joints import DAS28_JOINTS, PICKER_GROUPS, SIDES
from ra_models.clinical.joints import label as joint_label
from ra_models.clinical.schema import FEATURE_BY_NAME, LAB_MARKERS
from ra_models.errors import InsufficientDataError, InvalidLabValuesError
from ui_common import disclaimer, get_clinical_predictor, get_lab_explainer, probability_badge, show_error

st.title("Clinical lab values")
disclaimer()

FIELD_NAMES = {"Gender": "Sex", "Age": "Age", "ESR": "ESR", "CRP": "CRP", "RF": "RF",
               "Anti-CCP": "Anti-CCP", "prior": "Pretest probability", "tender": "Tender joints",
               "swollen": "Swollen joints", "patient_global_mm": "Patient global",
               "evaluator_global": "Evaluator global", "symptom_weeks": "Symptom duration",
               "uln.rf": "RF upper limit", "uln.anti_ccp": "Anti-CCP upper limit",
               "uln.crp": "CRP upper limit", "uln.esr": "ESR upper limit"}

fields: dict = {}
with st.container(border=True):
    st.markdown("**Patient and laboratory values** — leave a test empty if it was not done.")
    c = st.columns([1, 1, 1, 1, 1, 1])
    fields["Gender"] = c[0].selectbox("Sex", ["Female", "Male"], index=None, key="lab_Gender",
                                      placeholder="choose")
    fields["Age"] = c[1].text_input("Age (years)", key="lab_Age", placeholder="e.g. 54",
                                    help="Whole years, 16–110.")
    for col, name in zip(c[2:], LAB_MARKERS):
        f = FEATURE_BY_NAME[name]
        unit = f.unit
        if name == "CRP":
            unit = st.session_state.get("lab_crp_unit", "mg/L")
        fields[name] = col.text_input(f"{name} ({unit})", key=f"lab_{name}",
                                      placeholder="not measured",
                                      help=f"{f.help} Reference: {f.reference}.")
    u1, u2 = st.columns([1, 2])
    fields["crp_unit"] = u1.radio("CRP unit", ["mg/L", "mg/dL"], horizontal=True, key="lab_crp_unit",
                                  help="1 mg/dL = 10 mg/L. Stored and scored in mg/L.")
    own_prior = u2.toggle("Use my own pretest probability", key="lab_own_prior",
                          help="The model is calibrated to its cohort's prevalence. An early-"
                               "arthritis clinic or primary care has another pretest probability.")
    if own_prior:
        fields["prior"] = u2.text_input("Pretest probability (%)", key="lab_prior", value="20",
                                        help="e.g. 30 in an early-arthritis clinic, 2 in primary care")
        if fields["prior"].strip():
            fields["prior"] = fields["prior"].strip() + "%"

with st.expander("2010 ACR/EULAR criteria — joints, duration, entry criterion (optional)",
                 expanded=False):
    g1, g2 = st.columns(2)
    fields["entry_gate"] = {"Yes": "yes", "No": "no", "Not assessed": None}[g1.radio(
        "≥ 1 clinically swollen joint not better explained by another disease?",
        ["Not assessed", "Yes", "No"], horizontal=True, key="lab_gate",
        help="The criteria's entry condition: without it they do not apply.")]
    fields["erosive"] = {"Yes": "yes", "No": "no", "Unknown": None}[g2.radio(
        "Erosions typical of RA (≥ 3 separate joints)?", ["Unknown", "Yes", "No"], horizontal=True,
        key="lab_erosive", help="EULAR 2013 definition: cortical breaks in ≥ 3 separate joints "
                                "among PIP, MCP, wrist (counted once) and MTP joints, on hand and "
                                "foot radiographs. If yes, the patient is classified as RA.")]
    weeks = st.text_input("Symptom duration (weeks)", key="lab_weeks", placeholder="not entered")
    fields["symptom_weeks"] = weeks
    st.markdown("**Involved joints** (swollen or tender) — tick by group; both sides listed.")
    picked = []
    gcols = st.columns(len(PICKER_GROUPS))
    for col, (title, group) in zip(gcols, PICKER_GROUPS):
        options = [f"{s}_{j}" for j in group for s in SIDES]
        picked += col.multiselect(title, options, format_func=joint_label, key=f"lab_j_{title}")
    with st.popover("Upper limits of normal"):
        st.caption("Defaults: RF 20 IU/mL, anti-CCP 20 U/mL, CRP 10 mg/L, ESR by the Miller "
                   "formula (age/2 men, (age + 10)/2 women).")
        fields["uln"] = {
            "rf": st.text_input("RF ULN (IU/mL)", key="lab_uln_rf", placeholder="20"),
            "anti_ccp": st.text_input("Anti-CCP ULN (U/mL)", key="lab_uln_ccp", placeholder="20"),
            "crp": st.text_input(f"CRP ULN ({fields['crp_unit']})", key="lab_uln_crp",
                                 placeholder="10" if fields["crp_unit"] == "mg/L" else "1"),
            "esr": st.text_input("ESR ULN (mm/h)", key="lab_uln_esr", placeholder="Miller formula"),
        }

with st.expander("Disease activity — DAS28, CDAI, SDAI, Boolean remission (optional)"):
    a1, a2 = st.columns(2)
    fields["tender"] = a1.multiselect("Tender joints (of 28)", DAS28_JOINTS, format_func=joint_label,
                                      key="lab_tender")
    fields["swollen"] = a2.multiselect("Swollen joints (of 28)", DAS28_JOINTS,
                                       format_func=joint_label, key="lab_swollen")
    b1, b2 = st.columns(2)
    fields["patient_global_mm"] = b1.text_input("Patient global (0–100 mm VAS)", key="lab_ptga",
                                                placeholder="not entered")
    fields["evaluator_global"] = b2.text_input("Evaluator global (0–10)", key="lab_ega",
                                               placeholder="not entered")
    st.caption("Each score appears once all its inputs are given; ESR and CRP come from above.")
# ACR involved joints: the picker plus every tender or swollen joint of the 28
fields["joints"] = sorted(set(picked) | set(fields["tender"]) | set(fields["swollen"])) or None
if not fields["tender"] and not fields["swollen"]:
    fields["tender"] = fields["swollen"] = None

typed = [k for k in ("Age", *LAB_MARKERS) if str(fields.get(k) or "").strip()]
if fields["Gender"] is None and not typed:
    st.info("Enter sex, age and at least one lab value to see the model's answer. No answer is "
            "shown for defaults.", icon=":material/edit:")
    st.stop()

try:
    res = get_clinical_predictor().predict_request(fields)
except InvalidLabValuesError as e:  # the result area names each field; no stale result
    st.error("**No result until these are fixed:**\n" + "\n".join(
        f"- **{FIELD_NAMES.get(k, k)}**: {v}" for k, v in e.problems.items()),
        icon=":material/error:")
    st.stop()
except InsufficientDataError as e:
    st.warning(str(e), icon=":material/info:")
    st.stop()
except RAError as e:
    show_error(e)
    st.stop()

probability_badge(res.probability_ra, res.threshold, res.uncertain, res.label,
                  negative_text="Not RA (other rheumatic disease or healthy)")
pinned = st.session_state.get("lab_baseline")
pin_col, text_col = st.columns([1, 3])
if pin_col.button("Pin as baseline", key="lab_pin",
                  help="Keep this probability to see how far the next change moves it."):
    st.session_state["lab_baseline"] = pinned = res.probability_ra
if pinned is not None:
    text_col.caption(f"What-if: {(res.probability_ra - pinned) * 100:+.1f} percentage points "
                     f"against the pinned {pinned:.1%}.")
prior_text = (f"your pretest probability {res.prior:.0%} (the model's own output at its cohort's "
              f"{res.cohort_prior:.0%}: {res.probability_ra_cohort:.1%})"
              if abs(res.prior - res.cohort_prior) > 1e-9 else
              f"the cohort's prevalence {res.cohort_prior:.0%} (set your own above)")
st.caption(f"P(RA) from lab values alone, at {prior_text}. Synthetic-cohort model: not clinical "
           "accuracy.")
for note in res.notes:
    st.info(note, icon=":material/info:")
for w in res.warnings:
    st.warning(w, icon=":material/warning:")

from explain.plots import shap_bar_png, shap_waterfall_png  # noqa: E402

left, right = st.columns([1, 1])
with left:
    st.subheader("What moved the lab probability")
    expl = get_lab_explainer().explain(res.values)
    kind = st.radio("Chart", ["Bar", "Waterfall"], horizontal=True, key="lab_chart")
    png = shap_bar_png(expl) if kind == "Bar" else shap_waterfall_png(expl)
    st.image(png, width="stretch")
    st.caption(f"Exact Shapley values in percentage points of P(RA), starting from "
               f"{expl['base_value']:.1%} = the {expl['base_note']}. A test that was not measured "
               "gets no bar. Labels show the values as entered (CRP in mg/L). Computed at the "
               "cohort's prevalence.")
with right:
    acr = res.acr_eular
    st.subheader("2010 ACR/EULAR criteria")
    (st.success if acr.classifiable else st.info)(acr.verdict[:1].upper() + acr.verdict[1:] + ".")
    st.table([{"Domain": i.domain, "Category": i.category, "Points": i.points, "Why": i.reason}
              for i in acr.items])
    if acr.excluded_joints:
        st.caption(f"{acr.excluded_joints} picked joint(s) are DIP, 1st CMC or 1st MTP joints, "
                   "which the criteria do not count.")
    if res.activity is not None:
        st.subheader("Disease activity")
        st.table([{"Score": s.name, "Value": ("yes" if s.value else "no") if isinstance(s.value, bool)
                   else f"{s.value:.2f}", "Category": s.band, "Formula": s.formula}
                  for s in res.activity.scores] or [{"Score": "—", "Value": "", "Category": "",
                                                     "Formula": "no score has all its inputs yet"}])
        for name, lack in res.activity.missing.items():
            st.caption(f"{name} needs {', '.join(lack)}.")
st.caption(f"Model {res.model.name} v{res.model.version} · trained on a synthetic cohort · "
           f"sha256 {res.model.sha256[:12]}…")
