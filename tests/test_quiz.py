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
