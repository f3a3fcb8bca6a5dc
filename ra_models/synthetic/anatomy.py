"""Generator 2.x anatomy: a PA right-hand skeleton in millimetres, and how bones are drawn.

Frame: x towards the ulna, y distal (a left hand is mirrored when drawn). Metacarpal heads
≈ 1.8 × the shaft width, bicondylar phalangeal heads, distal tufts, MCP1 sesamoids; a distal
radius with styloid, ≈ 22° ulnar inclination and fossae; ulnar head and styloid; eight carpals
(2.0: unions of ellipses with a scaphoid waist, lunate concavity, hamate hook, pisiform; 2.1:
packed from them by :mod:`.carpus`). Cortex, medulla (trabeculae along the bone) and plate
are separate accumulators, so lesions can remove the cortical line or thin trabeculae.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import carpus
from .carpus import ULNAR_INCLINATION_DEG, radial_styloid_site, radius_surface
from .phantom import _Canvas
from .svh import JSN_WIDTH_LEFT

MU_SOFT, MU_CORTEX, MU_MEDULLA = 0.011, 0.16, 0.045
#: Normal joint-space widths (mm).
GAP_MM = {"MCP": 1.6, "PIP": 1.2, "DIP": 1.0, "IP": 1.1, "CMC": 1.5, "CARPAL": 1.7, "RC": 2.0}
DIGITS = (2, 3, 4, 5)


class Canvas(_Canvas):
    """Pixel-space accumulators for bone parts, soft tissue, lesion factors and the mask."""

    def __init__(self, size: int, spec):
        super().__init__(size, spec)
        self.px_per_mm = size / (240.0 / spec.zoom)  # fingertips to distal forearm
        self.mm = 1.0 / self.px_per_mm
        self.centre_mm = np.array([0.0, 86.0])
        z = np.zeros((size, size), np.float32)
        self.cortex, self.medulla, self.plate = z.copy(), z.copy(), z.copy()
        self.cortex_keep = np.ones((size, size), np.float32)  # erosion grade 1: line lost
        self.dense = z.copy()  # productive bone (osteophytes, periostitis, sclerosis, bridges)
        self.extra_soft = z.copy()  # tophi (denser than soft tissue)

    def to_mm(self, X, Y):
        """Hand-frame mm coordinates of pixel grids (the inverse of :meth:`px`)."""
        dx, dy = X - self.centre_px[0], Y - self.centre_px[1]
        r = self.rot
        v0 = (r[0, 0] * dx + r[1, 0] * dy) / self.px_per_mm
        v1 = (r[0, 1] * dx + r[1, 1] * dy) / self.px_per_mm
        return self.mirror * v0 + self.centre_mm[0], -v1 + self.centre_mm[1]

    def image_dir(self, d_mm) -> np.ndarray:
        """A hand-frame direction as a unit vector in pixel space."""
        return self.rot @ np.array([self.mirror * d_mm[0], -d_mm[1]])

    #: Which sign wins where two overlap (lower wins): the specific lesion over the diffuse one.
    PRIORITY = np.array([99, 0, 1, 6, 7, 2, 3, 4, 5], np.uint8)  # by label value

    def mark(self, win, region, label: int) -> None:
        m = self.mask[win]
        m[region & (self.PRIORITY[m] > self.PRIORITY[label])] = label


def unit(deg: float) -> np.ndarray:
    """Direction in the hand frame: 0° = distal (+y), positive = towards the ulna (+x)."""
    r = math.radians(deg)
    return np.array([math.sin(r), math.cos(r)])


def perp(d: np.ndarray) -> np.ndarray:
    """The ulnar-side normal of a distal direction (for a right hand)."""
    return np.array([d[1], -d[0]])


@dataclass
class Bone:
    p0: np.ndarray  # proximal axis end (mm)
    p1: np.ndarray  # distal axis end (mm)
    w0: float  # half-widths (mm): base, shaft, head
    ws: float
    w1: float
    round0: float = 1.0
    round1: float = 1.0
    cortex: float = 0.38
    flare: float = 0.2
    bicondylar: bool = False
    tuft: bool = False
    cup: dict | None = None  # the joint whose head this base is carved around
    top_cut: tuple | None = None  # (x_ulnar, y_ulnar, slope, fossae): inclined end (radius)
    depth: float = 1.0  # front-to-back over side-to-side diameter (2.1: a flattened radius)

    def axis(self) -> np.ndarray:
        return (self.p1 - self.p0) / np.linalg.norm(self.p1 - self.p0)

    def head_centre(self) -> np.ndarray:
        return self.p1 - self.axis() * self.w1 * self.round1

    def head_radius(self) -> float:
        return self.w1 * self.round1


@dataclass
class Joint:
    """A joint of two long bones (MCP, PIP, DIP, IP, CMC1): head of ``prox``, base of ``dist``."""

    name: str
    centre: np.ndarray  # head centre (mm)
    radius: float  # head radius (mm)
    normal_gap: float
    grade: int  # JSN grade drawn
    direction: np.ndarray
    focal_side: float = 1.0  # +1 ulnar, -1 radial: where focal narrowing sits
    prox: Bone | None = None
    dist: Bone | None = None

    def gap_factor(self, theta):
        """Fraction of the normal width left at angle ``theta`` (radians, + = ulnar side)."""
        if self.grade == 1:
            return 1.0 - 0.55 * np.exp(-((theta - self.focal_side * 0.55) / 0.4) ** 2)
        return JSN_WIDTH_LEFT[self.grade] + 0 * theta

    def gap_at(self, theta):
        return self.normal_gap * self.gap_factor(theta)


def draw_bone(cv: Canvas, b: Bone, tex_v: np.ndarray, tex_h: np.ndarray,
              cortex_scale: float) -> None:
    a_px, b_px = cv.px(b.p0), cv.px(b.p1)
    s = cv.px_per_mm
    win = cv.window([a_px, b_px], max(b.w0, b.ws, b.w1) * s + 2)
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
    w = (b.ws + (b.w0 - b.ws) * np.exp(-(t / f) ** 2)
         + (b.w1 - b.ws) * np.exp(-((1 - t) / f) ** 2)) * s
    r1 = b.w1 * b.round1 * s
    if b.tuft:  # distal tuft: a flared, blunt tip
        r1 = 0.45 * b.w1 * s
    over1 = np.clip(u - (L - r1), 0, None)
    w = np.where(over1 > 0, np.minimum(
        w, (b.w1 * s - r1) + np.sqrt(np.clip(r1 * r1 - over1 * over1, 0, None))), w)
    r0 = b.w0 * b.round0 * s
    over0 = np.clip(r0 - u, 0, None)
    w = np.where(over0 > 0, np.minimum(
        w, (b.w0 * s - r0) + np.sqrt(np.clip(r0 * r0 - over0 * over0, 0, None))), w)
    w = np.where((u < 0) | (u > L), 0.0, w)
    outer = np.sqrt(np.clip(w * w - v * v, 0, None)) * b.depth
    ct = (0.14 + (b.cortex - 0.14) * np.sin(np.pi * t) ** 2) * cortex_scale
    inner = np.sqrt(np.clip((w * (1 - ct)) ** 2 - v * v, 0, None)) * b.depth
    # trabeculae run along the bone: blend the two oriented textures by the axis direction
    tex = ax[1] ** 2 * tex_v[win] + ax[0] ** 2 * tex_h[win]
    keep = np.ones_like(u)
    if b.bicondylar:  # the intercondylar notch of a phalangeal head
        keep = keep * (1 - 0.45 * np.clip(1.2 - np.hypot(u - L, v) / (0.32 * b.w1 * s), 0, 1))
    if b.cup is not None:
        keep = keep * cup_keep(cv, b.cup, X, Y)
    if b.top_cut is not None:
        xm, ym = cv.to_mm(X, Y)
        keep = keep * np.clip((radius_surface(b.top_cut, xm) - ym) * s / 0.8 + 0.5, 0, 1)
    cv.cortex[win] += MU_CORTEX * (outer - inner) * 2 * cv.mm * keep
    cv.medulla[win] += MU_MEDULLA * inner * (1 + 0.35 * tex) * 2 * cv.mm * keep


def joint_polar(cv: Canvas, j: Joint, X, Y):
    """Distance (mm) from the head centre and angle from the joint axis (+ = ulnar side)."""
    c = cv.px(j.centre)
    dpx = cv.image_dir(j.direction)
    ppx = cv.image_dir(perp(j.direction))
    dx, dy = X - c[0], Y - c[1]
    along = (dx * dpx[0] + dy * dpx[1]) / cv.px_per_mm
    side = (dx * ppx[0] + dy * ppx[1]) / cv.px_per_mm
    return np.hypot(along, side), np.arctan2(side, along), along


def cup_keep(cv: Canvas, j: Joint, X, Y):
    """0 inside the joint's cup (head + drawn joint space), 1 outside; soft 0.8 px edge."""
    d, theta, _ = joint_polar(cv, j, X, Y)
    R = j.radius + j.gap_at(theta)
    return np.clip((d - R) * cv.px_per_mm / 0.8 + 0.5, 0, 1)


