"""Teaching: phantom explorer (you set the RA signs, or show a differential) with the model's
view and the truth by sign type; the class quiz is its own page."""

import streamlit as st

from ui_common import disclaimer, get_cam_explainer, get_xray_predictor, xray_model_dir

st.title("Teaching — phantom explorer")
disclaimer()
st.caption("Synthetic PA hand films with RA signs you control, or one of the differentials. "
           "The coloured tint marks where the generator drew each sign (the ground truth); "
           "compare it with where the model looked.")

with st.sidebar:
    st.subheader("Phantom controls")
    erosion = st.slider("Erosions (SvH grade 0–5)", 0, 5, 2, key="t_erosion")
    narrowing = st.slider("Joint-space narrowing (0–4)", 0, 4, 1, key="t_narrowing")
    osteopenia = st.slider("Periarticular osteopenia", 0.0, 1.0, 0.3, 0.1, key="t_osteopenia")
    swelling = st.slider("Soft-tissue swelling", 0.0, 1.0, 0.4, 0.1, key="t_swelling")
    oa = st.slider("Osteoarthritis pattern (hard negative)", 0.0, 1.0, 0.0, 0.1, key="t_oa")
    seed = st.number_input("Seed (pose, film)", 0, 10_000, 3, key="t_seed")
    differential = st.selectbox(
        "…or show a differential (a random case, the sliders ignored)",
        ["none", "osteoarthritis", "erosive OA", "psoriatic arthritis", "gout", "healthy"],
        key="t_differential")
st.page_link("app_pages/quiz.py", label="Quiz a class on hidden films (session code, locked "
             "answers, teacher view)", icon=":material/quiz:")


DIFFERENTIALS = {"osteoarthritis": "oa", "erosive OA": "erosive_oa", "psoriatic arthritis": "psa",
                 "gout": "gout", "healthy": "healthy"}


@st.cache_data(max_entries=64, show_spinner="Rendering the phantom…")
def phantom(erosion, narrowing, osteopenia, swelling, oa, seed, differential="none"):
    from ra_models.synthetic.cases import sample_spec, spec_from_controls
    from ra_models.synthetic.film import render

    if differential in DIFFERENTIALS:
        spec = sample_spec(int(seed), subtype=DIFFERENTIALS[differential])
    else:
        spec = spec_from_controls(int(seed), erosion=erosion, narrowing=narrowing,
                                  osteopenia=osteopenia, swelling=swelling, oa=oa)
    img, mask = render(spec, 384)
    return spec, img, mask


@st.cache_data(max_entries=64, show_spinner="Asking the model…")
def model_view(erosion, narrowing, osteopenia, swelling, oa, seed, differential, model_dir):
    from explain.faithfulness import pointing_hit

    _, img, mask = phantom(erosion, narrowing, osteopenia, swelling, oa, seed, differential)
    p = get_xray_predictor()
    _, x, _ = p.prepare(img)
    res = p.result_from_input(x)
    heat = get_cam_explainer().heatmap(x, img.shape, "gradcam")
    return res, heat, pointing_hit(heat.values, mask, tolerance_px=5)


args = (erosion, narrowing, osteopenia, swelling, oa, seed, differential)
spec, img, mask = phantom(*args)

from explain.overlay import explained_overlay, sign_overlay  # noqa: E402
from ra_models.synthetic.cases import SUBTYPE_NAMES  # noqa: E402
from ra_models.synthetic.lesions import MASK_LABELS  # noqa: E402

res, heat, hit = model_view(*args, xray_model_dir())
c1, c2, c3 = st.columns(3)
c1.metric("Model P(RA)", res.display_probability, help="calibrated")
c2.metric("Model says", res.display_label)
c3.metric("Grad-CAM peak on a true sign?",
          "—" if hit is None else ("yes" if hit else "no"),
          help="Pointing game: is the hottest pixel within 5 px of a drawn sign?")
a, b, c = st.columns(3)
a.image(img, caption="Phantom film", clamp=True, width="stretch")
b.image(explained_overlay(img, heat, alpha=0.6, muted=res.probability_ra < res.threshold),
        caption=heat.caption, width="stretch")
truth_rgb, legend = sign_overlay(img, mask, MASK_LABELS)
c.image(truth_rgb, caption="Every sign drawn, by type", width="stretch")
c.markdown(legend)
tot = spec.svh()["totals"]
st.caption(f"Truth: {spec.label} · {SUBTYPE_NAMES[spec.subtype]} · signs: "
           f"{', '.join(x.replace('_', ' ') for x in spec.signs()) or 'none'} · Sharp/van der "
           f"Heijde erosion {tot['erosion']}/80, narrowing {tot['narrowing']}/60. Synthetic image; "
           "not a patient.")
