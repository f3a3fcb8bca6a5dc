"""Disease-activity scores for established RA: DAS28-ESR, DAS28-CRP, CDAI, SDAI, and the 2022
ACR/EULAR Boolean remission. Valid on real patients (unlike the synthetic-data lab model).

Formulas (TJC/SJC = tender/swollen joint counts of 28; PtGA = patient global assessment):

* DAS28-ESR = 0.56·√TJC + 0.28·√SJC + 0.70·ln(ESR mm/h) + 0.014·PtGA(0–100 mm)
  (Prevoo et al., Arthritis Rheum 1995;38:44).
* DAS28-CRP = 0.56·√TJC + 0.28·√SJC + 0.36·ln(CRP mg/L + 1) + 0.014·PtGA(0–100 mm) + 0.96
  (Wells et al., Ann Rheum Dis 2009;68:954; www.das-score.nl). CRP in **mg/L**.
* CDAI = SJC + TJC + PtGA(0–10) + EGA(0–10) (Aletaha et al., Arthritis Res Ther 2005;7:R796).
* SDAI = CDAI + CRP in **mg/dL** (Smolen et al., Rheumatology 2003;42:244).
* Bands: DAS28 remission < 2.6, low ≤ 3.2, moderate ≤ 5.1, high > 5.1; CDAI ≤ 2.8 / ≤ 10 /
  ≤ 22 / > 22; SDAI ≤ 3.3 / ≤ 11 / ≤ 26 / > 26 (Aletaha & Smolen, Clin Exp Rheumatol
  2005;23:S100; Anderson et al., Arthritis Care Res 2012;64:640).
* 2022 ACR/EULAR Boolean remission: TJC28 ≤ 1, SJC28 ≤ 1, CRP ≤ 1 mg/dL and PtGA ≤ 2 (0–10)
  (Studenic et al., Ann Rheum Dis 2023;82:74).

Each score is given only when all of its inputs are present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import InvalidLabValuesError
from .loader import bounded_number

DAS28_BANDS = ((2.6, "remission", "<"), (3.2, "low", "≤"), (5.1, "moderate", "≤"))
CDAI_BANDS = ((2.8, "remission", "≤"), (10.0, "low", "≤"), (22.0, "moderate", "≤"))
SDAI_BANDS = ((3.3, "remission", "≤"), (11.0, "low", "≤"), (26.0, "moderate", "≤"))


def band(value: float, bands) -> str:
    for limit, name, op in bands:
        if (value < limit) if op == "<" else (value <= limit + 1e-9):
            return name
    return "high"


def das28_esr(tjc: int, sjc: int, esr: float, ptga_mm: float) -> float:
    if esr <= 0:
        raise ValueError("DAS28-ESR needs an ESR above 0 mm/h (it takes its logarithm)")
    return 0.56 * math.sqrt(tjc) + 0.28 * math.sqrt(sjc) + 0.70 * math.log(esr) + 0.014 * ptga_mm


def das28_crp(tjc: int, sjc: int, crp_mg_l: float, ptga_mm: float) -> float:
    return (0.56 * math.sqrt(tjc) + 0.28 * math.sqrt(sjc) + 0.36 * math.log(crp_mg_l + 1)
            + 0.014 * ptga_mm + 0.96)


def cdai(tjc: int, sjc: int, ptga_0_10: float, ega_0_10: float) -> float:
    return tjc + sjc + ptga_0_10 + ega_0_10


def sdai(tjc: int, sjc: int, ptga_0_10: float, ega_0_10: float, crp_mg_dl: float) -> float:
    return cdai(tjc, sjc, ptga_0_10, ega_0_10) + crp_mg_dl


def boolean_remission_2022(tjc: int, sjc: int, crp_mg_dl: float, ptga_0_10: float) -> bool:
    return tjc <= 1 and sjc <= 1 and crp_mg_dl <= 1 and ptga_0_10 <= 2


@dataclass(frozen=True)
class Score:
    name: str
    value: float | bool
    band: str
    formula: str

    def to_dict(self) -> dict:
        v = self.value if isinstance(self.value, bool) else round(self.value, 2)
        return {"name": self.name, "value": v, "band": self.band, "formula": self.formula}


@dataclass(frozen=True)
class DiseaseActivity:
    scores: tuple[Score, ...] = ()
    missing: dict = field(default_factory=dict)  # score name -> what it still needs

    def to_dict(self) -> dict:
        return {"scores": [s.to_dict() for s in self.scores], "missing": dict(self.missing)}


def disease_activity(*, esr: float | None = None, crp: float | None = None, tjc28=None,
                     sjc28=None, patient_global_mm=None, evaluator_global=None) -> DiseaseActivity | None:
    """Every score whose inputs are complete. ``crp`` in mg/L (converted to mg/dL for SDAI and
    Boolean remission); patient global on the 0–100 mm VAS (÷ 10 for CDAI/SDAI/Boolean).
    Returns None when no activity input was given at all."""
    if all(v in (None, "") for v in (tjc28, sjc28, patient_global_mm, evaluator_global)):
        return None
    problems: dict = {}
    tjc = bounded_number(tjc28, "tjc28", 0, 28, "joints", problems, whole=True)
    sjc = bounded_number(sjc28, "sjc28", 0, 28, "joints", problems, whole=True)
    ptga = bounded_number(patient_global_mm, "patient_global_mm", 0, 100, "mm", problems)
    ega = bounded_number(evaluator_global, "evaluator_global", 0, 10, "", problems)
    if problems:
        raise InvalidLabValuesError(problems)
    have = {"TJC28": tjc is not None, "SJC28": sjc is not None, "patient global": ptga is not None,
            "evaluator global": ega is not None, "ESR": esr is not None, "CRP": crp is not None}
    scores, missing = [], {}

    def need(name, *keys):
        lack = [k for k in keys if not have[k]]
        if lack:
            missing[name] = lack
        return not lack

    if need("DAS28-ESR", "TJC28", "SJC28", "ESR", "patient global"):
        if esr <= 0:  # it takes ln(ESR)
            missing["DAS28-ESR"] = ["ESR above 0 mm/h"]
        else:
            v = das28_esr(tjc, sjc, esr, ptga)
            scores.append(Score("DAS28-ESR", v, band(v, DAS28_BANDS),
                                "0.56√TJC + 0.28√SJC + 0.70 ln(ESR) + 0.014 PtGA(mm)"))
    if need("DAS28-CRP", "TJC28", "SJC28", "CRP", "patient global"):
        v = das28_crp(tjc, sjc, crp, ptga)
        scores.append(Score("DAS28-CRP", v, band(v, DAS28_BANDS),
                            "0.56√TJC + 0.28√SJC + 0.36 ln(CRP mg/L + 1) + 0.014 PtGA(mm) + 0.96"))
    if need("CDAI", "TJC28", "SJC28", "patient global", "evaluator global"):
        v = cdai(tjc, sjc, ptga / 10, ega)
        scores.append(Score("CDAI", v, band(v, CDAI_BANDS), "TJC + SJC + PtGA(0–10) + EGA(0–10)"))
    if need("SDAI", "TJC28", "SJC28", "patient global", "evaluator global", "CRP"):
        v = sdai(tjc, sjc, ptga / 10, ega, crp / 10)
        scores.append(Score("SDAI", v, band(v, SDAI_BANDS), "CDAI + CRP(mg/dL)"))
    if need("Boolean remission (2022)", "TJC28", "SJC28", "CRP", "patient global"):
        ok = boolean_remission_2022(tjc, sjc, crp / 10, ptga / 10)
        scores.append(Score("Boolean remission (2022)", ok, "remission" if ok else "not in remission",
                            "TJC28 ≤ 1, SJC28 ≤ 1, CRP ≤ 1 mg/dL, PtGA ≤ 2/10"))
    return DiseaseActivity(tuple(scores), missing)
