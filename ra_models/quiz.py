"""A class quiz on hidden phantom films: the same sequence for everyone with a session code,
answers that lock, and a teacher's aggregate — stored in one small SQLite file.

* :func:`film_sequence` turns a session code into film seeds (SHA-256 of the code, never
  Python's salted ``hash``: every process and every student gets the same films), each drawn at a
  chosen difficulty (a generator subtype).
* :class:`QuizStore` records answers in SQLite (WAL journal, a busy timeout, one short
  transaction per answer): safe when many Streamlit sessions answer at once. The first answer
  to a film is the one kept (answers lock).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

#: Difficulties a teacher can choose: generator subtypes (generator 1.x).
DIFFICULTIES = {"mixed": None, "early RA": "early_ra", "established RA": "established_ra",
                "osteoarthritis": "oa", "healthy": "healthy"}
ANSWERS = ("RA", "not RA")


@dataclass(frozen=True)
class QuizFilm:
    index: int
    seed: int
    label: str  # truth: "RA" or "Normal"
    subtype: str


def _code_int(code: str) -> int:
    return int.from_bytes(hashlib.sha256(code.strip().lower().encode()).digest()[:6], "big")


def film_sequence(code: str, n: int = 10, difficulty: str = "mixed") -> list[QuizFilm]:
    """``n`` films for a session code; the same for every student and every process."""
    from .synthetic.phantom import sample_spec

    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
    want = DIFFICULTIES[difficulty]
    base = 2_000_000 + _code_int(code) % 1_000_000_000
    films, k = [], 0
    while len(films) < n:
        seed = base + k
        k += 1
        spec = sample_spec(seed)
        if want is None or spec.subtype == want:
            films.append(QuizFilm(len(films), seed, spec.label, spec.subtype))
        if k > 200 * n:
            raise RuntimeError("could not draw films of that difficulty")
    return films


def truth_answer(film: QuizFilm) -> str:
    return "RA" if film.label == "RA" else "not RA"


class QuizStore:
    """Answers of every session, in ``folder/quiz.sqlite``."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "quiz.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("""CREATE TABLE IF NOT EXISTS answers (
                code TEXT NOT NULL, student TEXT NOT NULL, film INTEGER NOT NULL,
                seed INTEGER NOT NULL, answer TEXT NOT NULL, truth TEXT NOT NULL,
                model_p REAL, at REAL NOT NULL,
                PRIMARY KEY (code, student, film))""")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0, isolation_level=None)

    def record(self, code: str, student: str, film: QuizFilm, answer: str,
               model_p: float | None = None) -> str:
        """Store an answer; returns the answer on record (the first one: answers lock)."""
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
        code, student = code.strip().lower(), student.strip()
        if not code or not student:
            raise ValueError("a session code and a name are needed")
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (code, student, film.index, film.seed, answer, truth_answer(film),
                        model_p, time.time()))
            row = db.execute("SELECT answer FROM answers WHERE code=? AND student=? AND film=?",
                             (code, student, film.index)).fetchone()
        return row[0]

    def answer_of(self, code: str, student: str, film_index: int) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT answer FROM answers WHERE code=? AND student=? AND film=?",
                             (code.strip().lower(), student.strip(), film_index)).fetchone()
        return row[0] if row else None

    def summary(self, code: str) -> list[dict]:
        """Per film: how many answered, how many said RA, share correct, the truth."""
        with self._connect() as db:
            rows = db.execute(
                """SELECT film, truth, COUNT(*), SUM(answer = 'RA'), AVG(answer = truth),
                          AVG(model_p)
                   FROM answers WHERE code=? GROUP BY film, truth ORDER BY film""",
                (code.strip().lower(),)).fetchall()
        return [{"film": f + 1, "truth": t, "answers": n, "said RA": int(ra or 0),
                 "correct": float(c), "model P(RA)": p} for f, t, n, ra, c, p in rows]

    def students(self, code: str) -> list[dict]:
        with self._connect() as db:
            rows = db.execute(
                """SELECT student, COUNT(*), AVG(answer = truth) FROM answers WHERE code=?
                   GROUP BY student ORDER BY student""", (code.strip().lower(),)).fetchall()
        return [{"student": s, "answered": n, "correct": float(c)} for s, n, c in rows]
