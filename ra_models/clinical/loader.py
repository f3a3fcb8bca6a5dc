"""Load and validate lab data: the Dataverse CSV as is, or a 6-column file with the paper's features.

Units expected (documented in the README): Age years, ESR mm/h (Westergren), CRP mg/L,
RF IU/mL, Anti-CCP U/mL; Gender ``Male``/``Female`` (also ``M``/``F``, any case). Empty cells
are missing values. Every bad cell is reported (row, column, value, allowed range), not just
the first one, and nothing is changed until the whole file is valid.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, InvalidLabValuesError
from .schema import ALIASES, FEATURE_BY_NAME, FEATURES, GENDER_VALUES, NORMAL_NAME, RA_NAME

_GENDER_MAP = {"female": "Female", "f": "Female", "woman": "Female", "male": "Male", "m": "Male",
               "man": "Male"}


def _key(col: str) -> str:
    return re.sub(r"[\s_\-()/\[\].]", "", str(col)).lower()


def canonical_columns(columns) -> dict[str, str]:
    """Map the file's column names to canonical ones (unknown columns are kept as they are)."""
    out = {}
    for c in columns:
        k = _key(c)
        if k in ALIASES:
            out[c] = ALIASES[k]
        else:
            # also accept names with units, e.g. "CRP (mg/L)" -> "crpmgl"
            out[c] = next((v for a, v in ALIASES.items() if k.startswith(a) and len(a) > 2), c)
    return out


