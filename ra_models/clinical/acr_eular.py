"""2010 ACR/EULAR rheumatoid arthritis classification criteria (Aletaha et al., ARD 2010;69:1580).

Domains (score ≥ 6/10 = classifiable as definite RA):

* A. Joint involvement: 1 large joint 0; 2–10 large 1; 1–3 small 2; 4–10 small 3;
  > 10 joints (≥ 1 small) 5. Needs a swollen/tender joint count (optional input here).
* B. Serology: RF and ACPA negative 0; low positive (> ULN and ≤ 3 × ULN) 2; high positive
  (> 3 × ULN) 3. At least one test needed.
* C. Acute-phase reactants: CRP and ESR normal 0; either abnormal 1. At least one needed.
* D. Symptom duration: < 6 weeks 0; ≥ 6 weeks 1 (optional input here).

It is a *classification* criterion for patients with at least one clinically swollen joint
not better explained by another disease (the **entry criterion**), not a diagnostic rule:
without the entry criterion confirmed, no total is given ("criteria not applicable"). Patients
with erosions typical of RA are classified as RA whatever the score (the **erosive-disease
pathway**; EULAR definition, van der Heijde et al., Ann Rheum Dis 2013;72:479: cortical breaks
in ≥ 3 separate joints among PIPs, MCPs, the wrist counted as one joint, and MTPs, on hand
and foot radiographs). With joints or duration not entered, only the lab domains are scored
("lab domains B + C = x / 4"), never "0/10". Defaults (configurable): RF ULN 20 IU/mL, anti-CCP ULN 20 U/mL,
CRP ULN 10 mg/L, ESR ULN age/2 (men) and (age + 10)/2 (women) mm/h (Miller 1983).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class ULN:
    rf: float = 20.0  # IU/mL
    anti_ccp: float = 20.0  # U/mL
    crp: float = 10.0  # mg/L
    esr: float | None = None  # mm/h; None = age/sex-adjusted


@dataclass(frozen=True)
class Item:
    domain: str
    category: str
    points: int
    reason: str


@dataclass(frozen=True)
class AcrEularResult:
    score: int  # points of the domains assessed (a total only when ``complete``)
    max_possible: int  # the best score reachable given the domains not assessed
    classifiable: bool  # applicable and (score >= 6 or erosive pathway)
    complete: bool  # all four domains assessed
    items: tuple[Item, ...] = field(default_factory=tuple)
    missing: tuple[str, ...] = ()
    entry_gate: bool | None = None  # ≥ 1 swollen joint not better explained by another disease
    erosive: bool | None = None  # typical erosions (EULAR 2013 definition)
    lab_points: int | None = None  # domains B + C (0–4), None if neither assessed
    excluded_joints: int = 0  # picked joints the criteria do not count

    @property
    def applicable(self) -> bool:
        return self.entry_gate is True

    @property
    def total(self) -> int | None:
        """The 0–10 total, only when the criteria apply and all four domains are assessed."""
        return self.score if self.applicable and self.complete else None

    @property
    def lab_domains(self) -> str:
        return "lab domains B + C = " + ("not assessed" if self.lab_points is None
                                         else f"{self.lab_points} / 4")

    @property
    def verdict(self) -> str:
        if self.entry_gate is False:
            return ("criteria not applicable: they classify only patients with ≥ 1 clinically "
                    f"swollen joint not better explained by another disease ({self.lab_domains})")
        if self.erosive and self.applicable:
            return ("classified as RA by the erosive-disease pathway (typical erosions in ≥ 3 "
                    "separate joints, EULAR 2013), whatever the score")
        if not self.applicable:
            return ("criteria not applicable until the entry criterion is confirmed (≥ 1 "
                    f"clinically swollen joint not better explained by another disease); {self.lab_domains}")
        if not self.complete:
            return (f"{self.lab_domains}; enter {', '.join(self.missing)} for a total out of 10"
                    + (" (≥ 6 still reachable)" if self.max_possible >= 6 else " (< 6 whatever is entered)"))
        if self.classifiable:
            return f"{self.score}/10: meets the 2010 ACR/EULAR classification criteria (≥ 6)"
        return f"{self.score}/10: does not meet the criteria (< 6)"

    def to_dict(self) -> dict:
        return {"total": self.total, "applicable": self.applicable, "entry_gate": self.entry_gate,
                "erosive": self.erosive, "lab_domains": {"points": self.lab_points, "max": 4},
                "max_possible": self.max_possible, "classifiable": self.classifiable,
                "complete": self.complete, "verdict": self.verdict, "missing": list(self.missing),
                "excluded_joints": self.excluded_joints,
                "items": [i.__dict__ for i in self.items]}


def esr_uln(age: float, gender: str | None) -> float:
    """Age/sex-adjusted ESR ULN (Miller 1983); unknown sex uses the women's (higher) limit."""
    return (age + 10) / 2 if gender != "Male" else age / 2


def _known(value):
    """None for a missing value: None or NaN (NaN is "not measured", never a titre)."""
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def _exact(x: float) -> Fraction | float:
    """The decimal a person typed, exactly: 3.6 is 36/10, so 3.6 ≤ 3 × 1.2 holds (in binary
    floating point 3 * 1.2 = 3.5999…96 and 3.6 would score as high positive)."""
    return Fraction(repr(float(x))) if math.isfinite(x) else float(x)


def _gt(value: float, limit) -> bool:
    limit = limit if isinstance(limit, Fraction) else _exact(limit)
    return _exact(value) > limit


def _sero_level(value: float | None, uln: float) -> int | None:
    if value is None:
        return None
    if not _gt(value, uln):
        return 0
    return 2 if not _gt(value, 3 * _exact(uln)) else 3


