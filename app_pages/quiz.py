"""Class quiz: hidden phantom films in the same order for everyone with a session code; an
answer locks when submitted; then truth, the model's answer and its heatmap. A teacher view
shows the class's answers in aggregate (SQLite file under RA_QUIZ_DIR)."""

import streamlit as st

from ra_models import Settings
from ra_models.quiz import ANSWERS, DIFFICULTIES, QuizStore, film_sequence, truth_answer
from ui_common import disclaimer, get_cam_explainer, get_xray_predictor, xray_model_dir

N_FILMS = 10

st.title("Class quiz")
disclaimer()
st.caption("Synthetic films with a known truth. The teacher chooses a session code and a "
           "difficulty; every student who enters both gets the same films in the same order.")


@st.cache_resource
def store(folder: str) -> QuizStore:
    return QuizStore(folder)


@st.cache_data(max_entries=64, show_spinner="Drawing the film…")
def film_image(seed: int):
    from ra_models.synthetic.phantom import render, sample_spec

    spec = sample_spec(seed)
    img, mask = render(spec, 384)
    return img, mask, spec.signs()


@st.cache_data(max_entries=256, show_spinner="Asking the model…")
def reveal(seed: int, model_dir: str):
    """The model's answer, heatmap overlay and the true-sign overlay for one film: the whole
    class sees the same films, so each is computed once, not once per student."""
    from explain.overlay import explained_overlay, mask_overlay

    img, mask, _ = film_image(seed)
    pred = get_xray_predictor()
    _, x, _ = pred.prepare(img)
    r = pred.result_from_input(x)
    hm = get_cam_explainer().heatmap(x, img.shape, "gradcam")
    overlay = explained_overlay(img, hm, alpha=0.6, muted=r.probability_ra < r.threshold)
    caption = f"The model: {r.display_label}, P(RA) {r.display_probability}. {hm.caption}"
    return r.probability_ra, caption, overlay, mask_overlay(img, mask)


c1, c2, c3 = st.columns([2, 2, 1])
code = c1.text_input("Session code", key="q_code", placeholder="given by the teacher")
difficulty = c2.selectbox("Difficulty", list(DIFFICULTIES), key="q_difficulty")
role = c3.radio("I am", ["student", "teacher"], key="q_role")
if not code.strip():
    st.info("Enter the session code your teacher gave you.", icon=":material/key:")
    st.stop()
db = store(str(Settings.from_env().quiz_dir))
films = film_sequence(code, N_FILMS, difficulty)

if role == "teacher":
    st.subheader(f"Session “{code.strip()}” — {difficulty}")
    summary = db.summary(code)
    if not summary:
        st.info("No answers yet.")
    else:
        st.dataframe([{**r, "correct": f"{r['correct']:.0%}",
                       "model P(RA)": "—" if r["model P(RA)"] is None else f"{r['model P(RA)']:.0%}"}
                      for r in summary], hide_index=True)
        st.dataframe([{**r, "correct": f"{r['correct']:.0%}"} for r in db.students(code)],
                     hide_index=True)
    st.stop()

name = st.text_input("Your name (as the teacher should see it)", key="q_name")
if not name.strip():
    st.stop()
i = min(st.session_state.get("q_index", 0), N_FILMS - 1)
film = films[i]
img, mask, signs = film_image(film.seed)
st.progress((i + 1) / N_FILMS, text=f"Film {i + 1} of {N_FILMS}")
locked = db.answer_of(code, name, film.index)
left, right = st.columns([3, 2])
left.image(img, caption=f"Film {i + 1}: is there an RA pattern?", clamp=True, width="stretch")
with right:
    choice = st.radio("Your answer", ANSWERS, index=None if locked is None else ANSWERS.index(locked),
                      key=f"q_answer_{code}_{i}", disabled=locked is not None)
    if locked is None:
        if st.button("Submit (locks your answer)", disabled=choice is None, key=f"q_submit_{i}"):
            db.record(code, name, film, choice, model_p=reveal(film.seed, xray_model_dir())[0])
            st.rerun()
        st.stop()
    truth = truth_answer(film)
    (st.success if locked == truth else st.error)(
        f"Truth: **{truth}** ({film.subtype.replace('_', ' ')}; signs: "
        f"{', '.join(signs) or 'none'}). You answered **{locked}** (locked).")
    if st.button("Next film", disabled=i + 1 >= N_FILMS, key=f"q_next_{i}"):
        st.session_state["q_index"] = i + 1
        st.rerun()

_, caption, overlay, truth_overlay = reveal(film.seed, xray_model_dir())
a, b = st.columns(2)
a.image(overlay, caption=caption, width="stretch")
b.image(truth_overlay, caption="True RA signs drawn by the generator (red)", width="stretch")
