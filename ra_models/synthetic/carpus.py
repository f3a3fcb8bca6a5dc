"""Generator 2.1 carpus: the carpals packed as a PA radiograph shows them.

In 2.0 each carpal was a union of ellipses, floating with uneven gaps. Here each carpal keeps
those ellipses only as its *core* (where it sits and how it is oriented) and grows outwards
until it meets a neighbour: where two grown cores meet, their bisector, set back by half the
joint space, becomes the common surface. The radius' articular surface (with its scaphoid and
lunate fossae) and the ulnar head (through the triangular fibrocartilage) bound the proximal
row, the metacarpal bases the distal row, in the same way. So opposing surfaces run parallel
at the width the case asks for (1.5–2 mm normally, the SvH grade's fraction when narrowed); a
carpal fits its neighbours — the lunate's distal surface is concave around the capitate's head,
the scaphoid's proximal pole sits in its fossa — and free surfaces stay rounded. A narrowed
joint gives a collapsed carpus (the rows move together); ankylosis (JSN grade 4) fuses the two
bones into one outline with trabeculae across and no joint line.

Everything here works in hand-frame millimetres (x towards the ulna, y distal), so a site on a
carpal's margin (for an erosion) is found on the same surface that is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: The carpals that are packed; the pisiform (over the triquetrum) and the hamate's hook (seen
#: end-on) overlap their neighbours on a PA film and keep their 2.0 drawing.
PACKED = ("SCAPH", "LUN", "TRIQ", "CAP", "HAM", "TRPD", "TRPZ")
#: How far each core grows to meet its neighbours (mm, before the hand's scale).
GROW_MM = 2.6
#: Radiolucent triangular fibrocartilage between the ulnar head and the carpus (mm).
TFCC_MM = 4.0
ULNAR_INCLINATION_DEG = 22.0
#: Radius fossae (depth of the lunate's, the scaphoid's; their widths), mm: 2.0's shallow dents
#: (not scaled with the hand, as 2.0 drew them) and 2.1's (times the hand's scale).
FOSSAE_2_0 = (0.9, 0.8, 3.0, 3.5)
FOSSAE_2_1 = (1.9, 1.7, 3.6, 4.2)
#: How far bone overlaps across an ankylosed radiocarpal or CMC space (a bony bridge), mm.
BRIDGE_MM = 0.6
#: SvH JSN grade 1 of a carpal or CMC space, "doubtful" narrowing: the space that is left. (2.0
#: drew 45 %, narrower than grade 2's 65 %; a finger joint's grade 1 is focal instead.)
DOUBTFUL_LEFT = 0.82


def radius_surface(top_cut: tuple, xm):
    """Height (mm) of the radius' articular surface at ``xm``. ``top_cut`` is (x, y of its ulnar
    corner, slope, fossae): inclined, with the lunate and scaphoid fossae (2.0: shallow dents;
    2.1: ≈ 2 mm deep, a ridge between them)."""
    xu, yu, slope, (d_lun, d_sca, w_lun, w_sca) = top_cut
    return yu + (xu - xm) * slope - d_lun * np.exp(-((xm - xu + 6.0) / w_lun) ** 2) \
        - d_sca * np.exp(-((xm - xu + 16.0) / w_sca) ** 2)


def radial_styloid_site(k: float):
    """The distal-radius erosion site: the radial styloid margin (point, outward normal)."""
    x_st = -21.0 * k
    top = (5.5 * k - x_st) * math.tan(math.radians(ULNAR_INCLINATION_DEG))
    return np.array([x_st + 0.6 * k, top - 6.0 * k]), np.array([-1.0, 0.0])


def core_distance(parts, xm, ym):
    """Signed distance (mm, negative inside) to the union of a carpal's ellipses, along the ray
    from each ellipse's centre (exact on the axes, close elsewhere)."""
    out = None
    for centre, rx, ry, ang in parts:
        a = math.radians(ang)
        dx, dy = xm - centre[0], ym - centre[1]
        u = dx * math.cos(a) - dy * math.sin(a)
        v = dx * math.sin(a) + dy * math.cos(a)
        rho = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
        r = np.hypot(u, v)
        d = np.where(rho > 1e-6, r * (1 - 1 / np.maximum(rho, 1e-6)), -min(rx, ry))
        out = d if out is None else np.minimum(out, d)
    return out


