"""Generator 2.x lesions: RA signs graded like Sharp/van der Heijde, and the differentials.

* **Erosions** (one per area, at its bare area, never through the bone): grade 1 loses the thin
  white cortical line; 2 a non-sclerotic marginal notch; 3 a larger notch and a subchondral
  pseudocyst; 4 notches on both margins; 5 a collapsed, flattened articular surface.
* **Joint-space narrowing** is geometry (see :class:`anatomy.Joint`): grade 1 focal, 2 65 %
  left, 3 30 % left, 4 ankylosis drawn here as a bony bridge without endplates.
* **Osteoarthritis**: osteophytes continuous with the cortex, subchondral sclerosis and cysts,
  focal (asymmetric) narrowing; **erosive OA**: central erosions with marginal proliferation
  (gull wing); **psoriatic arthritis**: DIP erosions, pencil-in-cup, fluffy periostitis;
  **gout**: punched-out para-articular erosions with sclerotic, overhanging edges and tophi.

Every sign drawn is written into the label mask, one value per sign type (:data:`MASK_LABELS`).
"""

from __future__ import annotations

import numpy as np

from .anatomy import (
    MU_CORTEX,
    MU_MEDULLA,
    Canvas,
    Joint,
    joint_polar,
    perp,
    radial_styloid_site,
    unit,
)

#: Label values in the lesion mask (generator 2.x). 0 = no sign.
MASK_LABELS = {"erosion": 1, "narrowing": 2, "osteopenia": 3, "swelling": 4, "osteophyte": 5,
               "periostitis": 6, "tophus": 7, "sclerosis": 8}
#: The RA signs among them (faithfulness figures use these on RA films).
RA_SIGNS = ("erosion", "narrowing", "osteopenia", "swelling")

_NOTCH_MM = {1: 0.45, 2: 1.3, 3: 1.8, 4: 2.2, 5: 2.4}


def _disk(cv: Canvas, centre_mm, r_mm, pad: float = 2.0):
    c = cv.px(centre_mm)
    r = max(r_mm * cv.px_per_mm, 0.7)
    win = cv.window([c], r + pad)
    if win is None:
        return None, None
    X, Y = cv.grid(win)
    return win, np.clip((r - np.hypot(X - c[0], Y - c[1])) / 0.8 + 0.5, 0, 1)


def _segment(X, Y, a, b, floor: float = 0.0):
    """For pixel grids X, Y and a segment a→b (pixels): the position along it (0 at a, 1 at b,
    not clipped) and the distance in pixels to the nearest point of the segment."""
    ab = b - a
    t = ((X - a[0]) * ab[0] + (Y - a[1]) * ab[1]) / max(float(ab @ ab), floor)
    tc = np.clip(t, 0, 1)
    return t, np.hypot(X - (a[0] + tc * ab[0]), Y - (a[1] + tc * ab[1]))


def _bone_total(cv: Canvas, win):
    return cv.cortex[win] + cv.medulla[win] + cv.plate[win]


def notch(cv: Canvas, centre_mm, r_mm, *, depth: float = 0.93, rim: float = 0.0,
          label: str = "erosion") -> None:
    """Remove bone in a disk (an erosion). ``rim`` > 0 draws a sclerotic border (gout)."""
    win, disk = _disk(cv, centre_mm, r_mm)
    if win is None:
        return
    before = _bone_total(cv, win) > 0.01
    cv.erode[win] *= 1 - depth * disk
    if rim > 0:
        ring = np.clip(1 - np.abs(disk - 0.05) / 0.18, 0, 1) * (disk < 0.5)
        cv.dense[win] += rim * ring * before
    cv.mark(win, (disk > 0.35) & before, MASK_LABELS[label])


def cortical_line_loss(cv: Canvas, centre_mm, r_mm) -> None:
    """Erosion grade 1: the cortex and subchondral plate vanish over a short arc."""
    win, disk = _disk(cv, centre_mm, r_mm)
    if win is None:
        return
    line = (cv.cortex[win] + cv.plate[win]) > 0.02
    cv.cortex_keep[win] *= 1 - 0.9 * disk
    cv.mark(win, (disk > 0.35) & line, MASK_LABELS["erosion"])