def ellipse_thickness(cv: Canvas, centre, rx, ry, angle_deg, win):
    """Chord through an ellipsoid (mm) on the pixels of ``win``; angle in the hand frame."""
    X, Y = cv.grid(win)
    c = cv.px(centre)
    th = math.radians(angle_deg) * cv.mirror
    R = cv.rot @ np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    dx, dy = X - c[0], Y - c[1]
    s = cv.px_per_mm
    u = (dx * R[0, 0] + dy * R[1, 0]) / (rx * s)
    v = (dx * R[0, 1] + dy * R[1, 1]) / (ry * s)
    return np.sqrt(np.clip(1 - (u * u + v * v), 0, None)) * 2 * min(rx, ry)


@dataclass
class Carpal:
    name: str
    parts: list  # [(centre, rx, ry, angle)], combined by max (one bone, no double counting)
    bite: tuple | None = None  # (centre, r): a concavity (lunate's distal surface)
    ring_only: bool = False  # hamate hook: seen end-on as a dense ring

    def centre(self) -> np.ndarray:
        return np.mean([p[0] for p in self.parts], axis=0)


def draw_carpal(cv: Canvas, c: Carpal, tex_v, tex_h, cortex_scale: float) -> None:
    pts = [cv.px(p[0]) for p in c.parts]
    reach = max(max(p[1], p[2]) for p in c.parts) * cv.px_per_mm + 2
    win = cv.window(pts, reach)
    if win is None:
        return
    outer = np.zeros(cv.grid(win)[0].shape, np.float32)
    inner = outer.copy()
    ct = 0.16 * cortex_scale
    for centre, rx, ry, ang in c.parts:
        outer = np.maximum(outer, ellipse_thickness(cv, centre, rx, ry, ang, win))
        inner = np.maximum(inner, ellipse_thickness(cv, centre, rx * (1 - ct), ry * (1 - ct),
                                                    ang, win))
    if c.bite is not None:
        X, Y = cv.grid(win)
        bc = cv.px(c.bite[0])
        keep = np.clip((np.hypot(X - bc[0], Y - bc[1]) - c.bite[1] * cv.px_per_mm) / 0.8 + 0.5,
                       0, 1)
        outer, inner = outer * keep, inner * keep
    tex = 0.5 * (tex_v[win] + tex_h[win])
    if c.ring_only:
        cv.cortex[win] += MU_CORTEX * 0.8 * (outer - inner)
        return
    cv.cortex[win] += MU_CORTEX * (outer - inner) * 0.9
    cv.medulla[win] += MU_MEDULLA * inner * (1 + 0.3 * tex) * 0.9