def box_distance(p0, axis, half_width, length, xm, ym):
    """Distance (mm) outside a metacarpal base: the box from ``p0`` along ``axis``."""
    dx, dy = xm - p0[0], ym - p0[1]
    u = dx * axis[0] + dy * axis[1]
    v = dx * axis[1] - dy * axis[0]
    qu = np.maximum(np.maximum(-u, u - length), 0)
    qv = np.maximum(np.abs(v) - half_width, 0)
    return np.hypot(qu, qv) + np.minimum(np.maximum(-u, np.abs(v) - half_width), 0)


@dataclass
class Carpus:
    cores: dict  # name -> Carpal (the 2.0 ellipses)
    scale: float  # the hand's scale
    pair_gap: dict  # frozenset({a, b}) -> joint space (mm); 0 = ankylosed
    default_gap: float
    top_cut: tuple  # the radius' articular surface (:func:`radius_surface`)
    ulna_top: float
    rc_gap: float
    bases: list = field(default_factory=list)  # (p0, axis, half_width, gap) of metacarpal bases

    @property
    def grow(self) -> float:
        """How far each core grows to meet its neighbours (mm)."""
        return GROW_MM * self.scale

    @property
    def corner(self) -> float:
        """Radius (mm) where two surfaces of one carpal meet."""
        return 1.2 * self.scale

    def groups(self) -> list[tuple]:
        """The packed carpals as drawn outlines: ankylosed neighbours fuse into one."""
        parent = {n: n for n in PACKED}

        def find(n):
            while parent[n] != n:
                n = parent[n]
            return n
        for pair, gap in sorted(self.pair_gap.items(), key=lambda kv: sorted(kv[0])):
            if gap <= 0:
                a, b = sorted(pair)
                parent[find(b)] = find(a)
        out: dict[str, list] = {}
        for n in PACKED:
            out.setdefault(find(n), []).append(n)
        return [tuple(v) for v in out.values()]

    def floor(self, xm):
        """The surface below the proximal row: the radius up to its ulnar corner (the sigmoid
        notch), then the ulnar head's TFCC."""
        return np.where(xm < self.top_cut[0], radius_surface(self.top_cut, xm),
                        self.ulna_top + TFCC_MM)

    def depth(self, group: tuple, xm, ym):
        """Distance (mm) inside a drawn outline (negative outside); ``group`` from
        :meth:`groups`. Every surface is its own: a bisector, the floor, a metacarpal base."""
        f = {n: core_distance(self.cores[n].parts, xm, ym) for n in PACKED}
        r = self.corner
        best = None
        for n in group:
            s = self.grow - f[n]
            for m in PACKED:
                if m in group:
                    continue
                gap = self.pair_gap.get(frozenset((n, m)), self.default_gap)
                s = soft_min(s, (f[m] - f[n]) / 2 - gap / 2, r)
            rc = self.rc_gap if self.rc_gap > 0 else -BRIDGE_MM  # ankylosis: bone bridges it
            s = soft_min(s, ym - self.floor(xm) - rc, r)
            for p0, axis, hw, gap in self.bases:
                g = gap if gap > 0 else -BRIDGE_MM
                s = soft_min(s, box_distance(p0, axis, hw, 12.0, xm, ym) - g, r)
            best = s if best is None else np.maximum(best, s)
        return best

    def margin(self, group: tuple, start, direction, reach: float = 25.0):
        """The point where a ray from ``start`` (inside) leaves the outline (mm)."""
        t = np.arange(0.0, reach, 0.05)
        pts = start[None, :] + t[:, None] * direction[None, :]
        s = self.depth(group, pts[:, 0], pts[:, 1])
        out = np.nonzero(s <= 0)[0]
        return pts[out[0]] if len(out) else pts[-1]


