"""X-ray page: upload or sample → verdict (or "not assessable") → image beside its heatmap.

The first screen holds what a clinician checks first: the verdict, the film and the heatmap
with its colour bar. Method, scale and opacity sit beside the heatmap; details below.
"""

from pathlib import Path

import streamlit as st

from ra_models import ALLOWED_FORMATS, RAError
from ra_models.config import SAMPLES_DIR
from ui_common import (
    disclaimer,
    get_cam_explainer,
    get_ood_checker,
    get_svh_scorer,
    get_xray_predictor,
    probability_badge,
    show_error,
    xray_model_dir,
)

st.title("Hand X-ray")
disclaimer()


@st.cache_data(max_entries=32, show_spinner="Analysing the image…")
def analyse(data: bytes, model_dir: str):
    from ra_models.analysis import analyse_xray

    return analyse_xray(get_xray_predictor(), data, get_ood_checker())


@st.cache_data(max_entries=96, show_spinner="Computing the heatmap…")
def heatmap(data: bytes, method: str, scale: str, model_dir: str):
    a = analyse(data, model_dir)
    return get_cam_explainer().heatmap(a.model_input, a.image.shape, method, scale=scale)


@st.cache_data(max_entries=32, show_spinner="Grading joints…")
def joint_scores(data: bytes, model_dir: str):
    """The SvH scorer's grades and its hand diagram for one film (None without a scorer)."""
    from explain.overlay import svh_overlay
    from ra_models.preprocess import prepare_xray
    from ra_models.xray.scorer import SCORER_INPUT

    scorer = get_svh_scorer()
    if scorer is None:
        return None
    x = prepare_xray(analyse(data, model_dir).image, SCORER_INPUT)
    res = scorer.score_input(x)
    return res, svh_overlay(x[..., 0], res)


samples = sorted(SAMPLES_DIR.glob("*.png"))
pick_col, file_col = st.columns([1, 2])
source = pick_col.radio("Image", ["Upload a file", "Use a shipped sample"], key="xray_source")
data = None
name = None
if source == "Upload a file":
    up = file_col.file_uploader(
        f"Hand radiograph ({', '.join(ALLOWED_FORMATS)}; ≤ 25 MB)", key="xray_upload",
        help="The type is detected from the file's content, so DICOM files without an "
             "extension work too. Nothing is stored on the server.")
    if up is not None:
        data, name = up.getvalue(), up.name
elif not samples:
    file_col.info("No sample images are shipped in assets/samples/.")
else:
    pick = file_col.selectbox("Sample (synthetic phantom)", samples, format_func=lambda p: p.stem,
                              key="xray_sample")
    data, name = Path(pick).read_bytes(), Path(pick).name

if data is None:
    st.info("Upload a hand radiograph or choose a sample to see the model's answer and its heatmap.")
    st.stop()

try:
    a = analyse(data, xray_model_dir())
except RAError as e:
    show_error(e)
    st.stop()

from explain.cam import METHOD_LABELS, METHODS, SCALE_LABELS, SCALES  # noqa: E402  (light)
from explain.overlay import explained_overlay  # noqa: E402
from ra_models.imaging import describe_meta  # noqa: E402

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
    """Image, heatmap and its controls; returns (heatmap, overlay) for the PDF report."""
    img_col, heat_col, ctl_col = st.columns([5, 5, 3])
    method = ctl_col.radio("Explanation method", METHODS, format_func=METHOD_LABELS.get,
                           key="xray_method", help="Heatmap for the class RA. Score-CAM is slower.")
    scale = ctl_col.radio(
        "Heat scale", SCALES, key="xray_scale",
        format_func=lambda s: {"fixed": "Fixed (comparable between films)",
                               "relative": "Relative to this film"}[s],
        help="Fixed: 1 = the strongest RA evidence this model showed on its validation RA "
             "films, so a film with weak evidence looks cool. Relative: each film's own "
             "maximum is 1, which makes weak evidence look as strong as any.")
    alpha = ctl_col.slider("Heatmap opacity", 0.0, 1.0, 0.6, 0.05, key="xray_alpha")
    hm = heatmap(data, method, scale, xray_model_dir())
    muted = a.assessable and r.probability_ra < r.threshold
    rgb = explained_overlay(a.image, hm, alpha=alpha, muted=muted)
    img_col.image(a.image, caption=f"{name} — as analysed", clamp=True, width="stretch")
    heat_col.image(rgb, caption=f"{METHOD_LABELS[method]} — {SCALE_LABELS[hm.scale]}",
                   width="stretch")
    if muted:
        ctl_col.caption("P(RA) is below the operating threshold: the model found little RA "
                        "evidence, so the map is drawn muted.")
    if scale == "fixed" and hm.scale != "fixed":
        ctl_col.caption("This model's card has no reference scale for this method; shown "
                        "relative to this film.")
    return hm, rgb