@dataclass
class Skeleton:
    bones: list
    joints: dict  # name -> Joint (finger and thumb joints)
    carpals: dict  # name -> Carpal
    radius: Bone
    ulna: Bone
    styloid: Bone
    gaps: dict  # carpal JSN areas -> (point_a, point_b) across the drawn space (mm)
    sites: dict  # erosion areas -> (margin point, outward normal) (mm): lesions.erosion_sites
    landmarks: dict  # SvH area -> centre (mm)
    carpus: object = None  # 2.1: carpus.Carpus, the packed carpals


def build_skeleton(spec) -> Skeleton:  # noqa: C901 (one anatomical recipe, read top to bottom)
    k = spec.hand_scale
    jsn = spec.narrowing

    v21 = spec.drawn_as_of("2.1")

    def g(area, key):  # drawn width of a carpal/CMC joint space
        grade = int(jsn.get(area, 0))
        return GAP_MM[key] * k * (carpus.DOUBTFUL_LEFT if v21 and grade == 1 else
                                  JSN_WIDTH_LEFT[grade])

    slope = math.tan(math.radians(ULNAR_INCLINATION_DEG))
    shift = np.array([spec.ulnar_translocation * 5.0 * k, 0.0])  # late RA: carpus moves ulnarly
    cut = (5.5 * k, 0.0, slope, tuple(v * k for v in carpus.FOSSAE_2_1) if v21 else
           carpus.FOSSAE_2_0)

    def rad_top(x):  # radial articular surface height (mm) at x (before translocation)
        return (5.5 * k - x) * slope
    radius = Bone(np.array([-5.0, -150]) * k, np.array([-8.0, 10.5]) * k, 8.5 * k, 7.0 * k,
                  13.5 * k, round0=0.5, round1=0.05, cortex=0.42, flare=0.15, top_cut=cut,
                  depth=0.62 if v21 else 1.0)
    ulna = Bone(np.array([12.0, -150]) * k, np.array([11.5, -1.0]) * k, 5.5 * k, 5.0 * k, 6.8 * k,
                round0=0.5, round1=0.75, cortex=0.45, flare=0.1, depth=0.85 if v21 else 1.0)
    styloid = Bone(np.array([15.2, -6.5]) * k, np.array([16.6, 1.5]) * k, 2.1 * k, 1.5 * k,
                   1.1 * k, round0=0.5, round1=1.0, cortex=0.5, flare=0.3)
    # Proximal row on the radius (radiocarpal space rc), distal row on it (CSL space).
    rc = g("RC", "RC")
    lun_c = np.array([1.0 * k, rad_top(1.0 * k) + rc + 7.0 * k]) + shift
    lunate = Carpal("LUN", [(lun_c, 7.2 * k, 7.0 * k, 0)],
                    bite=(lun_c + np.array([0.0, 12.4 * k]), 6.5 * k))
    sd = unit(-50)  # scaphoid long axis: distal pole towards the radial side
    sc_prox = np.array([-9.8 * k, rad_top(-9.8 * k) + rc + 5.4 * k])
    sc_c = sc_prox + sd * 5.2 * k + shift
    scaphoid = Carpal("SCAPH", [(sc_c - sd * 5.2 * k, 5.4 * k, 5.8 * k, -50),
                                (sc_c + sd * 5.6 * k, 5.6 * k, 6.2 * k, -50),
                                (sc_c, 4.1 * k, 4.8 * k, -50)])  # the waist
    tri_c = np.array([11.5 * k, 12.5 * k]) + shift
    triquetrum = Carpal("TRIQ", [(tri_c, 5.6 * k, 6.3 * k, 25)])
    pisiform = Carpal("PISI", [(tri_c + np.array([2.0, 1.6]) * k, 4.0 * k, 4.5 * k, 0)])
    csl = g("CSL", "CARPAL")
    cap_bottom = lun_c[1] + 7.0 * k - 1.0 * k + csl
    cap_c = np.array([0.8 * k + shift[0], cap_bottom + 11.5 * k])
    capitate = Carpal("CAP", [(cap_c, 6.3 * k, 11.5 * k, 0),
                              (np.array([cap_c[0], cap_bottom + 5.6 * k]), 6.0 * k, 5.6 * k, 0)])
    ham_c = np.array([13.6 * k + shift[0], cap_c[1] - 1.0 * k])
    hamate = Carpal("HAM", [(ham_c, 6.8 * k, 9.5 * k, -10)])
    hook = Carpal("HOOK", [(ham_c + np.array([-1.5, -1.0]) * k, 2.4 * k, 2.7 * k, 0)],
                  ring_only=True)
    tpd_c = np.array([-10.6 * k + shift[0], cap_c[1] + 1.5 * k])
    trapezoid = Carpal("TRPD", [(tpd_c, 5.0 * k, 6.5 * k, 8)])
    ts = g("TS", "CARPAL")
    sc_distal = sc_c + sd * 11.8 * k
    tpz_c = sc_distal + np.array([1.5 * k, 6.8 * k + ts])
    trapezium = Carpal("TRPZ", [(tpz_c, 6.4 * k, 6.8 * k, 28)])
    carpals = {c.name: c for c in (scaphoid, lunate, triquetrum, pisiform, capitate, hamate, hook,
                                   trapezoid, trapezium)}

    bones: list[Bone] = [radius, ulna, styloid]
    joints: dict[str, Joint] = {}
    gaps = {"RC": (np.array([lun_c[0], rad_top(1.0 * k)]), lun_c - np.array([0, 7.0 * k])),
            "CSL": (lun_c + np.array([0, 6.0 * k]), np.array([cap_c[0], cap_bottom])),
            "TS": (sc_distal, tpz_c - np.array([0, 6.8 * k]))}
    cap_top = cap_c[1] + 11.5 * k
    ham_top = ham_c[1] + 9.3 * k
    mc_base = {2: (np.array([-10.2 * k + shift[0], tpd_c[1] + 6.5 * k]), None),
               3: (np.array([0.8 * k + shift[0], cap_top]), "CMC3"),
               4: (np.array([10.0 * k + shift[0], ham_top]), "CMC4"),
               5: (np.array([17.8 * k + shift[0], ham_top - 2.6 * k]), "CMC5")}
    mc_len = {2: 67, 3: 64, 4: 57, 5: 52}
    mc_ang = {2: -6, 3: 0, 4: 5, 5: 10}
    phal = {2: (40, 23, 17), 3: (45, 27, 19), 4: (42, 26, 18), 5: (33, 18, 16)}
    spread_deg = {2: -5.5, 3: -1.0, 4: 3.5, 5: 8.0}
    widths = [(5.0, 2.6, 3.6), (4.1, 2.25, 3.0), (3.4, 1.7, 2.5)]
    mcs: list = []
    for d in DIGITS:
        base, area = mc_base[d]
        gap_cmc = g(area, "CMC") if area else GAP_MM["CMC"] * k
        base = base + np.array([0, gap_cmc])
        if area:
            gaps[area] = (base - np.array([0, gap_cmc]), base)
        dmc = unit(mc_ang[d])
        mcb = Bone(base, base + dmc * mc_len[d] * k, 4.6 * k, 2.8 * k, 5.0 * k, round0=0.4,
                   round1=1.0, cortex=0.45, flare=0.14)
        bones.append(mcb)
        mcs.append((mcb, area))
        prev = mcb
        finger_ang = mc_ang[d] * 1.4 + spread_deg[d] * spec.spread + spec.ulnar_deviation_deg
        ddir = unit(finger_ang)
        for name, L_ph, (w0, ws, w1), key in zip((f"MCP{d}", f"PIP{d}", f"DIP{d}"), phal[d],
                                                 widths, ("MCP", "PIP", "DIP")):
            prev, ddir = _add_phalanx(spec, bones, joints, name, key, prev, ddir, L_ph, w0, ws,
                                      w1, k)
    # Thumb: MC1 on the trapezium, proximal and distal phalanx (thumb IP).
    th_ang = -38 - spec.thumb_abduction_deg
    d1 = unit(th_ang)
    cmc1 = Joint("CMC1", tpz_c, 5.0 * k, GAP_MM["CMC"] * k, int(jsn.get("CMC1", 0)), d1)
    mc1_base = tpz_c + d1 * (5.0 * k + cmc1.gap_at(0.0)) + perp(d1) * (
        -2.2 * k * spec.cmc1_subluxation)  # OA: radial subluxation of the 1st metacarpal
    mc1 = Bone(mc1_base, mc1_base + d1 * 44 * k, 5.2 * k, 3.0 * k, 5.2 * k, round0=0.6,
               cortex=0.45, flare=0.2)
    cmc1.dist = mc1
    bones.append(mc1)
    joints["CMC1"] = cmc1
    prev, ddir = mc1, unit(th_ang + 10 + spec.ulnar_deviation_deg * 0.3)
    for name, L_ph, (w0, ws, w1), key in (("MCP1", 31, (5.0, 2.9, 3.9), "MCP"),
                                          ("IP1", 23, (4.2, 2.1, 2.9), "IP")):
        prev, ddir = _add_phalanx(spec, bones, joints, name, key, prev, ddir, L_ph, w0, ws, w1, k,
                                  thumb=True)
    landmarks = {n: j.centre + j.direction * j.radius for n, j in joints.items()}
    landmarks.update({"MC1B": mc1.p0 + d1 * 2.0 * k, "TRPZ": tpz_c, "SCAPH": sc_c,
                      "LUN": lun_c, "RAD": radial_styloid_site(k)[0], "ULNA": styloid.p1})
    cp = None
    if v21:
        bases = [(b.p0, b.axis(), b.w0, a) for b, a in mcs] + [(mc1.p0, d1, mc1.w0, "CMC1")]
        cp = carpus.build(spec, carpals, g, cut, ulna.p1[1], bases)
        gaps.update(carpus.joint_spaces(cp, lun_c, sc_c, sd))
    for area, (a, b) in gaps.items():
        landmarks[area] = (a + b) / 2
    return Skeleton(bones, joints, carpals, radius, ulna, styloid, gaps, {}, landmarks, cp)