def subchondral_plates(cv: Canvas, joints: dict) -> None:
    """A crisp white endplate under each articular surface (head and base); an ankylosed joint
    (narrowing grade 4) has none."""
    for j in joints.values():
        if j.grade >= 4 or j.prox is None:
            continue
        win = cv.window([cv.px(j.centre)], (j.radius + j.normal_gap + 1.5) * cv.px_per_mm)
        if win is None:
            continue
        X, Y = cv.grid(win)
        d, theta, _ = joint_polar(cv, j, X, Y)
        t = 0.33  # plate thickness (mm)
        arc = np.abs(theta) < 1.1
        head = np.clip(1 - np.abs(d - (j.radius - t / 2)) / t, 0, 1) * arc
        R = j.radius + j.gap_at(theta)
        base_w = j.dist.w0 if j.dist is not None else j.radius
        lateral = np.abs(np.sin(theta) * d) < base_w * 0.92
        base = np.clip(1 - np.abs(d - (R + t / 2)) / t, 0, 1) * (np.abs(theta) < 0.9) * lateral
        cv.plate[win] += MU_CORTEX * 2.6 * (head + base) * cv.mm * cv.px_per_mm * 0.5


def ra_erosion(cv: Canvas, area: str, grade: int, sk, rng) -> None:
    """One SvH-graded erosion at ``area``'s bare area."""
    pos, normal = sk.sites[area]
    j = sk.joints.get(area)
    r = _NOTCH_MM[grade] * (sk.joints[area].radius / 5.0 if j is not None else 1.0) ** 0.3
    # the notch centre sits just outside the margin: a bite, not a hole through the bone
    centre = pos + normal * 0.25 * r
    if grade == 1:
        cortical_line_loss(cv, pos, 1.1)
        notch(cv, centre, r)
        return
    notch(cv, centre, r)
    cortical_line_loss(cv, pos, r * 1.25)
    if grade >= 3:  # subchondral pseudocyst
        inward = -normal
        if j is not None:
            cyst = j.centre + j.direction * 0.3 * j.radius + inward * 0.3 * j.radius
        else:
            cyst = pos + inward * 2.6
        notch(cv, cyst, 0.45 + 0.12 * grade, depth=0.45)
    if grade >= 4:  # the opposite margin too
        if j is not None:
            other = j.centre - j.direction * 0.35 * j.radius - normal * j.prox.w1 * 0.97
            notch(cv, other - normal * 0.25 * r, r * 0.75)
        else:
            notch(cv, pos + normal * 0.2 * r + rng.normal(0, 0.8, 2), r * 0.7)
    if grade == 5 and j is not None:  # collapse: the articular surface is flattened
        win = cv.window([cv.px(j.centre)], (j.radius + 1.5) * cv.px_per_mm)
        if win is not None:
            X, Y = cv.grid(win)
            d, _, along = joint_polar(cv, j, X, Y)
            cap = (d < j.radius + 0.5) & (along > 0.15 * j.radius)
            before = _bone_total(cv, win) > 0.01
            cv.erode[win] *= np.where(cap, 0.12, 1.0)
            cv.plate[win] *= np.where(d > 0.8 * j.radius, 0.3, 1.0)
            cv.mark(win, cap & before, MASK_LABELS["erosion"])


def mark_narrowing(cv: Canvas, j: Joint) -> None:
    """Label the normal joint space of a narrowed joint (the narrowed band and what closed)."""
    r_out = j.radius + j.normal_gap + 0.8 / cv.px_per_mm
    win = cv.window([cv.px(j.centre)], r_out * cv.px_per_mm + 2)
    if win is None:
        return
    X, Y = cv.grid(win)
    d, theta, along = joint_polar(cv, j, X, Y)
    band = (d > j.radius - 0.6 / cv.px_per_mm) & (d <= r_out) & (np.abs(theta) < 0.95)
    if j.grade == 1:  # focal: the narrowed side only
        band &= j.gap_factor(theta) < 0.8
    cv.mark(win, band, MASK_LABELS["narrowing"])