def _joint_points(small: int | None, large: int | None) -> tuple[int, str] | None:
    if small is None and large is None:
        return None
    small, large = int(small or 0), int(large or 0)
    total = small + large
    if small >= 1 and total > 10:
        return 5, f">10 joints ({small} small, {large} large)"
    if 4 <= small <= 10:
        return 3, f"4–10 small joints ({small})"
    if 1 <= small <= 3:
        return 2, f"1–3 small joints ({small})"
    if 2 <= large <= 10:
        return 1, f"2–10 large joints ({large})"
    if large > 10:  # >10 large joints without a small joint stays in the large-joint category
        return 1, f">10 large joints but no small joint ({large})"
    return 0, f"{large} large joint{'s' if large != 1 else ''}, no small joint"


def acr_eular_2010(*, rf: float | None = None, anti_ccp: float | None = None,
                   crp: float | None = None, esr: float | None = None, age: float | None = None,
                   gender: str | None = None, small_joints: int | None = None,
                   large_joints: int | None = None, symptom_weeks: float | None = None,
                   uln: ULN = ULN(), joints=None, entry_gate: bool | None = None,
                   erosive: bool | None = None) -> AcrEularResult:
    """Score the criteria from whatever is known; unassessed domains are listed in ``missing``.

    None and NaN both mean "not measured". Limits are compared exactly on the decimal values
    given (a value of exactly 3 × ULN is low positive, whatever the ULN's decimals)."""
    rf, anti_ccp, crp, esr, age = map(_known, (rf, anti_ccp, crp, esr, age))
    excluded = 0
    if joints is not None:  # a joint picker: counts follow from the codes
        from .joints import acr_counts, check_joints

        small_joints, large_joints, excluded = acr_counts(check_joints(joints, "joints"))
    items: list[Item] = []
    missing: list[str] = []
    score = 0
    headroom = 0

    jp = _joint_points(small_joints, large_joints)
    if jp is None:
        missing.append("joint count")
        headroom += 5
    else:
        items.append(Item("A. Joint involvement", jp[1], jp[0], "swollen or tender joints "
                          "(DIP, first CMC and first MTP excluded)"))
        score += jp[0]

    rf_l, ccp_l = _sero_level(rf, uln.rf), _sero_level(anti_ccp, uln.anti_ccp)
    if rf_l is None and ccp_l is None:
        missing.append("RF or anti-CCP")
        headroom += 3
    else:
        pts = max(x for x in (rf_l, ccp_l) if x is not None)
        parts = []
        for name, v, lvl, u, unit in (("RF", rf, rf_l, uln.rf, "IU/mL"),
                                      ("anti-CCP", anti_ccp, ccp_l, uln.anti_ccp, "U/mL")):
            if lvl is None:
                parts.append(f"{name} not measured")
            else:
                kind = {0: "negative", 2: "low positive", 3: "high positive"}[lvl]
                rel = "≤ ULN" if lvl == 0 else ("≤ 3×ULN" if lvl == 2 else "> 3×ULN")
                parts.append(f"{name} {v:g} {unit} {kind} ({rel}; ULN {u:g})")
        cat = {0: "negative RF and ACPA", 2: "low-positive RF or ACPA",
               3: "high-positive RF or ACPA"}[pts]
        items.append(Item("B. Serology", cat, pts, "; ".join(parts)))
        score += pts

    esr_limit = None
    if esr is not None:
        esr_limit = uln.esr if uln.esr is not None else (esr_uln(age, gender) if age is not None else None)
    crp_abn = None if crp is None else _gt(crp, uln.crp)
    esr_abn = None if esr is None or esr_limit is None else _gt(esr, esr_limit)
    if crp_abn is None and esr_abn is None:
        missing.append("CRP or ESR" + (" (ESR needs age)" if esr is not None and age is None else ""))
        headroom += 1
    else:
        pts = 1 if (crp_abn or esr_abn) else 0
        parts = []
        if crp is not None:
            parts.append(f"CRP {crp:g} mg/L {'>' if crp_abn else '≤'} {uln.crp:g}")
        if esr_abn is not None:
            parts.append(f"ESR {esr:g} mm/h {'>' if esr_abn else '≤'} {esr_limit:g}")
        items.append(Item("C. Acute-phase reactants",
                          "abnormal CRP or ESR" if pts else "normal CRP and ESR", pts,
                          "; ".join(parts)))
        score += pts

    if symptom_weeks is None:
        missing.append("symptom duration")
        headroom += 1
    else:
        pts = 1 if symptom_weeks >= 6 else 0
        items.append(Item("D. Symptom duration", "≥ 6 weeks" if pts else "< 6 weeks", pts,
                          f"{symptom_weeks:g} weeks"))
        score += pts

    lab = [i.points for i in items if i.domain[0] in "BC"]
    applicable = entry_gate is True
    return AcrEularResult(score=score, max_possible=score + headroom,
                          classifiable=applicable and (score >= 6 or bool(erosive)),
                          complete=not missing, items=tuple(items), missing=tuple(missing),
                          entry_gate=entry_gate, erosive=erosive,
                          lab_points=sum(lab) if lab else None, excluded_joints=excluded)


def serology_acute_phase_score(rf, anti_ccp, crp, esr, age, gender, uln: ULN = ULN()) -> int:
    """Domains B + C only (0–4): the part of the criteria that lab values alone can score."""
    r = acr_eular_2010(rf=rf, anti_ccp=anti_ccp, crp=crp, esr=esr, age=age, gender=gender, uln=uln)
    return r.lab_points or 0
