"""Sharp/van der Heijde (SvH) hand and wrist areas, grade definitions and totals.

The phantom generator 2.x records, per film, the SvH grade it *drew* in every scored area
(van der Heijde, J Rheumatol 2000; clinical-facts §5). These grades are the ground truth for
the joint-level damage scorer and for students grading films in the class quiz.

* **Erosions**, 16 areas per hand, 0–5 (surface-area based): 1 discrete erosion, 2–3 larger
  by the share of the articular surface involved, 4 more than half, 5 complete collapse.
* **Joint-space narrowing (JSN)**, 15 areas per hand, 0–4: 1 focal or doubtful,
  2 generalised with more than 50 % of the original space left, 3 generalised with less than
  50 % left or subluxation, 4 ankylosis (a bony bridge) or complete luxation.

DIP joints are not scored for RA; the generator still draws DIP damage for the
differentials (OA, erosive OA, psoriatic arthritis) and lists it outside the SvH totals.
"""

from __future__ import annotations

import numpy as np

#: SvH erosion areas (16 per hand) in a fixed order, with what a reader sees in each.
EROSION_AREAS = ("MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "IP1", "PIP2", "PIP3", "PIP4",
                 "PIP5", "MC1B", "TRPZ", "SCAPH", "LUN", "RAD", "ULNA")
#: SvH joint-space narrowing areas (15 per hand).
JSN_AREAS = ("MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "CMC3",
             "CMC4", "CMC5", "TS", "CSL", "RC")
#: Joints the generator grades outside SvH (for the differentials): erosion and narrowing.
EXTRA_JOINTS = ("DIP2", "DIP3", "DIP4", "DIP5", "CMC1", "IP1")

AREA_NAMES = {
    "MCP1": "1st MCP", "MCP2": "2nd MCP", "MCP3": "3rd MCP", "MCP4": "4th MCP", "MCP5": "5th MCP",
    "IP1": "thumb IP", "PIP2": "2nd PIP", "PIP3": "3rd PIP", "PIP4": "4th PIP", "PIP5": "5th PIP",
    "MC1B": "1st metacarpal base", "TRPZ": "trapezium + trapezoid", "SCAPH": "scaphoid",
    "LUN": "lunate", "RAD": "distal radius", "ULNA": "distal ulna", "CMC3": "3rd CMC",
    "CMC4": "4th CMC", "CMC5": "5th CMC", "TS": "trapezium–scaphoid",
    "CSL": "capitate–scaphoid–lunate", "RC": "radiocarpal", "DIP2": "2nd DIP", "DIP3": "3rd DIP",
    "DIP4": "4th DIP", "DIP5": "5th DIP", "CMC1": "1st CMC",
}

EROSION_MAX, JSN_MAX = 5, 4
#: Per-hand maxima: 16 × 5 and 15 × 4.
EROSION_TOTAL_MAX = EROSION_MAX * len(EROSION_AREAS)
JSN_TOTAL_MAX = JSN_MAX * len(JSN_AREAS)

EROSION_GRADES = {
    0: "no erosion",
    1: "discrete erosion: the thin white subchondral/cortical line is lost, with at most a "
       "tiny notch",
    2: "marginal notch at the bare area (≈ 1/5 of the surface), non-sclerotic",
    3: "larger notch plus a subchondral pseudocyst (≈ 1/3 of the surface)",
    4: "erosions on both margins (> 1/2 of the surface)",
    5: "complete collapse: the articular surface is flattened",
}
JSN_GRADES = {
    0: "normal joint space",
    1: "focal or doubtful narrowing (one part of the joint)",
    2: "generalised narrowing, more than 50 % of the original space left",
    3: "generalised narrowing, less than 50 % left (or subluxation)",
    4: "ankylosis (a bony bridge) or complete luxation",
}

#: Fraction of the normal joint-space width drawn per JSN grade, at the narrowed part.
#: Grade 1 narrows one side only (focal); 2 leaves 65 % everywhere; 3 leaves 30 %.
JSN_WIDTH_LEFT = {0: 1.0, 1: 0.45, 2: 0.65, 3: 0.30, 4: 0.0}