def soft_min(a, b, r: float):
    """min(a, b) with the corner rounded over ``r`` (the polynomial smooth minimum)."""
    h = np.clip(r - np.abs(a - b), 0, None) / r
    return np.minimum(a, b) - h * h * r / 4


def thickness(s, depth: float, edge: float):
    """Projected thickness (mm) of a rounded block at ``s`` mm inside its outline."""
    q = np.clip(s / max(edge, 1e-3), 0, 1)
    return depth * np.sqrt(1 - (1 - q) ** 2)


def build(spec, cores: dict, gap, top_cut: tuple, ulna_top: float, bases: list) -> Carpus:
    """The carpus of a 2.1 case. ``gap(area, key)`` is the drawn width of an SvH area's joint
    space; ``bases`` the metacarpal bases as (p0, axis, half_width, SvH area or None)."""
    normal = gap(None, "CARPAL")
    pairs = {}
    for a, b, area in (("CAP", "SCAPH", "CSL"), ("CAP", "LUN", "CSL"), ("SCAPH", "TRPZ", "TS"),
                       ("SCAPH", "TRPD", "TS")):
        pairs[frozenset((a, b))] = gap(area, "CARPAL")
    return Carpus(
        cores={n: cores[n] for n in PACKED}, scale=spec.hand_scale, pair_gap=pairs,
        default_gap=normal, top_cut=top_cut, ulna_top=ulna_top, rc_gap=gap("RC", "RC"),
        bases=[(p0, ax, hw, gap(area, "CMC")) for p0, ax, hw, area in bases])


def draw(cv, carpus: Carpus, tex_v, tex_h, cortex_scale: float, mu_cortex: float,
         mu_medulla: float) -> None:
    """Add the packed carpals to the canvas: a cortex of even thickness around trabecular bone
    whose projected thickness rounds off towards every surface."""
    k = carpus.scale
    for group in carpus.groups():
        parts = [p for n in group for p in carpus.cores[n].parts]
        pts = [cv.px(p[0]) for p in parts]
        reach = (max(max(p[1], p[2]) for p in parts) + carpus.grow) * cv.px_per_mm + 2
        win = cv.window(pts, reach)
        if win is None:
            continue
        X, Y = cv.grid(win)
        xm, ym = cv.to_mm(X, Y)
        s = carpus.depth(group, xm, ym)
        depth = 0.85 * 2 * max(min(rx, ry) for _, rx, ry, _ in parts)
        edge = 0.42 * depth
        ct = 0.95 * k * cortex_scale
        outer = thickness(s, depth, edge)
        inner = thickness(s - ct, depth - 2 * ct, edge - ct)
        tex = 0.5 * (tex_v[win] + tex_h[win])
        cv.cortex[win] += mu_cortex * (outer - inner) * 0.9
        cv.medulla[win] += mu_medulla * inner * (1 + 0.3 * tex) * 0.9


def joint_spaces(cp: Carpus, lun_c, sc_c, sd) -> dict:
    """The radiocarpal, capitate–scaphoid–lunate and trapezium–scaphoid spaces as drawn:
    (point on one surface, point on the other), mm, for labels and landmarks."""
    up = np.array([0.0, 1.0])
    rc_a = np.array([lun_c[0], float(cp.floor(np.array(lun_c[0])))])
    out = {"RC": (rc_a, rc_a + up * max(cp.rc_gap, 0.0))}
    a = cp.margin(("LUN",), lun_c, up)
    out["CSL"] = (a, a + up * cp.pair_gap[frozenset(("CAP", "LUN"))])
    a = cp.margin(("SCAPH",), sc_c, sd)
    out["TS"] = (a, a + sd * cp.pair_gap[frozenset(("SCAPH", "TRPZ"))])
    return out
