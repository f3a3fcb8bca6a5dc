"""Issue 12 §4 (part): the class quiz's film sequence, answer locking and the session store."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ra_models.quiz import QuizStore, film_sequence, truth_answer

ROOT = Path(__file__).resolve().parent.parent


def test_same_code_same_films_across_processes():
    films = film_sequence("RHEUM-101", 6, "mixed")
    code = ("from ra_models.quiz import film_sequence; "
            "print([f.seed for f in film_sequence('RHEUM-101', 6, 'mixed')])")
    for hashseed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"}, check=True)
        assert out.stdout.strip() == str([f.seed for f in films])
    assert [f.seed for f in film_sequence("other", 6)] != [f.seed for f in films]


def test_difficulty_draws_only_that_subtype():
    films = film_sequence("x", 4, "early RA")
    assert {f.subtype for f in films} == {"early_ra"} and all(f.label == "RA" for f in films)
    assert {truth_answer(f) for f in film_sequence("x", 3, "healthy")} == {"not RA"}
    with pytest.raises(ValueError):
        film_sequence("x", 2, "impossible")


def test_answers_lock_and_the_teacher_sees_the_aggregate(tmp_path):
    store = QuizStore(tmp_path)
    films = film_sequence("class-a", 3)
    assert store.record("Class-A", "ana", films[0], truth_answer(films[0])) == truth_answer(films[0])
    wrong = "RA" if truth_answer(films[0]) == "not RA" else "not RA"
    assert store.record("class-a", "ana", films[0], wrong) == truth_answer(films[0])  # locked
    store.record("class-a", "ben", films[0], wrong)
    s = store.summary("CLASS-A")
    assert s[0]["answers"] == 2 and s[0]["correct"] == 0.5
    assert {r["student"] for r in store.students("class-a")} == {"ana", "ben"}
    with pytest.raises(ValueError):
        store.record("class-a", "", films[1], "RA")
    with pytest.raises(ValueError):
        store.record("class-a", "cy", films[1], "maybe")


def test_store_is_safe_under_concurrent_sessions(tmp_path):
    films = film_sequence("busy", 5)
    errors = []

    def student(i):
        try:
            store = QuizStore(tmp_path)  # each session has its own connection
            for f in films:
                store.record("busy", f"s{i}", f, "RA")
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r["answers"] == 20 for r in QuizStore(tmp_path).summary("busy"))
    import sqlite3

    with sqlite3.connect(tmp_path / "quiz.sqlite") as db:  # the race did not leave it un-WAL'd
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_grading_joints_gives_weighted_kappa_against_the_truth(tmp_path):
    from ra_models.quiz import film_spec, grade_agreement

    film = film_sequence("svh-class", 1, "established RA")[0]
    truth = film_spec(film).svh()
    assert sum(truth["erosion"].values()) > 0  # established RA has graded erosions
    perfect = grade_agreement(truth, {"erosion": truth["erosion"], "narrowing": truth["narrowing"]})
    assert perfect["kappa"] == 1.0 and perfect["exact"] == 1.0
    nothing = grade_agreement(truth, {})
    assert nothing["kappa"] < 0.5 and nothing["exact"] < 1.0
    off_by_one = grade_agreement(truth, {"erosion": {a: min(g + 1, 5) for a, g in truth["erosion"].items()},
                                         "narrowing": truth["narrowing"]})
    assert nothing["kappa"] < off_by_one["kappa"] < 1.0
    row = next(r for r in perfect["rows"] if r["area"] == "2nd MCP")
    assert row["erosion truth"] == truth["erosion"]["MCP2"] and "narrowing truth" in row
    wrist = next(r for r in perfect["rows"] if r["area"] == "scaphoid")
    assert "narrowing truth" not in wrist  # not a narrowing area in SvH

    store = QuizStore(tmp_path)
    grades = {"erosion": truth["erosion"], "narrowing": truth["narrowing"]}
    store.record("svh-class", "ana", film, "RA", grades=grades, kappa=perfect["kappa"])
    store.record("svh-class", "ana", film, "RA", grades={"erosion": {}}, kappa=0.0)  # locked
    assert store.grades_of("svh-class", "ana", 0) == grades
    store.record("svh-class", "ben", film, "RA")  # answered without grading
    s = store.summary("svh-class")[0]
    assert s["mean κ"] == 1.0 and s["graded"] == 1 and s["answers"] == 2
    assert {r["student"]: r["mean κ"] for r in store.students("svh-class")} == {"ana": 1.0, "ben": None}


def test_a_store_from_before_joint_grading_is_upgraded_in_place(tmp_path):
    import sqlite3

    db = sqlite3.connect(tmp_path / "quiz.sqlite")
    db.execute("""CREATE TABLE answers (code TEXT NOT NULL, student TEXT NOT NULL,
                  film INTEGER NOT NULL, seed INTEGER NOT NULL, answer TEXT NOT NULL,
                  truth TEXT NOT NULL, model_p REAL, at REAL NOT NULL,
                  PRIMARY KEY (code, student, film))""")
    db.execute("INSERT INTO answers VALUES ('old', 'zoe', 0, 1, 'RA', 'RA', 0.9, 0)")
    db.commit()
    db.close()
    store = QuizStore(tmp_path)
    assert store.answer_of("old", "zoe", 0) == "RA" and store.grades_of("old", "zoe", 0) is None
    film = film_sequence("old", 2)[1]
    store.record("old", "zoe", film, "RA", grades={"erosion": {"MCP2": 1}}, kappa=0.5)
    assert store.students("old")[0]["mean κ"] == 0.5


def test_every_difficulty_gives_films_of_its_subtype_and_mixed_is_stable():
    from ra_models.quiz import DIFFICULTIES, film_spec

    for name, subtype in DIFFICULTIES.items():
        films = film_sequence("diff", 3, name)
        if subtype:
            assert {f.subtype for f in films} == {subtype}, name
        for f in films:  # the spec rebuilt from a stored film is the one the class saw
            assert film_spec(f).subtype == f.subtype


def test_grades_are_read_from_the_grading_tables_state():
    from ra_models.quiz import grades_from_editor_state

    g = grades_from_editor_state({"edited_rows": {"1": {"grade": 3}, 2: {"grade": None}}},
                                 {"edited_rows": {"14": {"grade": 9}}, "added_rows": []})
    assert g["erosion"]["MCP2"] == 3 and g["erosion"]["MCP3"] == 0  # row 1 = 2nd MCP; cleared = 0
    assert g["narrowing"]["RC"] == 4  # row 14 = radiocarpal, clipped to the top grade
    assert sum(g["erosion"].values()) == 3 and len(g["narrowing"]) == 15
    assert grades_from_editor_state(None, {}) == grades_from_editor_state({}, None)