def svh_totals(erosion: dict, narrowing: dict) -> dict:
    """Per-hand SvH totals from per-area grades: erosion (max 80), JSN (max 60), total (140).

    Grades outside the SvH areas (DIPs, 1st CMC) are ignored; out-of-range grades raise.
    """
    totals = {}
    for kind, grades, areas, top in (("erosion", erosion, EROSION_AREAS, EROSION_MAX),
                                     ("narrowing", narrowing, JSN_AREAS, JSN_MAX)):
        totals[kind] = 0
        for area in areas:
            g = int(grades.get(area, 0))
            if not 0 <= g <= top:
                raise ValueError(f"{kind} grade of {area} must be 0–{top}, not {g}")
            totals[kind] += g
    return {**totals, "total": totals["erosion"] + totals["narrowing"]}


def weighted_kappa(a, b, n_classes: int, weights: str = "quadratic") -> float:
    """Cohen's weighted kappa between two integer gradings in 0..n_classes-1.

    1 = perfect agreement, 0 = chance. When both raters give one and the same grade throughout,
    kappa is undefined; it is reported as 1.0 if they agree everywhere (else 0.0).
    """
    a = np.asarray(a, int).ravel()
    b = np.asarray(b, int).ravel()
    if a.shape != b.shape or a.size == 0:
        raise ValueError("two gradings of the same non-zero length are needed")
    if a.min() < 0 or b.min() < 0 or a.max() >= n_classes or b.max() >= n_classes:
        raise ValueError(f"grades must lie in 0..{n_classes - 1}")
    obs = np.zeros((n_classes, n_classes))
    np.add.at(obs, (a, b), 1)
    obs /= obs.sum()
    exp = np.outer(obs.sum(1), obs.sum(0))
    i, j = np.indices((n_classes, n_classes))
    w = (i - j) ** 2 if weights == "quadratic" else np.abs(i - j)
    w = w / max(w.max(), 1)
    den = float((w * exp).sum())
    if den == 0:
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(1 - (w * obs).sum() / den)


def svh_agreement(true_e, pred_e, true_j, pred_j, erosion_areas, jsn_areas) -> dict:
    """RA2-DREAM-style scoring of per-area SvH grades (arrays: films × areas).

    ``pred_*`` may be continuous; RMSEs use them as given, kappas use them rounded and clipped
    to the grade range. Returns the RMSE of the per-film total, per-area RMSE and quadratic
    weighted kappa, and their means.
    """
    true_e, pred_e = np.asarray(true_e, float), np.asarray(pred_e, float)
    true_j, pred_j = np.asarray(true_j, float), np.asarray(pred_j, float)
    total_t = true_e.sum(1) + true_j.sum(1)
    total_p = pred_e.sum(1) + pred_j.sum(1)
    out = {"n_films": int(len(true_e)),
           "total_rmse": float(np.sqrt(np.mean((total_t - total_p) ** 2))),
           "erosion_total_rmse": float(np.sqrt(np.mean((true_e.sum(1) - pred_e.sum(1)) ** 2))),
           "jsn_total_rmse": float(np.sqrt(np.mean((true_j.sum(1) - pred_j.sum(1)) ** 2))),
           "areas": {}}
    for kind, t, p, areas, top in (("erosion", true_e, pred_e, erosion_areas, 5),
                                   ("narrowing", true_j, pred_j, jsn_areas, 4)):
        rows = {}
        for k, area in enumerate(areas):
            rounded = np.clip(np.round(p[:, k]), 0, top).astype(int)
            rows[area] = {"rmse": float(np.sqrt(np.mean((t[:, k] - p[:, k]) ** 2))),
                          "kappa": weighted_kappa(t[:, k].astype(int), rounded, top + 1),
                          "n_damaged": int((t[:, k] > 0).sum())}
        out["areas"][kind] = rows
        out[f"{kind}_mean_rmse"] = float(np.mean([r["rmse"] for r in rows.values()]))
        out[f"{kind}_mean_kappa"] = float(np.mean([r["kappa"] for r in rows.values()]))
    return out