def ankylosis(cv: Canvas, j: Joint) -> None:
    """JSN grade 4: trabecular bone bridges the joint (no space, no endplates)."""
    win = cv.window([cv.px(j.centre)], (j.radius + 1.5) * cv.px_per_mm)
    if win is None:
        return
    X, Y = cv.grid(win)
    d, theta, _ = joint_polar(cv, j, X, Y)
    w = j.dist.w0 if j.dist is not None else j.radius
    band = np.clip(1 - np.abs(d - j.radius) / 0.45, 0, 1) * (np.abs(np.sin(theta) * d) < w * 0.8) \
        * (np.abs(theta) < 1.2)
    # fills the seam between the two bones: trabeculae run across, no white endplate
    cv.medulla[win] += MU_MEDULLA * 2 * w * 0.45 * band
    cv.mark(win, band > 0.2, MASK_LABELS["narrowing"])


def mark_carpal_gap(cv: Canvas, a_mm, b_mm, width_mm: float) -> None:
    """Label the space between two carpal surfaces (a narrowed carpal/CMC joint)."""
    a, b = cv.px(a_mm), cv.px(b_mm)
    win = cv.window([a, b], width_mm * cv.px_per_mm + 3)
    if win is None:
        return
    X, Y = cv.grid(win)
    t, q = _segment(X, Y, a, b, floor=1.0)
    cv.mark(win, (q < width_mm * cv.px_per_mm) & (t > -0.6) & (t < 1.6), MASK_LABELS["narrowing"])


def periarticular_osteopenia(cv: Canvas, centre_mm, radius_mm: float, amt: float) -> None:
    """Thinner trabeculae near the joint; the cortical outline is spared."""
    win, _ = _disk(cv, centre_mm, radius_mm * 2.4)
    if win is None:
        return
    X, Y = cv.grid(win)
    c = cv.px(centre_mm)
    fall = np.exp(-(np.hypot(X - c[0], Y - c[1]) / (radius_mm * 1.45 * cv.px_per_mm)) ** 2)
    cv.osteo[win] *= 1 - 0.5 * amt * fall
    cv.mark(win, (fall > 0.45) & (cv.medulla[win] > 0.01), MASK_LABELS["osteopenia"])


def fusiform_swelling(cv: Canvas, j: Joint, base_r: float, amt: float, *,
                      thickens: bool = False) -> None:
    """A spindle of soft tissue centred on the joint, tapering over about a finger width.

    Up to 2.1 the spindle only raised the soft tissue to its own thickness, so where thicker
    tissue already lies over the joint (MCP3 and MCP4, inside the palm's outline) nothing was
    drawn. With ``thickens`` (2.2) the swollen capsule's extra thickness (its chord less the
    unswollen capsule's) is added to whatever lies over the joint: on a finger or a border MCP
    the outline bulges as before; inside the palm the joint's soft tissue grows denser.
    """
    c = cv.px(j.centre)
    half_len = base_r * 2.2
    win = cv.window([c], (half_len + base_r * 1.6) * cv.px_per_mm)
    if win is None:
        return
    X, Y = cv.grid(win)
    d, theta, along = joint_polar(cv, j, X, Y)
    lateral = np.abs(d * np.sin(theta))
    # tapers to below the finger's own width, so the spindle merges into the finger
    bump = np.exp(-(along / (half_len * 0.5)) ** 2)
    r = base_r * (0.8 + (0.2 + 0.5 * amt) * bump)
    chord = 2 * 0.9 * np.sqrt(np.clip(r * r - lateral * lateral, 0, None))
    before = cv.soft[win].copy()
    np.maximum(cv.soft[win], chord, out=cv.soft[win])
    if thickens:
        r0 = base_r * (0.8 + 0.2 * bump)  # the same capsule, not swollen
        extra = chord - 2 * 0.9 * np.sqrt(np.clip(r0 * r0 - lateral * lateral, 0, None))
        np.maximum(cv.soft[win], before + extra, out=cv.soft[win])
    # the swollen soft tissue itself (drawn after the bones: not over them)
    cv.mark(win, ((cv.soft[win] - before) > 0.25) & (_bone_total(cv, win) < 0.01),
            MASK_LABELS["swelling"])