with details:
    hm, rgb = show_output()
    card = get_xray_predictor().card
    faith = card.get("faithfulness", {}).get("methods", {}).get(hm.method, {})
    text = hm.caption + " A heatmap shows where the model's evidence is, not what the lesion is."
    if faith.get("pointing_game") is not None:
        text += (f" On synthetic RA test films the peak of this method fell on a true RA sign in "
                 f"{faith['pointing_game']:.0%} of cases")
        ero = faith.get("by_sign", {}).get("erosion", {}).get("pointing_game")
        text += (f", on an erosion in {ero:.0%}" if ero is not None else "") + " (Model cards page)."
    st.caption(text)
    st.caption(f"Calibrated P(RA) {r.display_probability} · operating threshold "
               f"{r.threshold:.0%} · model {r.model.name} v{r.model.version} "
               f"(sha256 {r.model.sha256[:12]}…)")

    scored = joint_scores(data, xray_model_dir()) if a.assessable else None
    if scored is not None:
        import pandas as pd

        res, diagram = scored
        tot = res.totals
        st.markdown(f"**Joint-level damage (Sharp/van der Heijde), teaching scorer** — erosion "
                    f"{tot['erosion']}/80, narrowing {tot['narrowing']}/60, total "
                    f"{tot['total']}/140")
        d_col, t_col = st.columns([5, 4])
        d_col.image(diagram, width="stretch",
                    caption="E/N = erosion (0–5) / narrowing (0–4) grade, drawn where the "
                            "scorer looked for each area; brighter = worse")
        t_col.table(pd.DataFrame(res.table()).drop(columns="code").set_index("area")
                    .astype(str))
        svh_card = get_svh_scorer().card
        ev = svh_card.get("evaluation") or svh_card.get("metrics", {})
        if ev.get("total_rmse") is not None:
            st.caption(f"On fresh synthetic phantoms: total-score RMSE {ev['total_rmse']:.1f}; "
                       f"mean weighted κ per area: erosion {ev['erosion_mean_kappa']:.2f}, "
                       f"narrowing {ev['narrowing_mean_kappa']:.2f}. Trained on phantoms only "
                       "and never validated on real films: a teaching aid, not a score for a "
                       "patient (Model cards page).")

with st.expander("Carry your reading to the ACR/EULAR criteria"):
    st.caption("The model does not count erosions per joint. If *your* reading of this patient's "
               "hand and foot films shows erosions typical of RA in ≥ 3 separate joints (EULAR "
               "2013: PIP, MCP, wrist counted once, MTP), the 2010 criteria classify the patient "
               "as RA whatever the score.")
    if st.button("Record erosive disease on the Clinical labs page", key="xray_to_erosive"):
        st.session_state["lab_erosive"] = "Yes"
        st.switch_page("app_pages/clinical.py")

if a.meta is not None:
    with st.expander("Image details"):
        import pandas as pd

        st.table(pd.DataFrame(describe_meta(a.meta), columns=["Field", "Value"]).set_index("Field"))

from ra_models.report import case_report_pdf  # noqa: E402

st.download_button(
    "Download one-page case report (PDF)",
    # A callable: the PDF is built only when the button is pressed, not on every slider move.
    data=lambda: case_report_pdf(a.image, rgb, r, method_label=METHOD_LABELS[hm.method],
                                 case_name=name, heatmap_caption=hm.caption,
                                 ood_reasons=a.ood.reasons if a.ood and a.ood.flagged else ()),
    file_name=f"ra-case-report-{Path(name).stem}.pdf", mime="application/pdf",
    key="xray_report", on_click="ignore")
