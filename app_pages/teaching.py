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
    both = st.toggle("Both hands on one film (symmetry)", key="t_both",
                     help="RA is a symmetric polyarthritis: the other hand has nearly the same "
                          "joints involved. Psoriatic arthritis and gout are usually asymmetric.")
st.page_link("app_pages/quiz.py", label="Quiz a class on hidden films (session code, locked "
             "answers, teacher view)", icon=":material/quiz:")


DIFFERENTIALS = {"osteoarthritis": "oa", "erosive OA": "erosive_oa", "psoriatic arthritis": "psa",
                 "gout": "gout", "healthy": "healthy"}


@st.cache_data(max_entries=64, show_spinner="Rendering the phantom…")
def phantom(erosion, narrowing, osteopenia, swelling, oa, seed, differential="none", both=False):
    """(specs, film, label mask): one hand, or both hands side by side (left, right)."""
    from ra_models.synthetic.cases import sample_spec, spec_from_controls
    from ra_models.synthetic.film import render
    from ra_models.synthetic.pairs import render_pair, sample_pair

    if differential in DIFFERENTIALS:
        spec = sample_spec(int(seed), subtype=DIFFERENTIALS[differential])
    else:
        spec = spec_from_controls(int(seed), erosion=erosion, narrowing=narrowing,
                                  osteopenia=osteopenia, swelling=swelling, oa=oa)
    if both:
        specs = sample_pair(int(seed), index=spec)
        return (specs, *render_pair(*specs, 384))
    return ((spec,), *render(spec, 384))


@st.cache_data(max_entries=64, show_spinner="Asking the model…")
def model_view(args, model_dir):
    """Per hand (each half of a two-hand film is one hand's film): the model's result, its
    heatmap overlay, and whether the heatmap's peak fell on a drawn sign."""
    import numpy as np

    from explain.faithfulness import pointing_hit
    from explain.overlay import explained_overlay

    specs, img, mask = phantom(*args)
    p, cams = get_xray_predictor(), get_cam_explainer()
    out = []
    for half in np.split(np.arange(img.shape[1]), len(specs)):
        film, truth = img[:, half], mask[:, half]
        _, x, _ = p.prepare(film)
        res = p.result_from_input(x)
        heat = cams.heatmap(x, film.shape, "gradcam")
        out.append((res, heat.caption, explained_overlay(film, heat, alpha=0.6,
                                                         muted=res.probability_ra < res.threshold),
                    pointing_hit(heat.values, truth, tolerance_px=5)))
    return out


args = (erosion, narrowing, osteopenia, swelling, oa, seed, differential, both)
specs, img, mask = phantom(*args)

import numpy as np  # noqa: E402

from explain.overlay import sign_overlay  # noqa: E402
from ra_models.synthetic.cases import SUBTYPE_NAMES  # noqa: E402
from ra_models.synthetic.lesions import MASK_LABELS  # noqa: E402
from ra_models.synthetic.pairs import symmetry  # noqa: E402

views = model_view(args, xray_model_dir())
hands = ["left hand", "right hand"] if len(specs) == 2 else [""]
cols = st.columns(2 * len(views) + (len(views) == 1))
for k, (res, _, _, hit) in enumerate(views):
    who = hands[k].capitalize() + ": " if hands[k] else ""
    cols[2 * k].metric(f"{who}P(RA)" if who else "Model P(RA)", res.display_probability,
                       help="calibrated")
    cols[2 * k + 1].metric(f"{who}peak on a sign?" if who else "Grad-CAM peak on a true sign?",
                           "—" if hit is None else ("yes" if hit else "no"),
                           help="Pointing game: is Grad-CAM's hottest pixel within 5 px of a "
                                "drawn sign?")
if len(views) == 1:
    cols[2].metric("Model says", views[0][0].display_label)
overlay = np.concatenate([v[2] for v in views], axis=1)
truth_rgb, legend = sign_overlay(img, mask, MASK_LABELS)
if len(specs) == 1:
    a, b, c = st.columns(3)
else:  # a two-hand film is twice as wide: one above the other
    a = b = c = st.container()
a.image(img, caption="Phantom film", clamp=True, width="stretch")
b.image(overlay, caption=views[0][1], width="stretch")
c.image(truth_rgb, caption="Every sign drawn, by type", width="stretch")
c.markdown(legend)
for spec, hand in zip(specs, hands):
    tot = spec.svh()["totals"]
    st.caption(f"Truth{' — ' + hand if hand else ''}: {spec.label} · "
               f"{SUBTYPE_NAMES[spec.subtype]} · signs: "
               f"{', '.join(x.replace('_', ' ') for x in spec.signs()) or 'none'} · Sharp/van der "
               f"Heijde erosion {tot['erosion']}/80, narrowing {tot['narrowing']}/60.")
if len(specs) == 2:
    sym = symmetry(*specs)
    st.caption(f"Joints involved: left {sym['left']}, right {sym['right']}, in both "
               f"{sym['both']}" + ("" if sym["overlap"] is None else
                                   f" (overlap {sym['overlap']:.0%})") +
               ". RA is symmetric; psoriatic arthritis and gout are usually not.")
st.caption("Synthetic image; not a patient.")