def _add_phalanx(spec, bones, joints, name, key, prev: Bone, ddir, L_ph, w0, ws, w1, k,
                 thumb=False):
    g_norm = GAP_MM[key] * k
    hc, hr = prev.head_centre(), prev.head_radius()
    pj = Joint(name, hc, hr, g_norm, int(spec.narrowing.get(name, 0)), ddir,
               focal_side=spec.focal_side.get(name, 1.0) if spec.focal_side else 1.0, prox=prev)
    start = hc + ddir * (hr + pj.gap_at(0.0))
    if name.startswith("MCP") and not thumb and spec.subluxation > 0:
        start = start - perp(ddir) * spec.subluxation * 2.5 * k
    pencil = spec.pencil_in_cup.get(name, 0.0)
    if pencil > 0:  # PsA: the proximal head is whittled to a point, the base widens into a cup
        prev.w1 *= 1 - 0.5 * pencil
        prev.round1 = 1.0
        pj.centre, pj.radius = prev.head_centre(), prev.head_radius()
        start = pj.centre + ddir * (pj.radius + pj.gap_at(0.0))
    is_tip = name.startswith("DIP") or name == "IP1"
    b = Bone(start - ddir * 0.3 * hr, start + ddir * L_ph * k, w0 * k * (1 + 0.25 * pencil),
             ws * k, w1 * k, round0=0.35, round1=0.55 if is_tip else 1.0, cortex=0.42,
             flare=0.3 if is_tip else 0.22, bicondylar=not is_tip, tuft=is_tip, cup=pj)
    bones.append(b)
    pj.dist = b
    joints[name] = pj
    return b, ddir

