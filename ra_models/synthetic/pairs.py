"""Both hands on one film (generator 2.x, for teaching): symmetry is an RA clue.

RA is a symmetric polyarthritis: the other hand has nearly the same joints involved, grade for
grade within one step. Psoriatic arthritis and gout are usually asymmetric: the other hand is
mostly spared or has other joints. Nodal (erosive) OA is roughly symmetric. The index hand is
drawn exactly as :func:`~ra_models.synthetic.cases.sample_spec` draws a single film; the other
hand shares the person (age, sex, size, soft tissue) and the exposure, with its own pose. The
film is shown as the tube sees it (the generator's single films too): the left hand on the
left, the right on the right, thumbs toward the middle, each with its lead marker in its outer
top corner. Single-hand films and their pixels are untouched by this module.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .cases import PhantomSpec, sample_nuisance, sample_spec
from .film import render
from .svh import EROSION_AREAS, JSN_AREAS

#: Per-joint lesion fields of a spec, and the whole-hand ones.
LESION_FIELDS = ("erosion", "narrowing", "focal_side", "swelling", "periarticular_osteopenia",
                 "osteophytes", "central_erosion", "pencil_in_cup", "periostitis", "gout")
HAND_FIELDS = ("cmc1_subluxation", "ulnar_deviation_deg", "subluxation", "ulnar_translocation")
_GRADE_MAX = {"erosion": 5, "narrowing": 4}
#: Symmetric subtypes: the chance that a joint involved on one hand is spared on the other.
SYMMETRIC_DROP = {"early_ra": 0.15, "established_ra": 0.1, "oa": 0.25, "erosive_oa": 0.3,
                  "healthy": 0.0}
#: Asymmetric subtypes: the chance that the other hand is involved at all (other joints).
ASYMMETRIC_INVOLVED = {"psa": 0.35, "gout": 0.25}


def _cleared(spec: PhantomSpec) -> PhantomSpec:
    return replace(spec, **{f: {} for f in LESION_FIELDS}, **{f: 0.0 for f in HAND_FIELDS})


def _mirrored_lesions(spec: PhantomSpec, rng: np.random.Generator, p_drop: float) -> dict:
    """The index hand's lesions, joint by joint: some spared, grades within one step, sizes
    within ±20%."""
    joints = sorted({j for f in LESION_FIELDS for j in getattr(spec, f)})
    drop = {j for j in joints if rng.random() < p_drop}
    out = {}
    for f in LESION_FIELDS:
        d = {}
        for j, v in sorted(getattr(spec, f).items()):
            if j in drop:
                continue
            if f in _GRADE_MAX:
                v = int(np.clip(v + rng.choice([-1, 0, 0, 0, 1]), 1, _GRADE_MAX[f]))
            elif f != "focal_side":
                v = float(np.clip(v * rng.uniform(0.8, 1.2), 0.05, 1.0))
            d[j] = v
        out[f] = d
    for f in HAND_FIELDS:
        out[f] = float(getattr(spec, f) * rng.uniform(0.8, 1.2))
    return out


def other_hand(index: PhantomSpec, rng: np.random.Generator) -> PhantomSpec:
    """The contralateral hand of ``index``: same person and exposure, its own pose, lesions by
    the subtype's symmetry."""
    pose = sample_nuisance(rng, index.sex)
    other = replace(index, side="L" if index.side == "R" else "R",
                    **{k: pose[k] for k in ("spread", "thumb_abduction_deg", "rotation_deg",
                                            "offset")})
    if index.subtype in ASYMMETRIC_INVOLVED:
        if rng.random() < ASYMMETRIC_INVOLVED[index.subtype]:
            fresh = sample_spec(int(rng.integers(0, 2**31)), subtype=index.subtype)
            return replace(other, **{f: getattr(fresh, f) for f in LESION_FIELDS + HAND_FIELDS})
        return _cleared(other)
    return replace(other, **_mirrored_lesions(index, rng, SYMMETRIC_DROP.get(index.subtype, 0.1)))


def sample_pair(seed: int, *, subtype: str | None = None, index: PhantomSpec | None = None
                ) -> tuple[PhantomSpec, PhantomSpec]:
    """(left hand, right hand) from one seed; ``index`` gives the first hand instead of
    drawing it (e.g. a hand made from the teaching sliders)."""
    index = index if index is not None else sample_spec(seed, subtype=subtype)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5041, 2]))
    other = other_hand(index, rng)
    left, right = (index, other) if index.side == "L" else (other, index)
    return left, right


def _framed(spec: PhantomSpec, outward: float) -> PhantomSpec:
    """A hand placed for a two-hand film: thumb kept inside its half (less abduction and tilt,
    the hand moved 4% outwards), no collimation."""
    return replace(spec, collimation=None, marker_corner=0 if outward < 0 else 1,
                   rotation_deg=float(np.clip(spec.rotation_deg, -6, 6)),
                   thumb_abduction_deg=float(min(spec.thumb_abduction_deg, 2.0)),
                   offset=(0.04 * outward, spec.offset[1]))


def render_pair(left: PhantomSpec, right: PhantomSpec, size: int = 384
                ) -> tuple[np.ndarray, np.ndarray]:
    """One (size, 2·size) film of both hands, and its label mask."""
    halves = [render(_framed(spec, outward), size) for spec, outward in ((left, -1), (right, 1))]
    return (np.concatenate([halves[0][0], halves[1][0]], axis=1),
            np.concatenate([halves[0][1], halves[1][1]], axis=1))


def involved(spec: PhantomSpec) -> set[str]:
    """SvH areas with erosion or narrowing, plus DIPs and other joints with any lesion."""
    svh = spec.svh()
    out = {a for a in EROSION_AREAS if svh["erosion"][a]} | {a for a in JSN_AREAS if svh["narrowing"][a]}
    return out | {j for f in LESION_FIELDS if f != "focal_side" for j, v in getattr(spec, f).items() if v}


def symmetry(left: PhantomSpec, right: PhantomSpec) -> dict:
    """Joints involved per hand and in both, and their overlap (Jaccard; None when neither)."""
    a, b = involved(left), involved(right)
    union = a | b
    return {"left": len(a), "right": len(b), "both": len(a & b),
            "overlap": len(a & b) / len(union) if union else None}
