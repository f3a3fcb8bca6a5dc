"""Procedural PA hand-and-wrist radiograph phantoms with controllable RA signs.

No hand radiograph can be downloaded here, so this module draws them. Each bone is a
projected hollow cylinder (bright cortical shell, darker trabecular medulla with texture)
whose width varies along its length (flared bases, rounded heads); phalangeal bases are
carved as cups around the neighbouring head, so the joint space has a true, controllable
width. A soft-tissue envelope, the carpus, distal radius and ulna (with the ulnar styloid)
complete the film. Everything is rendered in pixel space from transformed key points, so
pose, scale and side change image and lesion mask together.

RA signs (graded like Sharp/van der Heijde; see ``shared/research/clinical-facts.md``):

* marginal "bare-area" erosions (grade 0–5) at MCP, PIP, thumb IP, wrist and ulnar styloid,
  earliest at MCP2/MCP3, PIP3 and the ulnar styloid;
* uniform joint-space narrowing (grade 0–4, 4 = ankylosis) at MCP, PIP and carpus;
* periarticular osteopenia (local), diffuse osteopenia with cortical thinning (late);
* fusiform periarticular soft-tissue swelling;
* DIP joints spared; late cases show ulnar deviation and MCP subluxation.

The *Normal* class means "not RA": healthy hands of all ages (with age-related diffuse
osteopenia) and osteoarthritis hard negatives (DIP/PIP/first-CMC narrowing with osteophytes
and subchondral sclerosis, MCPs spared, no erosions).

Every RA sign drawn is written into a label mask (see :data:`MASK_LABELS`); Normal masks are
empty. Rendering is deterministic: the same :class:`PhantomSpec` gives the same pixels.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from scipy import ndimage

GENERATOR_VERSION = "1.1.0"

#: Label values in the lesion mask. 0 = background / no sign.
MASK_LABELS = {"erosion": 1, "narrowing": 2, "osteopenia": 3, "swelling": 4}

DIGITS = (2, 3, 4, 5)
#: Joints with an erosion grade (0–5), as in the SvH hand erosion areas.
EROSION_JOINTS = ("MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "IP1", "PIP2", "PIP3", "PIP4", "PIP5",
                  "WRIST", "ULNA")
#: Joints with a narrowing grade (0–4). DIP and CMC1 are scored for the OA pattern.
NARROWING_JOINTS = ("MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "IP1", "PIP2", "PIP3", "PIP4", "PIP5",
                    "DIP2", "DIP3", "DIP4", "DIP5", "CMC1", "WRIST")
#: Earliest erosion sites (gentili.net; URMC) get more weight in early disease.
_EARLY_SITES = {"MCP2": 4.0, "MCP3": 4.0, "PIP3": 3.0, "ULNA": 3.0, "MCP5": 1.5, "WRIST": 1.5}

# Normal joint-space widths in mm (MCP ≈ 1.5 mm; PIP < MCP; clinical-facts §4).
_GAP_MM = {"MCP": 1.6, "PIP": 1.2, "DIP": 1.0, "IP": 1.1, "CMC": 1.1}
_EROSION_RADIUS_MM = (0.0, 0.9, 1.35, 1.9, 2.5, 3.2)
_JSN_FACTOR = (1.0, 0.72, 0.48, 0.22, 0.0)  # fraction of normal width left per JSN grade

# Attenuation per mm (relative units chosen so the film looks like a processed radiograph).
_MU_SOFT, _MU_CORTEX, _MU_MEDULLA = 0.011, 0.16, 0.045


@dataclass(frozen=True)
class PhantomSpec:
    """Everything that decides one phantom. ``render(spec)`` is a pure function of it."""

    seed: int
    label: str = "Normal"  # "RA" or "Normal"
    subtype: str = "healthy"  # healthy | oa | early_ra | established_ra
    severity: float = 0.0  # RA severity in [0, 1]; 0 for Normal
    side: str = "R"
    age: float = 50.0
    sex: str = "F"
    erosion: dict = field(default_factory=dict)  # joint -> 0..5
    narrowing: dict = field(default_factory=dict)  # joint -> 0..4
    swelling: dict = field(default_factory=dict)  # joint -> 0..1
    periarticular_osteopenia: dict = field(default_factory=dict)  # joint -> 0..1
    diffuse_osteopenia: float = 0.0  # 0..1 (age or late RA)
    osteophytes: dict = field(default_factory=dict)  # joint -> 0..1 (OA)
    ulnar_deviation_deg: float = 0.0
    subluxation: float = 0.0  # 0..1, MCP volar/ulnar subluxation (late RA)
    # nuisance
    hand_scale: float = 1.0
    soft_tissue: float = 1.0  # individual soft-tissue thickness (so swelling is relative)
    spread: float = 1.0
    thumb_abduction_deg: float = 0.0
    rotation_deg: float = 0.0
    zoom: float = 1.0
    offset: tuple = (0.0, 0.0)
    exposure: float = 1.0
    gamma: float = 1.0
    noise: float = 0.02
    blur: float = 0.6
    collimation: tuple | None = None  # (left, top, right, bottom) margins as image fractions
    marker_corner: int | None = 0  # 0..3 or None

    def signs(self) -> list[str]:
        out = []
        if any(v > 0 for v in self.erosion.values()):
            out.append("erosion")
        if self.label == "RA" and any(v > 0 for v in self.narrowing.values()):
            out.append("narrowing")
        if any(v > 0 for v in self.periarticular_osteopenia.values()):
            out.append("periarticular_osteopenia")
        if self.diffuse_osteopenia > 0.15:
            out.append("diffuse_osteopenia")
        if any(v > 0 for v in self.swelling.values()):
            out.append("swelling")
        if self.ulnar_deviation_deg > 0:
            out.append("ulnar_deviation")
        if self.subluxation > 0:
            out.append("subluxation")
        if self.subtype == "oa":
            out.append("oa_pattern")
        return out

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- sampling


def sample_spec(seed: int, label: str | None = None, *, ra_fraction: float = 0.5,
                oa_fraction: float = 0.35) -> PhantomSpec:
    """Draw a random case (label, severity, pose, film nuisance) from one integer seed."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5241]))
    if label is None:
        label = "RA" if rng.random() < ra_fraction else "Normal"
    sex = "F" if rng.random() < (0.70 if label == "RA" else 0.55) else "M"
    nuisance = _sample_nuisance(rng, sex)
    if label == "RA":
        age = float(np.clip(rng.normal(56, 14), 18, 90))
        severity = float(np.clip(rng.beta(1.1, 1.6), 0.02, 1.0))
        return _ra_case(rng, seed, severity, age, sex, nuisance)
    if rng.random() < oa_fraction:
        age = float(rng.uniform(50, 88))
        return _oa_case(rng, seed, float(rng.uniform(0.3, 1.0)), age, sex, nuisance)
    age = float(rng.uniform(18, 90))
    return _healthy_case(rng, seed, age, sex, nuisance)