def osteophytes(cv: Canvas, j: Joint, amt: float, *, distal_base: bool = True) -> None:
    """Spurs growing out of the cortex at the joint margins, and subchondral sclerosis."""
    p = perp(j.direction)
    for sgn in (-1.0, 1.0):
        for bone, y_off, w in ((j.prox, -0.05, j.prox.w1 if j.prox else j.radius),
                               (j.dist, 0.45, j.dist.w0 if j.dist else j.radius)):
            if bone is None or (bone is j.dist and not distal_base):
                continue
            root = j.centre + j.direction * j.radius * y_off + p * sgn * w * 0.92
            # lipping: the spur runs along the joint, out of the cortex at the margin
            tip = root + (p * sgn * 0.45 + j.direction * (0.75 if y_off > 0 else -0.75)) \
                * (0.5 + 1.2 * amt)
            _spur(cv, root, tip, 0.35 + 0.4 * amt)
    sclerosis(cv, j, 0.5 + 0.5 * amt)


def _spur(cv: Canvas, root, tip, width_mm: float) -> None:
    a, b = cv.px(root), cv.px(tip)
    win = cv.window([a, b], width_mm * cv.px_per_mm + 2)
    if win is None:
        return
    X, Y = cv.grid(win)
    t, q = _segment(X, Y, a, b, floor=1e-6)
    t, q = np.clip(t, 0, 1), q / cv.px_per_mm
    spur = np.clip((width_mm * (1 - 0.85 * t) - q) * cv.px_per_mm / 0.8 + 0.5, 0, 1)
    cv.dense[win] += MU_CORTEX * 2.2 * width_mm * spur * 0.6
    cv.mark(win, spur > 0.4, MASK_LABELS["osteophyte"])


def sclerosis(cv: Canvas, j: Joint, amt: float) -> None:
    win = cv.window([cv.px(j.centre)], (j.radius + 2) * cv.px_per_mm)
    if win is None:
        return
    X, Y = cv.grid(win)
    d, theta, _ = joint_polar(cv, j, X, Y)
    band = np.clip(1 - np.abs(d - (j.radius - 1.0)) / 1.0, 0, 1) * (np.abs(theta) < 1.0)
    cv.dense[win] += MU_MEDULLA * 2.0 * j.radius * 0.45 * amt * band
    cv.mark(win, band > 0.5, MASK_LABELS["sclerosis"])


def central_erosion(cv: Canvas, j: Joint, amt: float) -> None:
    """Erosive OA: a central erosion of the head with proliferating margins (gull wing)."""
    tip = j.centre + j.direction * j.radius * 0.75
    notch(cv, tip, (0.9 + 1.2 * amt) * j.radius / 3.5, depth=0.85)
    osteophytes(cv, j, 0.4 + 0.5 * amt)


def periostitis(cv: Canvas, bone, amt: float, tex) -> None:
    """PsA: fluffy new bone along a phalangeal shaft, separated from the cortex."""
    ax = bone.axis()
    p = perp(ax)
    for sgn in (-1.0, 1.0):
        a = bone.p0 + ax * 0.25 * np.linalg.norm(bone.p1 - bone.p0) + p * sgn * (bone.ws + 0.7)
        b = bone.p0 + ax * 0.8 * np.linalg.norm(bone.p1 - bone.p0) + p * sgn * (bone.ws + 0.7)
        pa, pb = cv.px(a), cv.px(b)
        win = cv.window([pa, pb], 1.2 * cv.px_per_mm + 2)
        if win is None:
            continue
        X, Y = cv.grid(win)
        t, q = _segment(X, Y, pa, pb)
        t, q = np.clip(t, 0, 1), q / cv.px_per_mm
        layer = np.clip(1 - q / (0.35 + 0.35 * amt), 0, 1) * np.sin(np.pi * t) \
            * (0.7 + 0.3 * tex[win])
        cv.dense[win] += MU_MEDULLA * 3.0 * amt * layer
        cv.mark(win, layer > 0.3, MASK_LABELS["periostitis"])


