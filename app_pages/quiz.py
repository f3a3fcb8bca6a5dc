"""Class quiz: hidden phantom films in the same order for everyone with a session code; an
answer locks when submitted; then truth, the model's answer and its heatmap. A teacher view
shows the class's answers in aggregate (SQLite file under RA_QUIZ_DIR)."""

import streamlit as st

from ra_models import Settings
from ra_models.quiz import (
    ANSWERS,
    DIFFICULTIES,
    QuizStore,
    film_sequence,
    grade_agreement,
    grades_from_editor_state,
    joint_rows,
    truth_answer,
)
from ra_models.synthetic.cases import SUBTYPE_NAMES
from ui_common import (
    disclaimer,
    get_cam_explainer,
    get_svh_scorer,
    get_xray_predictor,
    xray_model_dir,
)

N_FILMS = 10

st.title("Class quiz")
disclaimer()
st.caption("Synthetic films with a known truth. The teacher chooses a session code and a "
           "difficulty; every student who enters both gets the same films in the same order.")


@st.cache_resource
def store(folder: str) -> QuizStore:
    return QuizStore(folder)


# Films and overlays are cached as PNG bytes: every rerun of every student's page then sends
# the same bytes instead of encoding the array again.
@st.cache_data(max_entries=64, show_spinner="Drawing the film…")
def film_image(film):
    from explain.overlay import gray_png
    from ra_models.quiz import film_spec
    from ra_models.synthetic.film import render

    spec = film_spec(film)
    img, mask = render(spec, 384)
    return img, mask, spec.signs(), spec.svh(), gray_png(img)


@st.cache_data(max_entries=256, show_spinner="Asking the models…")
def reveal(film, model_dir: str):
    """The model's answer, heatmap overlay, the true signs by type and the joint scorer's grades
    for one film: the whole class sees the same films, so each is computed once."""
    from explain.overlay import explained_overlay, sign_overlay, to_png
    from ra_models.preprocess import prepare_xray
    from ra_models.synthetic.lesions import MASK_LABELS
    from ra_models.xray.scorer import SCORER_INPUT

    img, mask, _, _, _ = film_image(film)
    pred = get_xray_predictor()
    _, x, _ = pred.prepare(img)
    r = pred.result_from_input(x)
    hm = get_cam_explainer().heatmap(x, img.shape, "gradcam")
    overlay = explained_overlay(img, hm, alpha=0.6, muted=r.probability_ra < r.threshold)
    caption = f"The model: {r.display_label}, P(RA) {r.display_probability}. {hm.caption}"
    truth_rgb, legend = sign_overlay(img, mask, MASK_LABELS)
    scorer = get_svh_scorer()
    grades = None
    if scorer is not None:
        s = scorer.score_input(prepare_xray(img, SCORER_INPUT))
        grades = {"erosion": s.erosion, "narrowing": s.narrowing}
    return r.probability_ra, caption, to_png(overlay), to_png(truth_rgb), legend, grades


def grades_from_state(key: str) -> dict:
    """A student's grades as the grading tables hold them in session state."""
    return grades_from_editor_state(st.session_state.get(f"{key}_erosion"),
                                    st.session_state.get(f"{key}_narrowing"))


def submit(code: str, name: str, film, i: int, truth_svh: dict) -> None:
    """Record the answer (and grades) in the button's callback, before the page reruns: the
    rerun then shows the locked answer and the truth — one script run per click."""
    choice = st.session_state.get(f"q_answer_{code}_{i}")
    if choice is None:
        return
    grades = grades_from_state(f"q_grid_{code}_{i}") if st.session_state.get(
        f"q_grade_{code}_{i}") else None
    agreement = grade_agreement(truth_svh, grades) if grades else None
    db.record(code, name, film, choice, model_p=reveal(film, xray_model_dir())[0], grades=grades,
              kappa=agreement["kappa"] if agreement else None)


def next_film(position_key: str, i: int) -> None:
    st.session_state[position_key] = i + 1


def grading_grid(key: str, locked_grades: dict | None) -> None:
    """Two compact editable tables (erosion 0–5, narrowing 0–4) over the SvH areas; what a
    student types is read back by :func:`grades_from_state` when they submit."""
    import pandas as pd

    from ra_models.synthetic.svh import AREA_NAMES, EROSION_AREAS, EROSION_MAX, JSN_AREAS, JSN_MAX

    cols = st.columns(2)
    for col, kind, areas, top in ((cols[0], "erosion", EROSION_AREAS, EROSION_MAX),
                                  (cols[1], "narrowing", JSN_AREAS, JSN_MAX)):
        before = (locked_grades or {}).get(kind, {})
        df = pd.DataFrame({"area": [AREA_NAMES[a] for a in areas],
                           "grade": [int(before.get(a, 0)) for a in areas]}).set_index("area")
        col.data_editor(
            df, key=f"{key}_{kind}", disabled=locked_grades is not None, height=35 * len(areas) + 40,
            column_config={"grade": st.column_config.NumberColumn(
                f"{kind} (0–{top})", min_value=0, max_value=top, step=1, required=True)})


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
        def pct(v):
            return "—" if v is None else f"{v:.0%}"

        def kap(v):
            return "—" if v is None else f"{v:.2f}"

        st.dataframe([{**r, "correct": pct(r["correct"]), "model P(RA)": pct(r["model P(RA)"]),
                       "mean κ": kap(r["mean κ"])} for r in summary], hide_index=True)
        st.dataframe([{**r, "correct": pct(r["correct"]), "mean κ": kap(r["mean κ"])}
                      for r in db.students(code)], hide_index=True)
        st.caption("κ: quadratic weighted kappa of a student's joint grades against the truth "
                   "(mean of erosion and narrowing), over the films they graded.")
    st.stop()