def _sample_nuisance(rng: np.random.Generator, sex: str) -> dict:
    coll = None
    if rng.random() < 0.6:
        coll = tuple(float(v) for v in rng.uniform(0.0, 0.07, size=4))
    return dict(
        side="R" if rng.random() < 0.5 else "L",
        hand_scale=float(rng.uniform(0.92, 1.04) * (1.05 if sex == "M" else 1.0)),
        soft_tissue=float(rng.uniform(0.85, 1.2)),
        spread=float(rng.uniform(0.3, 1.6)),
        thumb_abduction_deg=float(rng.uniform(-8, 14)),
        rotation_deg=float(rng.uniform(-15, 15)),
        zoom=float(rng.uniform(0.9, 1.1)),
        offset=(float(rng.uniform(-0.05, 0.05)), float(rng.uniform(-0.04, 0.04))),
        exposure=float(rng.uniform(0.85, 1.15)),
        gamma=float(rng.uniform(0.8, 1.25)),
        noise=float(rng.uniform(0.008, 0.03)),
        blur=float(rng.uniform(0.35, 0.9)),
        collimation=coll,
        marker_corner=int(rng.integers(0, 4)) if rng.random() < 0.85 else None,
    )


def _age_osteopenia(age: float, sex: str) -> float:
    return float(np.clip((age - 45) / 45, 0, 1) * (0.45 if sex == "F" else 0.3))


def _healthy_case(rng, seed, age, sex, nuisance) -> PhantomSpec:
    narrowing = {}
    if age > 60 and rng.random() < 0.5:  # mild age-related narrowing, DIPs first
        for j in rng.choice(["DIP2", "DIP3", "DIP4", "DIP5", "PIP2", "PIP3"], size=2, replace=False):
            narrowing[str(j)] = 1
    return PhantomSpec(seed=int(seed), label="Normal", subtype="healthy", severity=0.0, age=age,
                       sex=sex, narrowing=narrowing,
                       diffuse_osteopenia=_age_osteopenia(age, sex), **nuisance)


def _oa_case(rng, seed, oa_sev, age, sex, nuisance) -> PhantomSpec:
    narrowing, osteophytes = {}, {}
    dips = [f"DIP{d}" for d in DIGITS]
    pips = [f"PIP{d}" for d in DIGITS]
    # Asymmetric: a random subset of DIPs (most), PIPs (some), and the first CMC.
    for j in dips:
        if rng.random() < 0.35 + 0.5 * oa_sev:
            narrowing[j] = int(np.clip(round(1 + 3 * oa_sev * rng.random()), 1, 3))
            osteophytes[j] = float(np.clip(oa_sev * rng.uniform(0.5, 1.2), 0.2, 1))
    for j in pips:
        if rng.random() < 0.15 + 0.4 * oa_sev:
            narrowing[j] = int(np.clip(round(1 + 2 * oa_sev * rng.random()), 1, 3))
            osteophytes[j] = float(np.clip(oa_sev * rng.uniform(0.3, 1.0), 0.2, 1))
    if rng.random() < 0.6:
        narrowing["CMC1"] = int(np.clip(round(1 + 3 * oa_sev * rng.random()), 1, 4))
        osteophytes["CMC1"] = float(np.clip(oa_sev * rng.uniform(0.5, 1.2), 0.2, 1))
    if not narrowing:
        narrowing["DIP3"], osteophytes["DIP3"] = 2, 0.6
    return PhantomSpec(seed=int(seed), label="Normal", subtype="oa", severity=0.0, age=age, sex=sex,
                       narrowing=narrowing, osteophytes=osteophytes,
                       diffuse_osteopenia=_age_osteopenia(age, sex), **nuisance)


