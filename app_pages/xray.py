"""X-ray page: upload or sample → calibrated P(RA) → CAM overlay with method and opacity."""

from pathlib import Path

import streamlit as st

from ra_models import ALLOWED_FORMATS, RAError
from ra_models.config import SAMPLES_DIR
from ui_common import (
    disclaimer,
    get_cam_explainer,
    get_ood_checker,
    get_xray_predictor,
    probability_badge,
    show_error,
)

st.title("Hand X-ray")
disclaimer()


@st.cache_data(max_entries=32, show_spinner="Analysing the image…")
def analyse(data: bytes):
    from ra_models.analysis import analyse_xray

    return analyse_xray(get_xray_predictor(), data, get_ood_checker())


@st.cache_data(max_entries=96, show_spinner="Computing the heatmap…")
def cam(data: bytes, method: str):
    a = analyse(data)
    return get_cam_explainer().compute(a.model_input, a.image.shape, method)


samples = sorted(SAMPLES_DIR.glob("*.png"))
source = st.radio("Image", ["Upload a file", "Use a shipped sample"], horizontal=True,
                  key="xray_source")
data = None
name = None
if source == "Upload a file":
    up = st.file_uploader(
        f"Hand radiograph ({', '.join(ALLOWED_FORMATS)}; ≤ 25 MB)", key="xray_upload",
        help="The type is detected from the file's content, so DICOM files without an "
             "extension work too. Nothing is stored on the server.")
    if up is not None:
        data, name = up.getvalue(), up.name
else:
    if not samples:
        st.info("No sample images are shipped in assets/samples/.")
    else:
        pick = st.selectbox("Sample (synthetic phantom)", samples, format_func=lambda p: p.stem,
                            key="xray_sample")
        data, name = Path(pick).read_bytes(), Path(pick).name

if data is None:
    st.info("Upload a hand radiograph or choose a sample to see the model's answer and its heatmap.")
    st.stop()

try:
    a = analyse(data)
except RAError as e:
    show_error(e)
    st.stop()

from explain.cam import METHOD_LABELS, METHODS  # noqa: E402  (light import)
from explain.overlay import overlay_heatmap  # noqa: E402

r = a.result
if a.assessable:
    probability_badge(r.probability_ra, r.threshold, r.uncertain, r.label)
    details = st.container()
else:  # no verdict on a film the model cannot judge; the numbers only inside a closed expander
    st.error("**Not assessable** — this image looks unlike the hand radiographs the model was "
             "trained on: " + "; ".join(a.ood.reasons) + ". No RA/Normal answer is given; upload "
             "a posteroanterior hand radiograph.", icon=":material/block:")
    details = st.expander("Details — not meaningful for this image", expanded=False)


def show_output():
    """Metrics, method choice and heatmap; returns (method, overlay) for the PDF report."""
    m1, m2, m3 = st.columns(3)
    m1.metric("Calibrated P(RA)", r.display_probability)
    m2.metric("Operating threshold", f"{r.threshold:.0%}")
    m3.metric("Model", f"{r.model.name} v{r.model.version}", help=f"sha256 {r.model.sha256}")
    c1, c2 = st.columns([1, 1])
    method = c1.radio("Explanation method", METHODS, format_func=METHOD_LABELS.get, horizontal=True,
                      key="xray_method", help="Heatmap for the class RA. Score-CAM is slower.")
    alpha = c2.slider("Heatmap opacity", 0.0, 1.0, 0.45, 0.05, key="xray_alpha")
    heat = cam(data, method)
    rgb = overlay_heatmap(a.image, heat, alpha=alpha)
    left, right = st.columns(2)
    left.image(a.image, caption=f"{name} — as analysed", clamp=True, width="stretch")
    right.image(rgb, caption=f"{METHOD_LABELS[method]} (red = pushes towards RA; white outline = "
                "top 20%)", width="stretch")
    faith = get_xray_predictor().card.get("faithfulness", {}).get("methods", {}).get(method, {})
    st.caption("A heatmap shows where the model's evidence is, not what the lesion is."
               + (f" On synthetic RA test films, the peak of this method fell on a true RA sign in "
                  f"{faith['pointing_game']:.0%} of cases (Model cards page)."
                  if faith.get("pointing_game") is not None else ""))
    return method, rgb


with details:
    method, rgb = show_output()
if a.meta is not None:
    with st.expander("Image details"):
        st.write({"format": a.meta.format, "size (w×h)": a.meta.original_size,
                  "bit depth": a.meta.bit_depth, "photometric": a.meta.photometric,
                  "notes": list(a.meta.notes)})

from ra_models.report import case_report_pdf  # noqa: E402

st.download_button(
    "Download one-page case report (PDF)",
    # A callable: the PDF is built only when the button is pressed, not on every slider move.
    data=lambda: case_report_pdf(a.image, rgb, r, method_label=METHOD_LABELS[method],
                                 ood_reasons=a.ood.reasons if a.ood else ()),
    file_name=f"ra-case-report-{Path(name).stem}.pdf", mime="application/pdf",
    key="xray_report", on_click="ignore")