def normalise_gender(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _GENDER_MAP.get(str(value).strip().lower())


def load_lab_table(source, *, require_label: bool = False) -> pd.DataFrame:
    """Read a CSV (path, bytes or file) and return a validated frame with canonical columns.

    Raises:
        InvalidDataError listing every problem (missing columns, non-numeric or out-of-range
        cells, unknown gender values).
    """
    try:
        if isinstance(source, (bytes, bytearray)):
            raw = pd.read_csv(io.BytesIO(source), dtype=str, keep_default_na=True)
        elif isinstance(source, (str, os.PathLike)):
            raw = pd.read_csv(source, dtype=str, keep_default_na=True)
        else:
            raw = pd.read_csv(source, dtype=str, keep_default_na=True)
    except FileNotFoundError as e:
        raise InvalidDataError(f"CSV file '{source}' does not exist.") from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InvalidDataError(f"The file is not a readable CSV table ({e}).") from e
    mapping = canonical_columns(raw.columns)
    dup = [v for v in set(mapping.values()) if list(mapping.values()).count(v) > 1]
    if dup:
        raise InvalidDataError(f"Columns map to the same feature twice: {', '.join(sorted(dup))}.")
    df = raw.rename(columns=mapping)
    needed = list(FEATURES) + (["Disease"] if require_label else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InvalidDataError(
            f"Missing column(s): {', '.join(missing)}. Expected the paper's features "
            f"{', '.join(FEATURES)}" + (" and Disease" if require_label else "")
            + f"; found: {', '.join(map(str, raw.columns))}."
        )
    problems: list[str] = []
    out = pd.DataFrame(index=df.index)
    for col in FEATURES:
        if col == "Gender":
            vals = df[col].map(lambda v: normalise_gender(v) if isinstance(v, str) else None)
            for i, (orig, norm) in enumerate(zip(df[col], vals)):
                if isinstance(orig, str) and orig.strip() and pd.isna(norm):
                    problems.append(f"row {i + 2}, column Gender: '{orig}' is not one of "
                                    f"{'/'.join(GENDER_VALUES)} (or M/F)")
            out[col] = vals
            continue
        f = FEATURE_BY_NAME[col]
        num = pd.to_numeric(df[col].str.strip() if df[col].dtype == object else df[col],
                            errors="coerce")
        for i, (orig, v) in enumerate(zip(df[col], num)):
            given = isinstance(orig, str) and orig.strip() != ""
            if given and (pd.isna(v) or not np.isfinite(v)):
                problems.append(f"row {i + 2}, column {col}: '{orig}' is not a number ({f.unit})")
            elif given and not (f.min <= v <= f.max):
                problems.append(f"row {i + 2}, column {col}: {orig} is outside the allowed range "
                                f"{f.min:g}–{f.max:g} {f.unit}")
        out[col] = num.astype(float)
    blank_age = df["Age"].map(lambda v: not (isinstance(v, str) and v.strip())).to_numpy(bool)
    if blank_age.any():
        rows = (np.flatnonzero(blank_age) + 2)[:20]
        problems.append(f"column Age: missing in row(s) {', '.join(map(str, rows))}; Age is required")
    if "Disease" in df.columns:
        out["Disease"] = df["Disease"].astype(object).where(df["Disease"].notna(), None)
        if require_label and out["Disease"].isna().any():
            rows = (np.flatnonzero(out["Disease"].isna().to_numpy()) + 2)[:20]
            problems.append(f"column Disease: missing in row(s) {', '.join(map(str, rows))}")
    for extra in df.columns:
        if extra not in out.columns:
            out[extra] = df[extra]
    if problems:
        raise InvalidDataError(f"{len(problems)} problem(s) in the lab data:", problems)
    return out


def labels_for(df: pd.DataFrame, task: str = "ra_vs_rest") -> tuple[pd.DataFrame, np.ndarray]:
    """Binary target. ``ra_vs_rest``: RA vs every other class; ``ra_vs_normal``: RA vs Normal only."""
    if "Disease" not in df.columns:
        raise InvalidDataError("The data have no Disease column, so there is nothing to learn from.")
    d = df["Disease"].astype(str).str.strip()
    is_ra = d.str.lower().isin([RA_NAME.lower(), "ra", "1", "true", "yes"])
    if task == "ra_vs_normal":
        keep = is_ra | d.str.lower().isin([NORMAL_NAME.lower(), "0", "healthy", "control"])
        return df[keep].reset_index(drop=True), is_ra[keep].to_numpy().astype(int)
    if task != "ra_vs_rest":
        raise ValueError(f"task must be 'ra_vs_rest' or 'ra_vs_normal', not {task!r}")
    return df.reset_index(drop=True), is_ra.to_numpy().astype(int)


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")


def parse_number(v) -> float | None:
    """A JSON number or a plain ASCII decimal string -> float; anything else -> None.

    Python's ``float()`` also takes "5_4", Arabic-Indic digits "٥٤", "nan", "infinity" and
    integers of any size (which overflow); a lab value is none of those.
    """
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return float(v) if abs(v) < 10**15 else float("inf")
    if isinstance(v, float):
        return v
    if isinstance(v, str):
        t = v.strip()
        if len(t) <= 40 and _DECIMAL.fullmatch(t):
            return float(t)
    return None


def echo(v, n: int = 40) -> str:
    """A user's value quoted back in a message, cut to ``n`` characters."""
    text = repr(v) if not isinstance(v, str) else f"'{v}'"
    return text if len(text) <= n else text[: n - 1] + "…'"



def bounded_number(v, field: str, lo: float, hi: float, unit: str, problems: dict,
                   whole: bool = False):
    """An optional number in [lo, hi] (a whole one if ``whole``), parsed like a lab value;
    None when empty. A bad value is recorded in ``problems[field]`` and gives None."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    x = parse_number(v)
    if x is None or not math.isfinite(x) or not (lo <= x <= hi) or (whole and x != int(x)):
        kind = "a whole number" if whole else "a number"
        problems[field] = f"{echo(v)} is not {kind} in {lo:g}–{hi:g}{(' ' + unit) if unit else ''}"
        return None
    return int(x) if whole else x

def validate_lab_values(values: Mapping) -> dict:
    """Validate one patient's values (form or JSON). Returns a clean dict or raises
    :class:`InvalidLabValuesError` with one message per bad field.

    Age and Gender are required; ESR, CRP, RF and Anti-CCP may be missing (None or empty).
    """
    lookup = {ALIASES.get(_key(k), k): v for k, v in dict(values).items()}
    problems: dict[str, str] = {}
    clean: dict = {}
    g = lookup.get("Gender")
    norm = normalise_gender(g) if g not in (None, "") else None
    if norm is None:
        problems["Gender"] = ("is required: Female or Male" if g in (None, "")
                              else f"{echo(g)} is not one of Female/Male")
    clean["Gender"] = norm
    for col in ("Age", "ESR", "CRP", "RF", "Anti-CCP"):
        f = FEATURE_BY_NAME[col]
        v = lookup.get(col)
        if v is None or (isinstance(v, str) and not v.strip()):
            if col == "Age":
                problems[col] = f"is required ({f.min:g}–{f.max:g} {f.unit})"
            clean[col] = None
            continue
        x = parse_number(v)
        if x is None:
            problems[col] = f"{echo(v)} is not a number ({f.unit}); write digits such as 12.5"
            continue
        if not math.isfinite(x) or not (f.min <= x <= f.max):
            problems[col] = f"{echo(v)} is outside the allowed range {f.min:g}–{f.max:g} {f.unit}"
            continue
        if col == "Age" and x != int(x):
            problems[col] = f"{echo(v)} is not a whole number of years"
            continue
        clean[col] = x
    if problems:
        raise InvalidLabValuesError(problems)
    return clean


def load_training_table(data: str | Path | None, *, n: int, seed: int):
    """(frame, provenance) from a CSV, or from a fresh synthetic cohort when ``data`` is None."""
    if data is None:
        from .cohort import COHORT_VERSION, generate_cohort

        df = generate_cohort(n, seed)
        prov = {"source": "synthetic cohort", "generator": "ra_models.clinical.cohort",
                "cohort_version": COHORT_VERSION, "seed": seed, "n_patients": n,
                "recreate": f"python -m ra_models cohort --out FILE.csv --n {n} --seed {seed}"}
        return load_lab_table(df.to_csv(index=False).encode(), require_label=True), prov
    raw = Path(data).read_bytes()
    return load_lab_table(raw, require_label=True), {
        "source": "user data", "file": str(data), "sha256": hashlib.sha256(raw).hexdigest()}