def _ra_case(rng, seed, s, age, sex, nuisance) -> PhantomSpec:
    erosion, narrowing, swelling, peri = {}, {}, {}, {}
    sites = list(EROSION_JOINTS)
    w = np.array([_EARLY_SITES.get(j, 1.0) if s < 0.45 else 1.0 for j in sites])
    if s < 0.3:  # early RA: one or two small erosions, mild narrowing, some swelling
        n_ero = 1 if s < 0.15 else int(rng.integers(1, 3))
    else:
        n_ero = int(np.clip(round(1 + s * 10 + rng.normal(0, 1)), 2, len(sites)))
    chosen = rng.choice(sites, size=n_ero, replace=False, p=w / w.sum())
    for j in chosen:
        g = 1 if s < 0.3 else int(np.clip(round(1 + s * 4 + rng.normal(0, 0.7)), 1, 5))
        erosion[str(j)] = g
    # Symmetric, uniform narrowing across MCP/PIP/carpus (DIPs spared).
    jsn_sites = ["MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "WRIST", "MCP1",
                 "IP1"]
    base_jsn = s * 4.0
    for j in jsn_sites:
        if s < 0.3:
            if rng.random() < 0.3:
                narrowing[j] = 1
        else:
            g = int(np.clip(round(base_jsn + rng.normal(0, 0.5) - 0.4), 0, 4))
            if g:
                narrowing[j] = g
    # Swelling and periarticular osteopenia around the involved joints; in early disease they
    # are milder and often absent, so some early cases show little more than one small erosion.
    # an ordered union: iterating a set of strings depends on PYTHONHASHSEED, and each joint
    # draws from ``rng`` in this loop, so a set made images differ between processes
    involved = list(dict.fromkeys([*erosion, *(j for j in narrowing if j != "WRIST")]))
    early = s < 0.3
    for j in involved:
        if j == "ULNA":
            continue
        if rng.random() < (0.55 if early else 0.75):
            swelling[j] = float(rng.uniform(0.2, 0.4) if early else
                                np.clip(0.3 + 0.55 * s + rng.normal(0, 0.1), 0.2, 1.0))
        if rng.random() < (0.7 if early else 1.0):
            peri[j] = float(rng.uniform(0.15, 0.35) if early else
                            np.clip(0.25 + 0.7 * s + rng.normal(0, 0.1), 0.15, 1.0))
    diffuse = max(_age_osteopenia(age, sex), float(np.clip((s - 0.55) * 1.6, 0, 0.8)))
    ulnar_dev = float(rng.uniform(8, 22)) if s > 0.72 and rng.random() < 0.6 else 0.0
    sublux = float(rng.uniform(0.2, 0.7)) if s > 0.8 and rng.random() < 0.5 else 0.0
    subtype = "early_ra" if s < 0.3 else "established_ra"
    return PhantomSpec(seed=int(seed), label="RA", subtype=subtype, severity=s, age=age, sex=sex,
                       erosion=erosion, narrowing=narrowing, swelling=swelling,
                       periarticular_osteopenia=peri, diffuse_osteopenia=diffuse,
                       ulnar_deviation_deg=ulnar_dev, subluxation=sublux, **nuisance)


