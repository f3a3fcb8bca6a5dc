"""Batch prediction: many images or a CSV of patients. Bad items are listed, the rest processed."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from .errors import RAError


def batch_xray(predictor, items: Iterable[tuple[str, bytes]],
               progress: Callable[[int, int], None] | None = None, ood_checker=None) -> pd.DataFrame:
    """``items``: (name, bytes). One row per item with a result or an error; with an
    ``ood_checker``, films the model cannot judge get the label "Not assessable" and the reason
    in ``assessable`` (count them with ``(df.assessable != "yes").sum()``)."""
    from .analysis import NOT_ASSESSABLE_TEXT, analyse_xray

    items = list(items)
    rows = []
    cols = ["file", "label", "p_ra", "threshold", "assessable", "error"]
    for i, (name, data) in enumerate(items):
        try:
            a = analyse_xray(predictor, data, ood_checker)
            r = a.result
            rows.append({"file": name,
                         "label": r.display_label if a.assessable else NOT_ASSESSABLE_TEXT,
                         "p_ra": round(r.probability_ra, 4), "threshold": r.threshold,
                         "assessable": "yes" if a.assessable else "no: " + "; ".join(a.ood.reasons),
                         "error": ""})
        except RAError as e:
            rows.append({"file": name, "label": "", "p_ra": None, "threshold": None,
                         "assessable": "", "error": str(e)})
        if progress:
            progress(i + 1, len(items))
    return pd.DataFrame(rows, columns=cols)


def batch_clinical(predictor, data: bytes,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """A CSV of patients (paper features; Dataverse names and aliases accepted).

    Rows that fail validation get their reasons in ``error``; the others are predicted.
    """
    import io

    from .clinical.loader import canonical_columns
    from .errors import InvalidDataError

    try:
        raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InvalidDataError(f"The file is not a readable CSV table ({e}).") from e
    raw = raw.rename(columns=canonical_columns(raw.columns))
    rows = []
    for i, rec in enumerate(raw.to_dict("records")):
        values = {k: (v if v != "" else None) for k, v in rec.items()}
        out = {"row": i + 2, **{k: rec.get(k, "") for k in ("Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP")}}
        try:
            r = predictor.predict(values)
            out.update(label=r.display_label, p_ra=round(r.probability_ra, 4),
                       acr_eular_lab_points=r.acr_eular.lab_points,
                       not_measured=", ".join(r.not_measured), error="")
        except RAError as e:
            out.update(label="", p_ra=None, acr_eular_lab_points=None, not_measured="", error=str(e))
        rows.append(out)
        if progress:
            progress(i + 1, len(raw))
    return pd.DataFrame(rows)
