"""Generator 2.1's wrist: packed carpals with even joint spaces, carpal and CMC spaces measured on
rendered films per SvH grade, ankylosis as fused outlines, erosion sites on the drawn margins,
and 2.0.0 and 2.1.0 still drawn pixel for pixel."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from scipy import ndimage

from ra_models.synthetic import carpus, generator
from ra_models.synthetic.anatomy import GAP_MM, Canvas, build_skeleton
from ra_models.synthetic.cases import PhantomSpec
from ra_models.synthetic.film import render
from ra_models.synthetic.lesions import MASK_LABELS, erosion_sites

CLEAN = dict(seed=77, side="R", rotation_deg=0.0, zoom=1.0, offset=(0.0, 0.0), exposure=1.0,
             gamma=1.0, noise=0.0, blur=0.0, collimation=None, marker_corner=None)
#: Carpals that share a joint on a PA film (and the normal width of that joint, mm).
NEIGHBOURS = [("SCAPH", "LUN"), ("LUN", "TRIQ"), ("SCAPH", "CAP"), ("LUN", "CAP"),
              ("CAP", "HAM"), ("TRIQ", "HAM"), ("CAP", "TRPD"), ("TRPD", "TRPZ"),
              ("SCAPH", "TRPZ"), ("SCAPH", "TRPD")]


#: A 0.1-mm grid over the wrist (hand-frame mm).
XS, YS = np.meshgrid(np.arange(-35, 40, 0.1), np.arange(-10, 60, 0.1))


def outlines(spec):
    """Each drawn carpal outline on the wrist grid, from the skeleton itself."""
    cp = build_skeleton(spec).carpus
    return {g: cp.depth(g, XS, YS) > 0 for g in cp.groups()}


def test_carpals_are_packed_with_even_joint_spaces():
    spec = PhantomSpec(**CLEAN)
    masks = outlines(spec)
    assert len(masks) == len(carpus.PACKED)  # nothing fused in a healthy wrist
    by_name = {g[0]: m for g, m in masks.items()}
    total = np.zeros(next(iter(masks.values())).shape, int)
    for m in masks.values():
        total += m
    assert total.max() == 1  # no two packed carpals overlap
    normal = GAP_MM["CARPAL"]
    for a, b in NEIGHBOURS:
        dist = ndimage.distance_transform_edt(~by_name[a]) * 0.1  # mm to carpal a
        gap = dist[by_name[b]].min()
        assert 0.75 * normal < gap < 1.35 * normal, (a, b, gap)
    # The 2.0 ellipses were uneven: some overlapped, others floated over 2 spaces apart.
    old = build_skeleton(PhantomSpec(**CLEAN, generator_version="2.0.0")).carpals
    old_masks = {n: carpus.core_distance(old[n].parts, XS, YS) < 0 for n in carpus.PACKED}
    old_gaps = [(ndimage.distance_transform_edt(~old_masks[a]) * 0.1)[old_masks[b]].min()
                for a, b in NEIGHBOURS]
    assert min(old_gaps) == 0.0 and max(old_gaps) > 2 * normal


def _space(area, grade, ref=None, size=1024):
    """Measured width (mm) of an SvH area's carpal/CMC space on a rendered clean film: along the
    line across the space through its midpoint, the run darker than halfway between the darkest
    point and the bone on either side; a dip under 0.12 means bone runs across (0 mm)."""
    spec = PhantomSpec(**CLEAN, label="RA", narrowing={area: grade} if grade else {})
    img, mask = render(spec, size)
    cv, sk = Canvas(size, spec), build_skeleton(spec)
    a, b = sk.gaps[area]
    ref = (b - a) / np.linalg.norm(b - a) if ref is None else ref
    t = np.arange(-5, 5, 0.02)
    pts = np.array([cv.px((a + b) / 2 + ti * ref) for ti in t])
    vals = ndimage.map_coordinates(img, [pts[:, 1], pts[:, 0]], order=1)
    near = np.abs(t) < 2.0
    low = vals[near].min()
    top = min(vals[(t > -4) & (t < -2.5)].max(), vals[(t > 2.5) & (t < 4)].max())
    if top - low < 0.12:
        return 0.0, ref, mask
    return float(((vals < low + 0.5 * (top - low)) & near).sum() * 0.02), ref, mask


@pytest.mark.parametrize("area", ["RC", "CSL", "TS", "CMC3", "CMC4", "CMC5"])
def test_carpal_spaces_follow_svh_grades_on_the_film(area):
    normal, ref, _ = _space(area, 0)
    assert 1.2 < normal < 3.2  # 1.5–2 mm drawn (wider where the line crosses obliquely)
    ratios = {g: _space(area, g, ref)[0] / normal for g in (1, 2, 3)}
    assert 0.7 < ratios[1] < 0.95  # doubtful
    assert 0.5 < ratios[2] < 0.85  # generalised, more than half left
    assert 0.1 < ratios[3] < 0.5  # less than half left
    assert ratios[1] > ratios[2] > ratios[3]
    width4, _, mask = _space(area, 4, ref)
    assert width4 == 0.0  # ankylosis: bone runs across, no space
    assert (mask == MASK_LABELS["narrowing"]).any()


def test_ankylosis_fuses_carpals_and_narrowing_collapses_the_carpus():
    fused = PhantomSpec(**CLEAN, label="RA", narrowing={"CSL": 4})
    groups = build_skeleton(fused).carpus.groups()
    assert ("SCAPH", "LUN", "CAP") in [tuple(sorted(g, key=carpus.PACKED.index)) for g in groups]
    # late RA: narrowed radiocarpal and midcarpal spaces bring the capitate towards the radius
    healthy = build_skeleton(PhantomSpec(**CLEAN)).landmarks["CMC3"][1]
    collapsed = build_skeleton(PhantomSpec(**CLEAN, label="RA",
                                           narrowing={"RC": 3, "CSL": 3})).landmarks["CMC3"][1]
    assert healthy - collapsed > 0.6 * (GAP_MM["RC"] + GAP_MM["CARPAL"]) * 0.7
    # ulnar translocation moves the whole carpus towards the ulna
    shifted = build_skeleton(PhantomSpec(**CLEAN, label="RA", ulnar_translocation=1.0))
    assert shifted.landmarks["LUN"][0] - build_skeleton(PhantomSpec(**CLEAN)).landmarks["LUN"][0] \
        == pytest.approx(5.0)


def test_carpal_erosion_sites_sit_on_the_drawn_margin():
    spec = PhantomSpec(**CLEAN)
    sk = build_skeleton(spec)
    sites = erosion_sites(sk, spec.hand_scale)
    for name in ("SCAPH", "LUN", "TRPZ"):
        pos, normal = sites[name]
        inside = sk.carpus.depth((name,), *(pos - 0.5 * normal))
        outside = sk.carpus.depth((name,), *(pos + 0.5 * normal))
        assert inside > 0 > outside, name


def _films_digest(g, big_case) -> str:
    """sha256 over 12 films at 256 px and ``big_case`` at 1024 px, pixels and masks."""
    h = hashlib.sha256()
    for img, mask in [g.render(g.sample_spec(seed), 256) for seed in range(12)] + \
            [g.render(big_case, 1024)]:
        h.update(img.tobytes())
        h.update(mask.tobytes())
    return h.hexdigest()


def test_generator_2_1_stays_reproducible_by_version():
    # the films the 2.1 models were trained on, pixel for pixel (digest taken when 2.2 landed;
    # the case with MCP3/MCP4 swelling pins what 2.2 changed)
    g = generator.get("2.1.0")
    case = g.with_changes(g.sample_spec(3, subtype="early_ra"),
                          swelling={"MCP2": 0.4, "MCP3": 0.5, "MCP4": 0.45, "PIP3": 0.4})
    assert _films_digest(g, case) == "e857f75c30e8e4c882bd4e866bd82e92726460dbf6caa994d634e81676b99c0d"


def test_generator_2_0_stays_reproducible_by_version():
    # the films the 2.0 models were trained on, pixel for pixel (digest taken when 2.1 landed)
    g = generator.get("2.0.0")
    assert _films_digest(g, g.sample_spec(3, subtype="established_ra")) == \
        "78f1503f6ffec1e5681c0d97e755f8c1d620a66d337b0b2707d5a922615b1b7e"
    # the same case draws under both versions; only the drawing differs
    a, b = g.sample_spec(5), generator.get("2.1.0").sample_spec(5)
    assert a.generator_version == "2.0.0" and b.generator_version == "2.1.0"
    assert a.svh() == b.svh() and a.subtype == b.subtype
    assert not np.array_equal(g.render(a, 256)[0], generator.render(b, 256)[0])
