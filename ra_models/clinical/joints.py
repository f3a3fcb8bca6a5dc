"""Joint sets for the 2010 ACR/EULAR criteria and the 28-joint activity scores.

Names are short codes a picker, a form or an API can share: side prefix ``L``/``R`` and a
joint, e.g. ``R_MCP2``, ``L_PIP3``, ``R_WRIST``, ``L_KNEE``, ``R_MTP4``.

* 2010 ACR/EULAR (Aletaha et al., ARD 2010;69:1580): **small joints** are MCPs, PIPs, thumb
  IPs, MTPs 2–5 and wrists; **large joints** are shoulders, elbows, hips, knees and ankles;
  DIPs, first CMC and first MTP joints are **excluded** (typically involved in osteoarthritis).
* 28-joint count (Prevoo et al., Arthritis Rheum 1995;38:44): shoulders, elbows, wrists,
  MCP 1–5, PIP 1–5 (thumb IP counted as PIP1) and knees, both sides.
"""

from __future__ import annotations

SIDES = ("R", "L")
_HAND_SMALL = ("MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "IP1", "PIP2", "PIP3", "PIP4", "PIP5",
               "WRIST")
_FOOT_SMALL = ("MTP2", "MTP3", "MTP4", "MTP5")
_LARGE = ("SHOULDER", "ELBOW", "HIP", "KNEE", "ANKLE")
_EXCLUDED = ("DIP2", "DIP3", "DIP4", "DIP5", "CMC1", "MTP1")

SMALL_JOINTS = tuple(f"{s}_{j}" for s in SIDES for j in _HAND_SMALL + _FOOT_SMALL)
LARGE_JOINTS = tuple(f"{s}_{j}" for s in SIDES for j in _LARGE)
EXCLUDED_JOINTS = tuple(f"{s}_{j}" for s in SIDES for j in _EXCLUDED)
DAS28_JOINTS = tuple(f"{s}_{j}" for s in SIDES for j in (
    "SHOULDER", "ELBOW", "WRIST", "MCP1", "MCP2", "MCP3", "MCP4", "MCP5",
    "IP1", "PIP2", "PIP3", "PIP4", "PIP5", "KNEE"))

#: Groups for a picker: (heading, joint codes without side).
PICKER_GROUPS = (
    ("Hands — small", _HAND_SMALL),
    ("Feet — small (MTP 2–5)", _FOOT_SMALL),
    ("Large joints", _LARGE),
    ("Not counted by the 2010 criteria (DIP, 1st CMC, 1st MTP)", _EXCLUDED),
)
LABELS = {"MCP1": "MCP 1", "MCP2": "MCP 2", "MCP3": "MCP 3", "MCP4": "MCP 4", "MCP5": "MCP 5",
          "IP1": "thumb IP", "PIP2": "PIP 2", "PIP3": "PIP 3", "PIP4": "PIP 4", "PIP5": "PIP 5",
          "WRIST": "wrist", "MTP2": "MTP 2", "MTP3": "MTP 3", "MTP4": "MTP 4", "MTP5": "MTP 5",
          "SHOULDER": "shoulder", "ELBOW": "elbow", "HIP": "hip", "KNEE": "knee", "ANKLE": "ankle",
          "DIP2": "DIP 2", "DIP3": "DIP 3", "DIP4": "DIP 4", "DIP5": "DIP 5", "CMC1": "1st CMC",
          "MTP1": "1st MTP"}
ALL_JOINTS = SMALL_JOINTS + LARGE_JOINTS + EXCLUDED_JOINTS


def label(code: str) -> str:
    side, joint = code.split("_", 1)
    return f"{'right' if side == 'R' else 'left'} {LABELS[joint]}"


def check_joints(codes, field: str) -> tuple[str, ...]:
    """Validated, de-duplicated joint codes; raises ValueError naming the unknown ones."""
    if codes is None:
        return ()
    if isinstance(codes, str) or not hasattr(codes, "__iter__"):
        raise ValueError(f"{field} must be a list of joint codes such as 'R_MCP2'")
    codes = [str(c).strip().upper() for c in codes]
    bad = [c for c in codes if c not in ALL_JOINTS]
    if bad:
        raise ValueError(f"{field}: unknown joint code(s) {', '.join(bad[:5])}; use a side and a "
                         "joint, e.g. R_MCP2, L_PIP3, R_WRIST, L_KNEE, R_MTP4")
    return tuple(dict.fromkeys(codes))


def acr_counts(codes) -> tuple[int, int, int]:
    """(small, large, excluded) joints among ``codes`` as the 2010 criteria count them."""
    s = set(codes)
    return (len(s & set(SMALL_JOINTS)), len(s & set(LARGE_JOINTS)), len(s & set(EXCLUDED_JOINTS)))


def das28_count(codes) -> int:
    return len(set(codes) & set(DAS28_JOINTS))