def gout_lesion(cv: Canvas, j: Joint, amt: float, rng) -> None:
    """A punched-out para-articular erosion with a sclerotic overhanging edge, and a tophus."""
    side = 1.0 if rng.random() < 0.5 else -1.0
    p = perp(j.direction) * side
    w = j.prox.w1 if j.prox is not None else j.radius
    pos = j.centre - j.direction * (0.9 * j.radius) + p * w * 0.9
    r = 1.0 + 1.2 * amt
    notch(cv, pos, r, depth=0.9, rim=0.10, label="erosion")
    # the overhanging edge: a thin shelf of cortex lifted over the tophus
    _spur(cv, pos + j.direction * r * 0.9, pos + j.direction * r * 0.9 + p * r * 1.3, 0.35)
    centre = pos + p * (r + 2.5 + 2.0 * amt)
    rr = 2.5 + 3.0 * amt
    c = cv.px(centre)
    win = cv.window([c], rr * cv.px_per_mm + 2)
    if win is None:
        return
    X, Y = cv.grid(win)
    q = np.hypot(X - c[0], Y - c[1]) / (rr * cv.px_per_mm)
    lump = 2 * rr * np.sqrt(np.clip(1 - q * q, 0, None))
    cv.extra_soft[win] += lump
    cv.mark(win, q < 0.85, MASK_LABELS["tophus"])


def erosion_sites(sk, k: float) -> dict:
    """For every erosion area: a point on the bone margin and its outward normal (mm)."""
    joints, carpals, styloid = sk.joints, sk.carpals, sk.styloid
    mc1 = joints["CMC1"].dist
    sites = {}
    for name, j in joints.items():
        if name == "CMC1":
            continue
        # the "bare area": head margin just proximal to the cartilage, radial side first
        radial = -perp(j.direction)
        side = radial if name in ("MCP2", "MCP3", "MCP1", "IP1") or name.startswith("PIP") \
            else -radial
        pos = j.centre - j.direction * 0.35 * j.radius + side * j.prox.w1 * 0.97
        sites[name] = (pos, side)
    d1 = mc1.axis()
    sites["MC1B"] = (mc1.p0 + d1 * 3.0 * k - perp(d1) * mc1.w0 * 0.95, -perp(d1))
    tc, rx = carpals["TRPZ"].parts[0][0], carpals["TRPZ"].parts[0][1]
    sites["TRPZ"] = (tc + np.array([-rx * 0.95, 0.0]), np.array([-1.0, 0.0]))
    sc = carpals["SCAPH"].parts[2][0]
    sites["SCAPH"] = (sc + unit(-42 - 90) * 3.5 * k, unit(-42 - 90))
    lc, lrx = carpals["LUN"].parts[0][0], carpals["LUN"].parts[0][1]
    sites["LUN"] = (lc + np.array([lrx * 0.9, -1.0 * k]), np.array([1.0, 0.0]))
    if sk.carpus is not None:  # 2.1: on the packed outlines, as drawn
        for name, (pos, normal) in [(n, sites[n]) for n in ("TRPZ", "SCAPH", "LUN")]:
            start = pos - normal * 4.0 * k
            sites[name] = (sk.carpus.margin((name,), start, normal), normal)
    sites["RAD"] = radial_styloid_site(k)
    sites["ULNA"] = (styloid.p1 - styloid.axis() * 1.5 * k + np.array([1.0, 0]) * k,
                     np.array([1.0, 0.0]))
    return sites
