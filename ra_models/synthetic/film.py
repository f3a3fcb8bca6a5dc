"""Generator 2.x film: soft tissue, bones, lesions, then acquisition (exposure, blur, noise,
collimation, lead marker). :func:`render` is a pure function of the spec and the size."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import carpus
from . import lesions as L
from .anatomy import (
    DIGITS,
    MU_CORTEX,
    MU_MEDULLA,
    MU_SOFT,
    Canvas,
    Carpal,
    build_skeleton,
    draw_bone,
    draw_carpal,
    perp,
)
from .cases import PhantomSpec
from .phantom import _soft_capsule, acquire
from .svh import EROSION_AREAS, JSN_AREAS


def _textures(rng, size: int):
    """Trabecular texture stretched along y and along x (bones pick by their axis)."""
    noise = rng.standard_normal((size, size)).astype(np.float32)
    k = size / 256
    out = []
    for sig in ((1.7 * k, 0.45 * k), (0.45 * k, 1.7 * k)):
        t = ndimage.gaussian_filter(noise, sig)
        t = t - ndimage.gaussian_filter(t, 2.0 * k)
        out.append(t / (t.std() + 1e-6))
    return out


def render(spec: PhantomSpec, size: int = 256, *, meta: bool = False):
    """Render a 2.x phantom (2.1 packs the carpus, see :mod:`.carpus`).

    Returns ``(image, mask)``: image (size, size) float32 in [0, 1], bone bright; mask uint8
    labels of every sign drawn (:data:`lesions.MASK_LABELS`). With ``meta=True`` a third item
    gives, per SvH area, its landmark in pixels, and per finger joint the head centre, radius,
    axis and normal joint-space width in pixels (for measuring the drawn narrowing).
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(spec.seed), 0x464C4D, 2]))
    cv = Canvas(size, spec)
    tex_v, tex_h = _textures(rng, size)
    sk = build_skeleton(spec)
    sk.sites = L.erosion_sites(sk, spec.hand_scale)
    k, st = spec.hand_scale, spec.hand_scale * spec.soft_tissue
    joints = sk.joints

    # --- soft tissue: fingers (webs at mid proximal phalanx), thumb, palm, wrist and forearm
    for d in DIGITS:
        j = joints[f"MCP{d}"]
        tip = joints[f"DIP{d}"].dist.p1
        _soft_capsule(cv, j.centre - j.direction * 10 * k, tip, 8.6 * st, 6.0 * st)
    _soft_capsule(cv, joints["CMC1"].dist.p0, joints["IP1"].dist.p1, 10.5 * st, 6.6 * st)
    web = np.mean([joints[f"MCP{d}"].centre for d in DIGITS], axis=0)
    _soft_capsule(cv, np.array([0.0, 14]) * k, web + np.array([1.0, 4.0]) * k, 28 * k, 27 * k, 0.45)
    _soft_capsule(cv, np.array([0.0, -150]) * k, np.array([0.0, 10]) * k, 31 * k, 29 * k, 0.7)

    # --- bones
    cortex_scale = 1.0 - 0.5 * spec.diffuse_osteopenia  # late RA and age thin the cortices
    for b in sk.bones:
        draw_bone(cv, b, tex_v, tex_h, cortex_scale)
    for c in sk.carpals.values():
        if sk.carpus is None or c.name not in carpus.PACKED:
            draw_carpal(cv, c, tex_v, tex_h, cortex_scale)
    if sk.carpus is not None:
        carpus.draw(cv, sk.carpus, tex_v, tex_h, cortex_scale, MU_CORTEX, MU_MEDULLA)
    for off in ((-2.4, -1.2), (2.6, -1.0)):  # two sesamoids at the thumb MCP
        j1 = joints["MCP1"]
        draw_carpal(cv, Carpal("SES", [(j1.centre + np.array(off) * k, 1.8 * k, 2.1 * k, 0)]),
                    tex_v, tex_h, cortex_scale)
    for name, amt in spec.swelling.items():
        if name in joints and amt > 0:
            base = 8.6 if name.startswith("MCP") else 7.2
            L.fusiform_swelling(cv, joints[name], base * st, amt,
                                thickens=spec.drawn_as_of("2.2"))
    L.subchondral_plates(cv, joints)

    # --- narrowing: geometry is already drawn; label it and bridge ankylosed joints
    for name, j in joints.items():
        if j.grade > 0 and name != "CMC1" and spec.label == "RA":
            L.mark_narrowing(cv, j)
        if j.grade >= 4:
            L.ankylosis(cv, j)
    if spec.label == "RA" or "TS" in spec.narrowing:
        for area, (a, b) in sk.gaps.items():
            if spec.narrowing.get(area, 0) > 0:
                L.mark_carpal_gap(cv, a, b, 1.6 * k)

    # --- erosions (RA and the SvH-area erosions of the differentials)
    for area in EROSION_AREAS:
        g = int(spec.erosion.get(area, 0))
        if g > 0 and area not in spec.gout:
            L.ra_erosion(cv, area, g, sk, rng)
    for name, g in spec.erosion.items():  # PsA DIP erosions (marginal, both sides)
        if name.startswith("DIP") and g > 0 and name not in spec.gout:
            j = joints[name]
            for sgn in (-1.0, 1.0)[: 1 + (g >= 3)]:
                pos = j.centre - j.direction * 0.3 * j.radius + perp(j.direction) * sgn * j.prox.w1
                L.notch(cv, pos, 0.5 + 0.35 * g)
    for name, amt in spec.gout.items():
        L.gout_lesion(cv, joints[name], amt, rng)

    # --- the differentials' productive and central changes
    for name, amt in spec.osteophytes.items():
        if amt > 0:
            L.osteophytes(cv, joints[name], amt)
    for name, amt in spec.central_erosion.items():
        L.central_erosion(cv, joints[name], amt)
    for name, amt in spec.periostitis.items():
        L.periostitis(cv, joints[name].prox, amt, tex_v)

    # --- osteopenia: periarticular (trabeculae only) and diffuse
    for name, amt in spec.periarticular_osteopenia.items():
        if name in joints and amt > 0:
            L.periarticular_osteopenia(cv, joints[name].centre, joints[name].radius, amt)
    osteo_global = 1 - 0.3 * spec.diffuse_osteopenia

    bone = ((cv.cortex + cv.plate) * cv.cortex_keep + cv.medulla * cv.osteo) * cv.erode \
        * osteo_global + cv.dense * cv.erode
    atten = MU_SOFT * (cv.soft + 1.8 * cv.extra_soft) + bone
    out = (acquire(atten, spec, rng, size), cv.mask)
    if not meta:
        return out
    return (*out, _meta(cv, sk))


def _meta(cv: Canvas, sk) -> dict:
    areas = dict.fromkeys([*EROSION_AREAS, *JSN_AREAS])
    landmarks = {a: [float(v) / cv.size for v in cv.px(sk.landmarks[a])] for a in areas}
    joints = {}
    for name, j in sk.joints.items():
        joints[name] = {"centre_px": [float(v) for v in cv.px(j.centre)],
                        "radius_px": float(j.radius * cv.px_per_mm),
                        "axis_px": [float(v) for v in cv.image_dir(j.direction)],
                        "ulnar_px": [float(v) for v in cv.image_dir(perp(j.direction))],
                        "normal_gap_px": float(j.normal_gap * cv.px_per_mm), "grade": j.grade}
    return {"landmarks": landmarks, "joints": joints, "px_per_mm": float(cv.px_per_mm)}


