"""Batch: many images or a CSV of patients -> a table, bad items listed with reasons, CSV download."""

import streamlit as st

from ra_models import ALLOWED_FORMATS, RAError
from ui_common import (
    disclaimer,
    get_clinical_predictor,
    get_ood_checker,
    get_xray_predictor,
    show_error,
)

st.title("Batch predictions")
disclaimer()
kind = st.radio("Input", ["Hand radiographs", "CSV of patients"], horizontal=True, key="b_kind")


def progress_cb(bar):
    def cb(done, total):
        bar.progress(done / max(total, 1), text=f"{done}/{total}")
    return cb


if kind == "Hand radiographs":
    files = st.file_uploader(f"Images ({', '.join(ALLOWED_FORMATS)})", accept_multiple_files=True,
                             key="b_files")
    if not files:
        st.info("Choose one or more images.")
        st.stop()
    from ra_models.batch import batch_xray

    bar = st.progress(0.0)
    df = batch_xray(get_xray_predictor(), [(f.name, f.getvalue()) for f in files], progress_cb(bar),
                    ood_checker=get_ood_checker())
else:
    st.caption("Columns: Age, Gender, ESR (mm/h), CRP (mg/L), RF (IU/mL), Anti-CCP (U/mL); the "
               "Dataverse CSV works as it is. Empty cells = not measured.")
    up = st.file_uploader("CSV file", type=["csv"], key="b_csv")
    if up is None:
        st.stop()
    from ra_models.batch import batch_clinical

    bar = st.progress(0.0)
    try:
        df = batch_clinical(get_clinical_predictor(), up.getvalue(), progress_cb(bar))
    except RAError as e:
        show_error(e)
        st.stop()

bad = df[df["error"] != ""]
st.success(f"{len(df) - len(bad)} of {len(df)} processed.")
if "assessable" in df:
    n_na = int(df["assessable"].str.startswith("no").sum())
    if n_na:
        st.warning(f"{n_na} image(s) not assessable: unlike the films the model was trained on; "
                   "no RA/Normal answer is given for them (see the 'assessable' column).")
if len(bad):
    st.error(f"{len(bad)} item(s) could not be used:")
    st.dataframe(bad, hide_index=True)
st.dataframe(df, hide_index=True)
st.download_button("Download results (CSV)", df.to_csv(index=False).encode(),
                   file_name="ra-batch-predictions.csv", mime="text/csv", on_click="ignore",
                   key="b_download")
st.caption("Probabilities from demo models trained on synthetic data.")