name = st.text_input("Your name (as the teacher should see it)", key="q_name")
if not name.strip():
    st.stop()


def _style(df):
    import pandas as pd

    out = pd.DataFrame("", index=df.index, columns=df.columns)
    for kind, colour in (("erosion", "#ff3c3c"), ("narrowing", "#ffa014")):
        t = f"{kind} truth"
        if t not in df:
            continue
        out.loc[df[t].fillna(0) > 0, t] = f"color: {colour}; font-weight: bold"
        for who in (f"{kind} yours", f"{kind} scorer"):
            if who in df:
                out.loc[(df[who] != df[t]) & df[t].notna(), who] = "background-color: #553"
    return out


# A fragment: Submit and Next rerun only the film, the answer and the reveal, so a class
# clicking at once costs the server and each browser one small update, not the whole page.
@st.fragment
def student_view(code: str, name: str, films: list, position_key: str) -> None:
    i = min(st.session_state.get(position_key, 0), N_FILMS - 1)
    film = films[i]
    img, mask, signs, truth_svh, film_png = film_image(film)
    st.progress((i + 1) / N_FILMS, text=f"Film {i + 1} of {N_FILMS}")
    locked = db.answer_of(code, name, film.index)
    left, right = st.columns([3, 2])
    left.image(film_png, caption=f"Film {i + 1}: is there an RA pattern?", width="stretch")
    with right:
        choice = st.radio("Your answer", ANSWERS,
                          index=None if locked is None else ANSWERS.index(locked),
                          key=f"q_answer_{code}_{i}", disabled=locked is not None)
        locked_grades = db.grades_of(code, name, film.index) if locked is not None else None
        grade = st.toggle("Grade the joints too (Sharp/van der Heijde)", key=f"q_grade_{code}_{i}",
                          value=locked_grades is not None, disabled=locked is not None)
    if grade:
        with st.expander("Your grades per area (DIPs are not scored for RA)",
                         expanded=locked is None):
            grading_grid(f"q_grid_{code}_{i}", locked_grades)
    if locked is None:
        right.button("Submit (locks your answer)", disabled=choice is None, key=f"q_submit_{i}",
                     on_click=submit, args=(code, name, film, i, truth_svh))
        return
    truth = truth_answer(film)
    (right.success if locked == truth else right.error)(
        f"Truth: **{truth}** ({SUBTYPE_NAMES.get(film.subtype, film.subtype)}; signs: "
        f"{', '.join(s.replace('_', ' ') for s in signs) or 'none'}). You answered **{locked}** "
        "(locked).")
    right.button("Next film", disabled=i + 1 >= N_FILMS, key=f"q_next_{i}", on_click=next_film,
                 args=(position_key, i))

    _, caption, overlay, truth_rgb, legend, model_grades = reveal(film, xray_model_dir())
    a, b = st.columns(2)
    a.image(overlay, caption=caption, width="stretch")
    b.image(truth_rgb, caption="Every sign the generator drew, by type", width="stretch")
    b.markdown(legend)
    st.subheader("Joints: the truth, your grades and the scorer's")
    yours = grade_agreement(truth_svh, locked_grades) if locked_grades else None
    model = grade_agreement(truth_svh, model_grades) if model_grades else None
    k1, k2 = st.columns(2)
    k1.metric("Your weighted κ vs truth", "not graded" if yours is None else f"{yours['kappa']:.2f}",
              help="Quadratic weighted kappa, mean of erosion (16 areas) and narrowing (15 areas)")
    k2.metric("Scorer's weighted κ vs truth",
              "no scorer" if model is None else f"{model['kappa']:.2f}")
    import pandas as pd

    table = pd.DataFrame(joint_rows(truth_svh, {"yours": locked_grades, "scorer": model_grades}))
    table = table.set_index("area")
    # A static table: the class's browsers render plain HTML faster than a data grid.
    st.table(table.style.apply(_style, axis=None).format("{:.0f}", na_rep="—"))
    st.caption("Truth in colour where a sign was drawn (red erosion, orange narrowing); a shaded "
               "cell differs from the truth. '—' = not an SvH area for that sign.")


# Each session code and difficulty is its own sequence: a student who switches keeps their place
# in each, instead of carrying a film number from one sequence into another.
student_view(code, name, films, f"q_index_{code.strip()}_{difficulty}")
