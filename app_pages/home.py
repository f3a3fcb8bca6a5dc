"""Home: what the app does and does not do. No TensorFlow import here (fast cold start)."""

import streamlit as st

from ra_models import DISCLAIMER

st.title("Rheumatoid arthritis — explainable decision support")
st.warning(DISCLAIMER, icon=":material/info:")
st.markdown(
    """
This app shows **why** two small models reach their answers, for rheumatologists exploring a
model, teachers running a session, and clinicians doing a quick check.

| | What it does | What it does **not** do |
|---|---|---|
| **Hand X-ray** | CNN → calibrated probability of an RA pattern, with Grad-CAM / Grad-CAM++ / Score-CAM heatmaps on a fixed scale; "not assessable" for films unlike its training films | diagnose, stage (Sharp/van der Heijde), or read anything but a PA hand film |
| **Lab values** | age, sex, ESR, CRP, RF, anti-CCP → calibrated probability at your pretest probability, with SHAP contributions; a test not done counts as not measured, never as negative | exclude RA (seronegative RA exists) or replace the criteria |
| **Calculators** | 2010 ACR/EULAR criteria with a joint picker, entry criterion and erosive pathway; DAS28-ESR/CRP, CDAI, SDAI, Boolean remission — published formulas, valid on real patients | decide treatment |
| **Teaching** | synthetic hand films with RA signs you control, the model's heatmap beside the true lesion mask, a quiz mode | show real patients |

**Where the numbers come from.** No hand radiograph or patient record could be used to build
this demo: the X-ray model was trained on *procedural phantoms* and the lab model on a
*synthetic cohort* drawn from published marker accuracy. Every metric in the app says so.
Train on your own data with `python -m ra_models train …` — see the README.
"""
)
st.subheader("Pages")
cols = st.columns(3)
links = [
    ("app_pages/xray.py", "X-ray", ":material/radiology:", "Upload a hand film or pick a sample."),
    ("app_pages/clinical.py", "Clinical labs", ":material/labs:", "Lab values → probability, SHAP; ACR/EULAR, DAS28, CDAI, SDAI."),
    ("app_pages/teaching.py", "Teaching", ":material/school:", "Phantom explorer and quiz."),
    ("app_pages/model_cards.py", "Model cards & performance", ":material/monitoring:", "Metrics, plots, limits."),
    ("app_pages/batch.py", "Batch", ":material/table_view:", "Many images or a CSV of patients."),
]
for i, (path, title, icon, text) in enumerate(links):
    with cols[i % 3]:
        st.page_link(path, label=title, icon=icon)
        st.caption(text)
