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
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Difficulties a teacher can choose: generator 2.x subtypes.
DIFFICULTIES = {"mixed": None, "early RA": "early_ra", "established RA": "established_ra",
                "osteoarthritis": "oa", "erosive OA": "erosive_oa",
                "psoriatic arthritis": "psa", "gout": "gout", "healthy": "healthy"}
ANSWERS = ("RA", "not RA")


@dataclass(frozen=True)
class QuizFilm:
    index: int
    seed: int
    label: str  # truth: "RA" or "Normal"
    subtype: str
    forced: bool = False  # drawn at a chosen difficulty (its subtype forced), not "mixed"


def _code_int(code: str) -> int:
    return int.from_bytes(hashlib.sha256(code.strip().lower().encode()).digest()[:6], "big")


def film_sequence(code: str, n: int = 10, difficulty: str = "mixed") -> list[QuizFilm]:
    """``n`` films for a session code; the same for every student and every process."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
    want = DIFFICULTIES[difficulty]
    base = 2_000_000 + _code_int(code) % 1_000_000_000
    films = []
    for k in range(n):
        spec = film_spec(QuizFilm(k, base + k, "", want or "", want is not None))
        films.append(QuizFilm(k, base + k, spec.label, spec.subtype, want is not None))
    return films


def film_spec(film: QuizFilm):
    """The generator 2.x spec of a quiz film (its subtype forced when the teacher chose one)."""
    from .synthetic.cases import SUBTYPES, sample_spec

    forced = film.forced and film.subtype in SUBTYPES
    return sample_spec(film.seed, subtype=film.subtype if forced else None)


def joint_rows(truth: dict, readers: dict) -> list[dict]:
    """One row per SvH area: the true erosion/narrowing grade and each reader's (``readers``:
    name -> grades as in :func:`grade_agreement`; a reader given None is left out)."""
    from .synthetic.svh import AREA_NAMES, EROSION_AREAS, JSN_AREAS

    rows = []
    for a in dict.fromkeys([*EROSION_AREAS, *JSN_AREAS]):
        row = {"area": AREA_NAMES[a]}
        for kind in ("erosion", "narrowing"):
            if a in truth[kind]:
                row[f"{kind} truth"] = truth[kind][a]
                for name, grades in readers.items():
                    if grades is not None:
                        row[f"{kind} {name}"] = int(grades.get(kind, {}).get(a, 0))
        rows.append(row)
    return rows


def grade_agreement(truth: dict, grades: dict) -> dict:
    """How a reader's SvH grades agree with the truth on one film.

    ``truth`` is ``spec.svh()``; ``grades`` has "erosion" and "narrowing" dicts (area -> grade,
    missing = 0). Returns quadratic weighted kappa for erosion (16 areas), narrowing (15) and
    their mean, the share of areas graded exactly, and a row per area (:func:`joint_rows`).
    """
    from .synthetic.svh import EROSION_AREAS, EROSION_MAX, JSN_AREAS, JSN_MAX, weighted_kappa

    te = [truth["erosion"][a] for a in EROSION_AREAS]
    tj = [truth["narrowing"][a] for a in JSN_AREAS]
    ye = [int(grades.get("erosion", {}).get(a, 0)) for a in EROSION_AREAS]
    yj = [int(grades.get("narrowing", {}).get(a, 0)) for a in JSN_AREAS]
    ke, kj = weighted_kappa(te, ye, EROSION_MAX + 1), weighted_kappa(tj, yj, JSN_MAX + 1)
    exact = (np.sum(np.equal(te, ye)) + np.sum(np.equal(tj, yj))) / (len(te) + len(tj))
    return {"erosion_kappa": ke, "narrowing_kappa": kj, "kappa": (ke + kj) / 2,
            "exact": float(exact), "rows": joint_rows(truth, {"yours": grades})}


def grades_from_editor_state(erosion_state, narrowing_state) -> dict:
    """Grades from the two grading tables' widget states (Streamlit's data-editor state:
    ``{"edited_rows": {row: {"grade": g}}}``), edited cells over the default 0. Rows follow the
    SvH area order; a cleared cell stays 0."""
    from .synthetic.svh import EROSION_AREAS, EROSION_MAX, JSN_AREAS, JSN_MAX

    out = {}
    for kind, state, areas, top in (("erosion", erosion_state, EROSION_AREAS, EROSION_MAX),
                                    ("narrowing", narrowing_state, JSN_AREAS, JSN_MAX)):
        grades = dict.fromkeys(areas, 0)
        for row, change in ((state or {}).get("edited_rows") or {}).items():
            g = change.get("grade")
            if g is not None and 0 <= int(row) < len(areas):
                grades[areas[int(row)]] = int(min(max(int(g), 0), top))
        out[kind] = grades
    return out


def truth_answer(film: QuizFilm) -> str:
    return "RA" if film.label == "RA" else "not RA"


_BUSY_TIMEOUT_S = 10.0


def _use_wal(db: sqlite3.Connection) -> None:
    """Put the store's file in WAL mode (it stays so). SQLite does not apply the busy timeout to
    this switch: sessions opening a new store at the same moment got "database is locked"
    (3 in 60 trials of 20 at once), so the switch is retried within the same timeout."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class QuizStore:
    """Answers of every session, in ``folder/quiz.sqlite``."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "quiz.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            _use_wal(db)
            db.execute("""CREATE TABLE IF NOT EXISTS answers (
                code TEXT NOT NULL, student TEXT NOT NULL, film INTEGER NOT NULL,
                seed INTEGER NOT NULL, answer TEXT NOT NULL, truth TEXT NOT NULL,
                model_p REAL, at REAL NOT NULL, grades TEXT, kappa REAL,
                PRIMARY KEY (code, student, film))""")
            cols = {r[1] for r in db.execute("PRAGMA table_info(answers)")}
            for col, kind in (("grades", "TEXT"), ("kappa", "REAL")):  # stores from before
                if col not in cols:
                    db.execute(f"ALTER TABLE answers ADD COLUMN {col} {kind}")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)

    def record(self, code: str, student: str, film: QuizFilm, answer: str,
               model_p: float | None = None, grades: dict | None = None,
               kappa: float | None = None) -> str:
        """Store an answer (and the joint grades with their kappa, if given); returns the answer
        on record (the first one: answers lock)."""
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
        code, student = code.strip().lower(), student.strip()
        if not code or not student:
            raise ValueError("a session code and a name are needed")
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO answers (code, student, film, seed, answer, truth, "
                       "model_p, at, grades, kappa) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (code, student, film.index, film.seed, answer, truth_answer(film),
                        model_p, time.time(), json.dumps(grades) if grades else None, kappa))
            row = db.execute("SELECT answer FROM answers WHERE code=? AND student=? AND film=?",
                             (code, student, film.index)).fetchone()
        return row[0]

    def grades_of(self, code: str, student: str, film_index: int) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT grades FROM answers WHERE code=? AND student=? AND film=?",
                             (code.strip().lower(), student.strip(), film_index)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

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
                          AVG(model_p), AVG(kappa), COUNT(kappa)
                   FROM answers WHERE code=? GROUP BY film, truth ORDER BY film""",
                (code.strip().lower(),)).fetchall()
        return [{"film": f + 1, "truth": t, "answers": n, "said RA": int(ra or 0),
                 "correct": float(c), "model P(RA)": p, "mean κ": k, "graded": g}
                for f, t, n, ra, c, p, k, g in rows]

    def students(self, code: str) -> list[dict]:
        with self._connect() as db:
            rows = db.execute(
                """SELECT student, COUNT(*), AVG(answer = truth), AVG(kappa) FROM answers
                   WHERE code=? GROUP BY student ORDER BY student""",
                (code.strip().lower(),)).fetchall()
        return [{"student": s, "answered": n, "correct": float(c), "mean κ": k}
                for s, n, c, k in rows]
