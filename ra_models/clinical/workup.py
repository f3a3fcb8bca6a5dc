"""Everything beside the six lab values that a clinical request may carry, parsed and checked
in one place for the Streamlit page, the Flask form and the JSON API.

Fields (all optional): ``crp_unit`` ("mg/L" default or "mg/dL": CRP is stored in mg/L),
``prior`` (pretest probability, 0.001–0.999, or a percentage string "30%"), ``joints`` (joint
codes, :mod:`ra_models.clinical.joints`) or ``small_joints``/``large_joints`` (counts),
``symptom_weeks``, ``entry_gate`` and ``erosive`` (yes/no), ``uln`` (``{"rf", "anti_ccp",
"crp", "esr"}``; CRP's in the same unit as CRP), ``tjc28``/``sjc28``/``tender``/``swollen``
(counts or joint codes), ``patient_global_mm`` (0–100) and ``evaluator_global`` (0–10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..errors import InvalidLabValuesError
from .acr_eular import ULN
from .joints import DAS28_JOINTS, check_joints
from .loader import bounded_number, echo, parse_number

CRP_UNITS = {"mg/L": 1.0, "mg/dL": 10.0}  # factor to mg/L
_TRUE = {"yes", "true", "1", "y", "on"}
_FALSE = {"no", "false", "0", "n", "off"}


def _empty(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _yes_no(v, field: str, problems: dict) -> bool | None:
    if _empty(v):
        return None
    if isinstance(v, bool):
        return v
    t = str(v).strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    problems[field] = f"{echo(v)} is not yes or no"
    return None


def crp_unit(values: Mapping) -> str:
    unit = values.get("crp_unit") or "mg/L"
    if unit not in CRP_UNITS:
        raise InvalidLabValuesError({"crp_unit": f"{echo(unit)} is not one of mg/L, mg/dL"})
    return unit


def labs_in_canonical_units(values: Mapping) -> dict:
    """The six lab fields with CRP converted to mg/L (a typed string stays exact: '1.2' mg/dL
    becomes 12 mg/L)."""
    out = dict(values)
    unit = crp_unit(values)
    if unit != "mg/L" and not _empty(values.get("CRP")):
        x = parse_number(values.get("CRP"))
        if x is not None and math.isfinite(x):
            out["CRP"] = x * CRP_UNITS[unit]
    return out


def parse_extras(values: Mapping) -> dict:
    """Keyword arguments for :meth:`ClinicalPredictor.predict` from a request's other fields;
    raises :class:`InvalidLabValuesError` naming every bad field."""
    problems: dict = {}
    unit = crp_unit(values)
    prior = values.get("prior")
    if isinstance(prior, str) and prior.strip().endswith("%"):
        p = bounded_number(prior.strip()[:-1], "prior", 0.1, 99.9, "%", problems)
        prior = None if p is None else p / 100
    else:
        prior = bounded_number(prior, "prior", 0.001, 0.999, "(a probability, e.g. 0.3)", problems)
    acr: dict = {}
    joints = values.get("joints")
    try:
        if joints is not None and not _empty(joints):
            acr["joints"] = check_joints(joints, "joints")
    except ValueError as e:
        problems["joints"] = str(e)
    small = bounded_number(values.get("small_joints"), "small_joints", 0, 40, "joints", problems, True)
    large = bounded_number(values.get("large_joints"), "large_joints", 0, 10, "joints", problems, True)
    weeks = bounded_number(values.get("symptom_weeks"), "symptom_weeks", 0, 5200, "weeks", problems)
    gate = _yes_no(values.get("entry_gate"), "entry_gate", problems)
    erosive = _yes_no(values.get("erosive"), "erosive", problems)
    if gate is not None:
        acr["entry_gate"] = gate
    if erosive is not None:
        acr["erosive"] = erosive
    uln_in = values.get("uln") or {}
    if not isinstance(uln_in, Mapping):
        problems["uln"] = "must be an object such as {\"rf\": 14, \"anti_ccp\": 7}"
        uln_in = {}
    uln_kw = {}
    for key, hi, u in (("rf", 1000, "IU/mL"), ("anti_ccp", 1000, "U/mL"), ("crp", 500, unit),
                       ("esr", 150, "mm/h")):
        v = bounded_number(uln_in.get(key), f"uln.{key}", 0.01, hi, u, problems)
        if v is not None:
            uln_kw[key] = v * (CRP_UNITS[unit] if key == "crp" else 1.0)
    if uln_kw:
        acr["uln"] = ULN(**uln_kw)
    activity = {}
    for key, side in (("tjc28", "tender"), ("sjc28", "swollen")):
        codes = values.get(side)
        if codes is not None and not _empty(codes):
            try:
                picked = check_joints(codes, side)
            except ValueError as e:
                problems[side] = str(e)
                continue
            not28 = [c for c in picked if c not in DAS28_JOINTS]
            if not28:
                problems[side] = f"{', '.join(not28[:4])} are not among the 28 joints"
                continue
            activity[key] = len(picked)
        elif not _empty(values.get(key)):
            activity[key] = bounded_number(values.get(key), key, 0, 28, "joints", problems, True)
    activity["patient_global_mm"] = bounded_number(values.get("patient_global_mm"), "patient_global_mm",
                                            0, 100, "mm", problems)
    activity["evaluator_global"] = bounded_number(values.get("evaluator_global"), "evaluator_global",
                                           0, 10, "", problems)
    activity = {k: v for k, v in activity.items() if v is not None}
    if problems:
        raise InvalidLabValuesError(problems)
    return {"prior": prior, "small_joints": small, "large_joints": large, "symptom_weeks": weeks,
            "acr_options": acr, "activity": activity}