def spec_from_controls(seed: int = 0, *, erosion: int = 0, narrowing: int = 0,
                       osteopenia: float = 0.0, swelling: float = 0.0, oa: float = 0.0,
                       side: str | None = None) -> PhantomSpec:
    """A phantom from teaching-slider values (the Streamlit Teaching page).

    ``erosion`` 0–5 and ``narrowing`` 0–4 spread from the earliest RA sites outwards as the
    grade rises; ``osteopenia`` and ``swelling`` are 0–1; ``oa`` 0–1 adds an osteoarthritis
    pattern. Pose and film nuisance come from ``seed``.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x54]))
    nuisance = _sample_nuisance(rng, "F")
    if side in ("L", "R"):
        nuisance["side"] = side
    order = ["MCP2", "MCP3", "PIP3", "ULNA", "MCP5", "WRIST", "PIP2", "MCP4", "PIP4", "MCP1",
             "PIP5", "IP1"]
    ero = {j: int(erosion) for j in order[: (0 if erosion == 0 else 2 + 2 * int(erosion))]}
    jsn_order = ["MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "WRIST", "MCP1"]
    jsn = {j: int(narrowing) for j in jsn_order[: (0 if narrowing == 0 else 2 + 2 * int(narrowing))]}
    involved = [j for j in dict.fromkeys(list(ero) + list(jsn)) if j != "ULNA"] or order[:4]
    sw = {j: float(swelling) for j in involved if j != "ULNA"} if swelling > 0 else {}
    peri = {j: float(osteopenia) for j in involved} if osteopenia > 0 else {}
    osteo, oa_jsn = {}, {}
    if oa > 0:
        for j in ("DIP2", "DIP3", "DIP5", "PIP4", "CMC1"):
            oa_jsn[j] = int(np.clip(round(1 + 2.5 * oa), 1, 4))
            osteo[j] = float(oa)
    is_ra = bool(ero or jsn or sw or peri)
    sev = float(np.clip((erosion / 5 + narrowing / 4 + osteopenia + swelling) / 4, 0, 1))
    return PhantomSpec(
        seed=int(seed), label="RA" if is_ra else "Normal",
        subtype=("early_ra" if sev < 0.3 else "established_ra") if is_ra else
        ("oa" if oa > 0 else "healthy"),
        severity=sev if is_ra else 0.0, age=55.0, erosion=ero, narrowing={**oa_jsn, **jsn},
        swelling=sw, periarticular_osteopenia=peri,
        diffuse_osteopenia=float(np.clip(osteopenia - 0.5, 0, 0.5)), osteophytes=osteo,
        **nuisance,
    )


# ----------------------------------------------------------------------------- rendering


class _Canvas:
    """Accumulators in pixel space plus the mm -> px mapping."""

    def __init__(self, size: int, spec: PhantomSpec):
        self.size = size
        self.bone = np.zeros((size, size), np.float32)
        self.cortex_w = np.zeros((size, size), np.float32)  # for sclerosis overlays
        self.soft = np.zeros((size, size), np.float32)
        self.erode = np.ones((size, size), np.float32)
        self.osteo = np.ones((size, size), np.float32)
        self.mask = np.zeros((size, size), np.uint8)
        fov_mm = 228.0 / spec.zoom
        self.px_per_mm = size / fov_mm
        self.mm = 1.0 / self.px_per_mm
        th = math.radians(spec.rotation_deg)
        self.rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
        self.mirror = -1.0 if spec.side == "L" else 1.0
        # Hand centre (mm, y distal) that lands at the image centre.
        self.centre_mm = np.array([0.0, 68.0])
        self.centre_px = np.array([size / 2 + spec.offset[0] * size,
                                   size / 2 + spec.offset[1] * size])
        ys, xs = np.mgrid[0:size, 0:size]
        self._xs, self._ys = xs.astype(np.float32), ys.astype(np.float32)

    def px(self, p_mm) -> np.ndarray:
        p = np.asarray(p_mm, float) - self.centre_mm
        v = np.array([self.mirror * p[0], -p[1]])  # image y grows downwards
        return self.centre_px + self.px_per_mm * (self.rot @ v)

    def window(self, pts_px, pad_px):
        pts = np.asarray(pts_px)
        x0 = max(int(math.floor(pts[:, 0].min() - pad_px)), 0)
        x1 = min(int(math.ceil(pts[:, 0].max() + pad_px)) + 1, self.size)
        y0 = max(int(math.floor(pts[:, 1].min() - pad_px)), 0)
        y1 = min(int(math.ceil(pts[:, 1].max() + pad_px)) + 1, self.size)
        if x0 >= x1 or y0 >= y1:
            return None
        return (slice(y0, y1), slice(x0, x1))

    def grid(self, win):
        return self._xs[win], self._ys[win]


def _smooth_disk(d, r, soft=0.7):
    return np.clip((r - d) / soft + 0.5, 0.0, 1.0)


@dataclass
class _Bone:
    p0: np.ndarray  # proximal axis end (mm)
    p1: np.ndarray  # distal axis end (mm)
    w0: float  # half-widths (mm): base, shaft, head
    ws: float
    w1: float
    round0: float = 1.0  # end rounding as fraction of width (1 = semicircle)
    round1: float = 1.0
    cortex: float = 0.38  # cortical fraction of radius in the shaft
    cup_centre: np.ndarray | None = None  # carve the base around the previous head (mm)
    cup_radius: float = 0.0
    flare: float = 0.2  # length fraction of end flares
    density: float = 1.0

    def head_centre(self) -> np.ndarray:
        d = (self.p1 - self.p0) / np.linalg.norm(self.p1 - self.p0)
        return self.p1 - d * self.w1 * self.round1

    def head_radius(self) -> float:
        return self.w1 * self.round1


def _draw_bone(cv: _Canvas, b: _Bone, texture: np.ndarray, cortex_scale: float) -> None:
    a_px, b_px = cv.px(b.p0), cv.px(b.p1)
    s = cv.px_per_mm
    wmax = max(b.w0, b.ws, b.w1) * s
    win = cv.window([a_px, b_px], wmax + 2)
    if win is None:
        return
    X, Y = cv.grid(win)
    axis = b_px - a_px
    L = float(np.hypot(*axis))
    ax = axis / L
    nx = np.array([-ax[1], ax[0]])
    dx, dy = X - a_px[0], Y - a_px[1]
    u = dx * ax[0] + dy * ax[1]
    v = dx * nx[0] + dy * nx[1]
    t = np.clip(u / L, 0, 1)
    f = b.flare
    w = (b.ws + (b.w0 - b.ws) * np.exp(-(t / f) ** 2) + (b.w1 - b.ws) * np.exp(-((1 - t) / f) ** 2)) * s
    # Rounded ends: the width shrinks along a circle of radius r near each end.
    r1 = b.w1 * b.round1 * s
    over1 = np.clip(u - (L - r1), 0, None)
    w = np.minimum(w, (b.w1 * s - r1) + np.sqrt(np.clip(r1 * r1 - over1 * over1, 0, None)))
    r0 = b.w0 * b.round0 * s
    over0 = np.clip(r0 - u, 0, None)
    w = np.minimum(w, (b.w0 * s - r0) + np.sqrt(np.clip(r0 * r0 - over0 * over0, 0, None)))
    w = np.where((u < 0) | (u > L), 0.0, w)
    outer = np.sqrt(np.clip(w * w - v * v, 0, None))
    ct = (0.12 + (b.cortex - 0.12) * np.sin(np.pi * t) ** 2) * cortex_scale
    wi = w * (1 - ct)
    inner = np.sqrt(np.clip(wi * wi - v * v, 0, None))
    att = (_MU_CORTEX * (outer - inner) + _MU_MEDULLA * inner * (1 + 0.3 * texture[win])) * 2 * cv.mm
    if b.cup_centre is not None:
        c = cv.px(b.cup_centre)
        d = np.hypot(X - c[0], Y - c[1])
        att = att * np.clip((d - b.cup_radius * s) / 0.8 + 0.5, 0, 1)
    cv.bone[win] += att * b.density


def _draw_ellipsoid(cv: _Canvas, centre_mm, rx, ry, angle_deg, texture, density=1.0,
                    cortex=0.15) -> None:
    c = cv.px(centre_mm)
    s = cv.px_per_mm
    win = cv.window([c], max(rx, ry) * s + 2)
    if win is None:
        return
    X, Y = cv.grid(win)
    # orientation in image space: account for mirror and global rotation
    th = math.radians(angle_deg) * cv.mirror
    R = cv.rot @ np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    dx, dy = X - c[0], Y - c[1]
    u = (dx * R[0, 0] + dy * R[1, 0]) / (rx * s)
    v = (dx * R[0, 1] + dy * R[1, 1]) / (ry * s)
    q = 1 - (u * u + v * v)
    outer = np.sqrt(np.clip(q, 0, None))
    inner = np.sqrt(np.clip(1 - (u * u + v * v) / (1 - cortex) ** 2, 0, None)) * (1 - cortex)
    thick = min(rx, ry) * 2 * cv.mm * s  # mm-scale thickness
    att = (_MU_CORTEX * (outer - inner) + _MU_MEDULLA * inner * (1 + 0.3 * texture[win])) * thick
    cv.bone[win] += att * density * 0.9


def _soft_capsule(cv: _Canvas, p0_mm, p1_mm, r0, r1, depth: float = 0.9) -> None:
    """Soft tissue as a capsule with an elliptic cross-section (depth = thickness/width)."""
    a, b = cv.px(p0_mm), cv.px(p1_mm)
    s = cv.px_per_mm
    win = cv.window([a, b], max(r0, r1) * s + 2)
    if win is None:
        return
    X, Y = cv.grid(win)
    ab = b - a
    L2 = float(ab @ ab)
    t = np.clip(((X - a[0]) * ab[0] + (Y - a[1]) * ab[1]) / L2, 0, 1)
    d = np.hypot(X - (a[0] + t * ab[0]), Y - (a[1] + t * ab[1]))
    r = (r0 + (r1 - r0) * t) * s
    chord = 2 * depth * np.sqrt(np.clip(r * r - d * d, 0, None)) * cv.mm
    np.maximum(cv.soft[win], chord, out=cv.soft[win])


def _disk_region(cv: _Canvas, centre_mm, r_mm):
    c = cv.px(centre_mm)
    r = r_mm * cv.px_per_mm
    win = cv.window([c], r + 2)
    if win is None:
        return None, None
    X, Y = cv.grid(win)
    return win, np.hypot(X - c[0], Y - c[1]) / max(r, 1e-6)


def _add_erosion(cv: _Canvas, centre_mm, r_mm, bone_before: np.ndarray) -> None:
    c = cv.px(centre_mm)
    r = max(r_mm * cv.px_per_mm, 0.8)
    win = cv.window([c], r + 2)
    if win is None:
        return
    X, Y = cv.grid(win)
    disk = _smooth_disk(np.hypot(X - c[0], Y - c[1]), r)
    cv.erode[win] *= 1 - 0.9 * disk
    hit = (disk > 0.3) & (bone_before[win] > 0.02)
    cv.mask[win][hit] = MASK_LABELS["erosion"]


def _mark(cv: _Canvas, win, region: np.ndarray, label: int) -> None:
    m = cv.mask[win]
    m[(region) & (m == 0)] = label


@dataclass
class _Joint:
    name: str
    centre: np.ndarray  # head centre of the proximal bone (mm)
    radius: float  # head radius (mm)
    gap: float  # current gap (mm)
    normal_gap: float
    direction: np.ndarray  # unit vector, distal
    prox: _Bone | None = None
    dist: _Bone | None = None


def _unit(deg: float) -> np.ndarray:
    """Direction in the hand frame: 0° = distal (+y), positive = towards the ulna (+x)."""
    r = math.radians(deg)
    return np.array([math.sin(r), math.cos(r)])


def _build_skeleton(spec: PhantomSpec):
    k = spec.hand_scale
    bones: list[_Bone] = []
    joints: dict[str, _Joint] = {}
    # Metacarpal bases (mm; x towards the ulna for a right hand) and lengths.
    mc = {2: ((-8.5, 30.5), 67, -7), 3: ((0.0, 31.5), 64, 0), 4: ((8.0, 30.0), 57, 6),
          5: ((15.0, 27.5), 52, 12)}
    phal = {2: (40, 23, 17), 3: (45, 27, 19), 4: (42, 26, 18), 5: (33, 18, 16)}
    spread_deg = {2: -5.5, 3: -1.0, 4: 3.5, 5: 8.0}
    dip_narrow = spec.narrowing
    for d in DIGITS:
        base, L_mc, ang = mc[d]
        base = np.array(base) * k
        dmc = _unit(ang)
        mcb = _Bone(base, base + dmc * L_mc * k, 5.2 * k, 3.6 * k, 5.0 * k, round0=0.5,
                    round1=1.0, cortex=0.42, flare=0.16)
        bones.append(mcb)
        prev, prev_dir = mcb, dmc
        finger_ang = ang * 1.4 + spread_deg[d] * spec.spread + spec.ulnar_deviation_deg
        widths = [(4.9, 3.4, 3.9), (4.1, 2.8, 3.2), (3.5, 2.1, 2.7)]
        for name, L_ph, (w0, ws, w1), gap_key in zip(
            (f"MCP{d}", f"PIP{d}", f"DIP{d}"), phal[d], widths, ("MCP", "PIP", "DIP")
        ):
            ddir = _unit(finger_ang) if name.startswith("MCP") else prev_dir
            g_norm = _GAP_MM[gap_key] * k
            gap = g_norm * _JSN_FACTOR[int(dip_narrow.get(name, 0))]
            hc, hr = prev.head_centre(), prev.head_radius()
            start = hc + ddir * (hr + gap)
            if name.startswith("MCP") and spec.subluxation > 0:
                perp = np.array([ddir[1], -ddir[0]])
                start = start - perp * spec.subluxation * 2.5 * k
            ext = 0.28 * hr  # base margins wrap round the head ("bare areas")
            p0 = start - ddir * ext
            is_dp = name.startswith("DIP")
            b = _Bone(p0, start + ddir * L_ph * k, w0 * k, ws * k, w1 * k, round0=0.35,
                      round1=0.55 if is_dp else 1.0, cortex=0.4, cup_centre=hc,
                      cup_radius=hr + gap, flare=0.22 if not is_dp else 0.3)
            bones.append(b)
            joints[name] = _Joint(name, hc, hr, gap, g_norm, ddir, prev, b)
            prev, prev_dir = b, ddir
    # Thumb: MC1 from the trapezium, proximal and distal phalanx (thumb IP).
    th_ang = -38 - spec.thumb_abduction_deg
    cmc_gap = _GAP_MM["CMC"] * k * _JSN_FACTOR[int(spec.narrowing.get("CMC1", 0))]
    d1 = _unit(th_ang)
    trapezium = np.array([-17.5, 21.5]) * k
    mc1_base = trapezium + d1 * (5.0 * k + cmc_gap)
    mc1 = _Bone(mc1_base, mc1_base + d1 * 44 * k, 5.6 * k, 3.9 * k, 5.3 * k, round0=0.6,
                cortex=0.42, flare=0.2)
    bones.append(mc1)
    joints["CMC1"] = _Joint("CMC1", trapezium, 5.0 * k, cmc_gap, _GAP_MM["CMC"] * k, d1, None, mc1)
    prev = mc1
    d_thumb = _unit(th_ang + 10 + spec.ulnar_deviation_deg * 0.3)
    for name, L_ph, (w0, ws, w1), key in (("MCP1", 31, (5.2, 3.8, 4.3), "MCP"),
                                          ("IP1", 23, (4.4, 2.8, 3.4), "IP")):
        g_norm = _GAP_MM[key] * k
        gap = g_norm * _JSN_FACTOR[int(spec.narrowing.get(name, 0))]
        hc, hr = prev.head_centre(), prev.head_radius()
        start = hc + d_thumb * (hr + gap)
        b = _Bone(start - d_thumb * 0.28 * hr, start + d_thumb * L_ph * k, w0 * k, ws * k, w1 * k,
                  round0=0.35, round1=0.55 if name == "IP1" else 1.0, cortex=0.4, cup_centre=hc,
                  cup_radius=hr + gap, flare=0.25)
        bones.append(b)
        joints[name] = _Joint(name, hc, hr, gap, g_norm, d_thumb, prev, b)
        prev = b
    # Forearm: distal radius (wide, flat articular end) and ulna; ulnar styloid.
    wrist_gap = 2.0 * k * _JSN_FACTOR[int(spec.narrowing.get("WRIST", 0))]
    radius = _Bone(np.array([-7.0, -150]) * k, np.array([-7.5, -1.5 - wrist_gap]) * k, 8.5 * k,
                   8.0 * k, 13.0 * k, round0=0.5, round1=0.28, cortex=0.45, flare=0.12)
    ulna = _Bone(np.array([11.5, -150]) * k, np.array([11.0, -6.5 - wrist_gap]) * k, 6.0 * k,
                 5.6 * k, 7.0 * k, round0=0.5, round1=0.6, cortex=0.45, flare=0.1)
    styloid = _Bone(np.array([14.0, -9.0 - wrist_gap]) * k, np.array([15.2, -1.5 - wrist_gap]) * k,
                    2.2 * k, 1.6 * k, 1.3 * k, round0=0.5, round1=1.0, cortex=0.5, flare=0.3)
    bones += [radius, ulna, styloid]
    joints["WRIST"] = _Joint("WRIST", np.array([0.0, 8.0]) * k, 12 * k, wrist_gap, 2.0 * k,
                             np.array([0.0, 1.0]))
    joints["ULNA"] = _Joint("ULNA", styloid.p1.copy(), 1.3 * k, 0, 0, _unit(8))
    # Carpus: (centre, rx, ry, angle). Intercarpal narrowing packs the bones together.
    carp = [((-11.0, 9.5), 5.6, 9.0, 38), ((-1.5, 8.5), 6.0, 6.3, 0), ((7.5, 9.0), 5.0, 5.5, -20),
            ((10.0, 12.0), 3.6, 3.8, 0), ((-17.5, 21.5), 5.0, 5.5, 30), ((-9.0, 22.5), 4.3, 5.2, 10),
            ((-0.5, 21.0), 5.2, 8.2, 0), ((8.2, 20.0), 5.5, 7.2, -12)]
    shrink = 1 - 0.06 * spec.narrowing.get("WRIST", 0)
    carpals = []
    for (x, y), rx, ry, ang in carp:
        c = np.array([x * shrink, 15 + (y - 15) * shrink]) * k
        carpals.append((c, rx * k, ry * k, ang))
    return bones, joints, carpals, radius, ulna, styloid


def render(spec: PhantomSpec, size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Render a phantom.

    Returns:
        ``(image, mask)``: image (size, size) float32 in [0, 1] (bone bright); mask
        (size, size) uint8 label map of the RA signs drawn (see :data:`MASK_LABELS`).
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(spec.seed), 0x464C4D]))
    cv = _Canvas(size, spec)
    noise = rng.standard_normal((size, size)).astype(np.float32)
    fine = ndimage.gaussian_filter(noise, 0.45 * size / 256)
    texture = fine - ndimage.gaussian_filter(fine, 1.6 * size / 256)
    texture /= texture.std() + 1e-6

    bones, joints, carpals, radius, ulna, styloid = _build_skeleton(spec)
    k = spec.hand_scale
    st = k * spec.soft_tissue  # soft-tissue radii scale

    # --- soft tissue: fingers, thumb, palm, wrist/forearm
    for d in DIGITS:
        j = joints[f"MCP{d}"]
        tip = joints[f"DIP{d}"].dist.p1
        _soft_capsule(cv, j.centre - j.direction * 14 * k, tip, 9.5 * st, 6.2 * st)
    _soft_capsule(cv, joints["CMC1"].dist.p0, joints["IP1"].dist.p1, 11 * st, 6.8 * st)
    _soft_capsule(cv, np.array([-1.0, 12]) * k, np.array([1.0, 62]) * k, 28 * k, 31 * k, 0.45)
    _soft_capsule(cv, np.array([0.0, -150]) * k, np.array([0.0, 10]) * k, 31 * k, 29 * k, 0.7)
    for name, amt in spec.swelling.items():
        if name in joints and amt > 0:
            j = joints[name]
            base_r = 9.5 if name.startswith("MCP") else 7.8
            r_sw = base_r * st * (1 + 0.45 * amt)
            before = cv.soft.copy()
            _soft_capsule(cv, j.centre - j.direction * 6 * k, j.centre + j.direction * 8 * k,
                          r_sw * 0.75, r_sw * 0.75)
            _soft_capsule(cv, j.centre - j.direction * 2.5 * k, j.centre + j.direction * 4.5 * k,
                          r_sw, r_sw)
            grown = (cv.soft - before) > 0.25
            cv.mask[grown & (cv.mask == 0)] = MASK_LABELS["swelling"]

    # --- bones
    cortex_scale = 1.0 - 0.45 * spec.diffuse_osteopenia
    for b in bones:
        _draw_bone(cv, b, texture, cortex_scale)
    for c, rx, ry, ang in carpals:
        _draw_ellipsoid(cv, c, rx, ry, ang, texture)
    # Sesamoid at the thumb MCP (a familiar landmark on real films).
    j1 = joints["MCP1"]
    _draw_ellipsoid(cv, j1.centre + np.array([3.5, -1.0]) * k, 2.2 * k, 2.5 * k, 0, texture, 0.8)
    bone_before = cv.bone.copy()

    # --- OA: osteophytes and subchondral sclerosis (productive bone, no erosion, no mask)
    for name, amt in spec.osteophytes.items():
        j = joints.get(name)
        if j is None or amt <= 0:
            continue
        perp = np.array([j.direction[1], -j.direction[0]])
        for sgn in (-1, 1):
            pos = j.centre + j.direction * (j.radius * 0.55) + perp * sgn * (j.radius * 1.05)
            win, dist = _disk_region(cv, pos, (0.8 + 1.6 * amt) * k)
            if win is not None:
                cv.bone[win] += 0.07 * amt * _smooth_disk(dist, 1.0, 0.3) * (0.6 + 0.4 * sgn)
        win, dist = _disk_region(cv, j.centre, j.radius * 1.15)
        if win is not None:
            ring = np.exp(-((dist - 0.95) / 0.12) ** 2) * 0.06 * amt
            cv.bone[win] += ring * (bone_before[win] > 0.02)

    # --- RA: erosions at the bare areas
    for name, grade in spec.erosion.items():
        if grade <= 0 or name not in joints:
            continue
        j = joints[name]
        r_e = _EROSION_RADIUS_MM[int(grade)] * k
        if name == "ULNA":
            _add_erosion(cv, styloid.p1 - (styloid.p1 - styloid.p0) * 0.1, r_e * 0.9, bone_before)
            continue
        if name == "WRIST":
            # scaphoid waist, capitate and distal radius margins
            sites = [(carpals[0][0] + np.array([-4.0, 0.5]) * k), (carpals[1][0] + np.array([0, -5.5]) * k)]
            if grade >= 3:
                sites.append(np.array([-18.5, -6.0]) * k)
            for p in sites:
                _add_erosion(cv, p, r_e, bone_before)
            continue
        perp = np.array([j.direction[1], -j.direction[0]])
        rng_j = np.random.default_rng(np.random.SeedSequence([int(spec.seed), len(name), grade]))
        sides = [1 if rng_j.random() < 0.5 else -1]
        if grade >= 3:
            sides = [1, -1]
        for sgn in sides:
            # head of the proximal bone, just proximal to the articular cartilage
            pos = j.centre - j.direction * (j.radius * 0.35) + perp * sgn * (j.radius * 0.95)
            _add_erosion(cv, pos, r_e, bone_before)
            if grade >= 2 and j.dist is not None:  # base of the distal bone ("mouse ears")
                w0 = j.dist.w0
                pos2 = j.dist.p0 + j.direction * (0.2 * w0) + perp * sgn * (w0 * 0.9)
                _add_erosion(cv, pos2, r_e * 0.8, bone_before)
        if grade >= 4:  # central erosion / collapse of the articular surface
            _add_erosion(cv, j.centre + j.direction * j.radius * 0.55, r_e * 0.8, bone_before)

    # --- RA: joint-space narrowing marked across the normal joint space
    if spec.label == "RA":
        for name, grade in spec.narrowing.items():
            if grade <= 0 or name not in joints or name.startswith(("DIP", "CMC")):
                continue
            j = joints[name]
            if name == "WRIST":
                win, dist = _disk_region(cv, j.centre + np.array([0.0, -6.0]) * k, 16 * k)
                if win is not None:
                    band = (dist < 1.0) & (bone_before[win] < 0.12)
                    _mark(cv, win, band & (dist > 0.35), MASK_LABELS["narrowing"])
                continue
            r_out = j.radius + j.normal_gap + 0.8 / cv.px_per_mm
            win, dist = _disk_region(cv, j.centre, r_out)
            if win is None:
                continue
            X, Y = cv.grid(win)
            c = cv.px(j.centre)
            dpx = np.array([cv.mirror * j.direction[0], -j.direction[1]])
            dpx = cv.rot @ dpx
            along = (X - c[0]) * dpx[0] + (Y - c[1]) * dpx[1]
            rr = dist * r_out
            band = (rr > j.radius - 0.7 / cv.px_per_mm) & (rr <= r_out) & (along > 0.15 * j.radius * cv.px_per_mm)
            _mark(cv, win, band, MASK_LABELS["narrowing"])

    # --- osteopenia: periarticular (local) and diffuse
    for name, amt in spec.periarticular_osteopenia.items():
        if name not in joints or amt <= 0:
            continue
        j = joints[name]
        win, dist = _disk_region(cv, j.centre, j.radius * 2.4)
        if win is None:
            continue
        fall = np.exp(-(dist / 0.6) ** 2)
        cv.osteo[win] *= 1 - 0.38 * amt * fall
        _mark(cv, win, (fall > 0.45) & (bone_before[win] > 0.02), MASK_LABELS["osteopenia"])
    osteo_global = 1 - 0.28 * spec.diffuse_osteopenia

    atten = _MU_SOFT * cv.soft + cv.bone * cv.erode * cv.osteo * osteo_global
    return acquire(atten, spec, rng, size), cv.mask


def acquire(atten: np.ndarray, spec, rng: np.random.Generator, size: int) -> np.ndarray:
    """The film from an attenuation map: exposure, gamma, blur, noise, collimation and the lead
    marker (shared by every generator version; the draws from ``rng`` come in this order)."""
    img = 1.0 - np.exp(-1.45 * atten)
    img = 0.04 + 0.93 * img
    img = np.clip(img * spec.exposure, 0, 1) ** spec.gamma
    if spec.blur > 0:
        img = ndimage.gaussian_filter(img, spec.blur * size / 256)
    img = img + spec.noise * np.sqrt(img + 0.02) * rng.standard_normal(img.shape).astype(np.float32)
    if spec.collimation is not None:
        left, t_, r, bt = spec.collimation
        inside = np.zeros_like(img, bool)
        inside[int(t_ * size): size - int(bt * size), int(left * size): size - int(r * size)] = True
        img = np.where(inside, img, 0.82 + 0.02 * rng.standard_normal(img.shape))
    if spec.marker_corner is not None:
        _draw_marker(img, spec.side, spec.marker_corner, spec.collimation)
    return np.clip(img, 0, 1).astype(np.float32)


def _draw_marker(img: np.ndarray, side: str, corner: int, coll) -> None:
    """A lead side marker ("L"/"R") in a corner, as a radiographer places it."""
    from PIL import Image, ImageDraw, ImageFont

    size = img.shape[0]
    h = max(int(size * 0.07), 8)
    patch = Image.new("L", (h, h), 0)
    draw = ImageDraw.Draw(patch)
    try:
        font = ImageFont.load_default(size=int(h * 0.85))
    except TypeError:  # very old Pillow without sized default font
        font = ImageFont.load_default()
    draw.text((h * 0.2, 0), side, fill=255, font=font)
    mark = np.asarray(patch, np.float32) / 255.0
    pad = int(size * 0.05)
    if coll is not None:
        pad += int(max(coll) * size)
    y0 = pad if corner in (0, 1) else size - pad - h
    x0 = pad if corner in (0, 2) else size - pad - h
    region = img[y0: y0 + h, x0: x0 + h]
    region[...] = np.maximum(region, 0.97 * mark[: region.shape[0], : region.shape[1]])


def make_phantom(seed: int, label: str | None = None, size: int = 256):
    """Sample a spec from ``seed`` and render it. Returns ``(image, mask, spec)``."""
    spec = sample_spec(seed, label)
    img, mask = render(spec, size)
    return img, mask, spec


def with_changes(spec: PhantomSpec, **changes) -> PhantomSpec:
    return replace(spec, **changes)
