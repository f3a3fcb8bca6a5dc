"""Generator 2.x: SvH grade geometry measured on rendered films, per-sign masks, subtypes,
manifest totals and landmarks, determinism across processes, and 1.x reproducibility."""

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from ra_models.synthetic import generator
from ra_models.synthetic.cases import SUBTYPES, PhantomSpec, sample_spec, with_changes
from ra_models.synthetic.film import render
from ra_models.synthetic.lesions import MASK_LABELS
from ra_models.synthetic.svh import (
    EROSION_AREAS,
    EROSION_TOTAL_MAX,
    JSN_AREAS,
    JSN_TOTAL_MAX,
    svh_agreement,
    svh_totals,
    weighted_kappa,
)

ROOT = Path(__file__).resolve().parent.parent
CLEAN = dict(seed=77, side="R", rotation_deg=0.0, zoom=1.0, offset=(0.0, 0.0), exposure=1.0,
             gamma=1.0, noise=0.0, blur=0.0, collimation=None, marker_corner=None)


def gap_profile(img, joint, angles_deg=np.arange(-25, 26, 5)):
    """Measured joint-space width / normal width along rays from the head centre.

    Along each ray the joint space is the run of pixels, around the head surface, darker than
    halfway between the darkest pixel there and the bone on either side; a dip shallower than
    0.12 on either side counts as no space (bone runs across)."""
    cx, cy = joint["centre_px"]
    ax, ux = np.array(joint["axis_px"]), np.array(joint["ulnar_px"])
    r, g = joint["radius_px"], joint["normal_gap_px"]
    out = []
    for a in np.radians(angles_deg):
        d = np.cos(a) * ax + np.sin(a) * ux
        t = np.arange(r * 0.55, r + 2.5 * g + 6, 0.1)
        vals = ndimage.map_coordinates(img, [cy + t * d[1], cx + t * d[0]], order=1)
        near = (t > r - 0.6 * g) & (t < r + 1.8 * g + 1.5)
        head = np.median(vals[t < r * 0.85])
        base = np.median(vals[t > r + 1.8 * g + 2])
        low = vals[near].min()
        if min(head, base) - low < 0.12:
            out.append(0.0)
            continue
        run = (vals < low + 0.5 * (min(head, base) - low)) & near
        out.append(run.sum() * 0.1 / g)
    return np.array(out)


def joint_space(grade, focal_side=-1.0):
    spec = PhantomSpec(**CLEAN, label="RA", narrowing={"MCP3": grade},
                       focal_side={"MCP3": focal_side})
    img, mask, meta = render(spec, 1024, meta=True)
    return gap_profile(img, meta["joints"]["MCP3"]), img, mask, meta


def test_measured_joint_space_follows_svh_definitions():
    normal, *_ = joint_space(0)
    assert 0.8 < np.median(normal) < 1.3, normal
    focal, *_ = joint_space(1)
    # grade 1: focal — one part narrowed, most of the joint normal
    assert focal.min() / np.median(normal) < 0.65 and np.median(focal) / np.median(normal) > 0.8
    g2, *_ = joint_space(2)
    ratio2 = g2 / np.median(normal)
    assert 0.5 < np.median(ratio2) < 0.85 and ratio2.min() > 0.45  # generalised, > 50 % left
    g3, *_ = joint_space(3)
    ratio3 = g3 / np.median(normal)
    assert 0.1 < np.median(ratio3) < 0.5  # < 50 % left
    g4, img, mask, meta = joint_space(4)
    assert np.median(g4) < 0.1  # ankylosis: no space left ...
    j = meta["joints"]["MCP3"]
    cx, cy = j["centre_px"]
    line = [img[int(round(cy + j["radius_px"] * j["axis_px"][1] + k)),
                int(round(cx + j["radius_px"] * j["axis_px"][0]))] for k in (-1, 0, 1)]
    shaft = img[int(cy - 0.3 * j["radius_px"] * -j["axis_px"][1]), int(cx)]
    assert min(line) > 0.8 * shaft  # ... and bone runs across it (a bony bridge)
    assert (mask == MASK_LABELS["narrowing"]).any()


def test_focal_narrowing_sits_on_the_side_asked():
    ulnar, *_ = joint_space(1, focal_side=1.0)
    radial, *_ = joint_space(1, focal_side=-1.0)
    # angles run radial (-) to ulnar (+): the narrow end swaps with the side
    assert np.argmin(ulnar) > len(ulnar) // 2 > np.argmin(radial)


def test_erosion_area_grows_with_grade_and_stays_at_the_margin():
    areas = []
    for g in range(0, 6):
        spec = PhantomSpec(**CLEAN, label="RA", erosion={"MCP2": g} if g else {})
        img, mask, meta = render(spec, 512, meta=True)
        m = mask == MASK_LABELS["erosion"]
        areas.append(int(m.sum()))
        if g == 2:  # a marginal notch on the radial side of the head, not a hole through it
            j = meta["joints"]["MCP2"]
            ys, xs = np.nonzero(m)
            side = (xs - j["centre_px"][0]) * j["ulnar_px"][0] + (ys - j["centre_px"][1]) * j["ulnar_px"][1]
            assert np.all(side < 0) and np.abs(side).min() > 0.5 * j["radius_px"]
    assert areas[0] == 0 and all(b > a for a, b in zip(areas, areas[1:])), areas


#: Where the case sampler (:mod:`ra_models.synthetic.cases`) puts each finger-joint sign, and
#: the mask label it must leave.
_MCP = ["MCP1", "MCP2", "MCP3", "MCP4", "MCP5"]
_PIP = ["PIP2", "PIP3", "PIP4", "PIP5"]
_DIP = ["DIP2", "DIP3", "DIP4", "DIP5"]
SIGN_SITES = {"swelling": ("swelling", _MCP + _PIP + ["IP1"] + _DIP),  # RA; PsA's DIPs
              "periarticular_osteopenia": ("osteopenia", _MCP + _PIP + ["IP1"]),
              "gout": ("tophus", _MCP + _PIP + ["DIP3", "DIP4", "IP1"]),
              "periostitis": ("periostitis", _DIP + _PIP),
              "osteophytes": ("osteophyte", _DIP + _PIP + ["CMC1"]),
              "central_erosion": ("erosion", _DIP + _PIP)}


@pytest.mark.parametrize("sign", sorted(SIGN_SITES))
def test_every_sign_the_truth_names_is_drawn_where_it_says(sign):
    # the manifest's truth is what the film shows: each sign, at each joint the sampler puts it,
    # changes the film round that joint (and nowhere else) and is labelled in the mask
    label, joints = SIGN_SITES[sign]
    base = PhantomSpec(**CLEAN, label="RA" if sign in ("swelling", "periarticular_osteopenia")
                       else "Normal")
    img0, _ = render(base, 256)
    for joint in joints:
        img, mask, meta = render(with_changes(base, **{sign: {joint: 0.45}}), 256, meta=True)
        drawn = np.abs(img - img0) > 0.004
        labelled = mask == MASK_LABELS[label]
        assert labelled.sum() >= 3 and drawn.sum() >= 3, (sign, joint, labelled.sum(), drawn.sum())
        cx, cy = meta["joints"][joint]["centre_px"]
        ys, xs = np.nonzero(drawn | labelled)  # centred on the joint (≈ 0.9 px per mm at 256)
        if sign != "periostitis":  # which lines the shaft proximal to the joint
            assert np.hypot(xs.mean() - cx, ys.mean() - cy) < 12, (sign, joint)
        assert np.hypot(xs - cx, ys - cy).max() < 48, (sign, joint)


def test_versions_compare_as_numbers():
    assert PhantomSpec(seed=0, generator_version="2.2.0").drawn_as_of("2.2")
    assert not PhantomSpec(seed=0, generator_version="2.1.0").drawn_as_of("2.2")
    assert PhantomSpec(seed=0, generator_version="2.10.0").drawn_as_of("2.2")  # text order: no


def test_swelling_inside_the_palm_is_drawn_from_2_2():
    # 2.0 and 2.1 recorded MCP3/MCP4 swelling but drew none: the palm's soft tissue is thicker
    # than the spindle, and the spindle only raised the tissue to its own thickness. From 2.2
    # the swollen capsule adds its extra thickness, so the palm grows denser over the joint.
    for version, drawn in (("2.1.0", False), ("2.2.0", True)):
        base = PhantomSpec(**CLEAN, label="RA", generator_version=version)
        img0, _ = render(base, 512)
        for joint in ("MCP3", "MCP4"):
            img, mask = render(with_changes(base, swelling={joint: 0.4}), 512)
            assert bool(np.abs(img - img0).max() > 0.01) is drawn, (version, joint)
            assert bool((mask == MASK_LABELS["swelling"]).any()) is drawn, (version, joint)
        # a border joint (MCP2) bulges the outline in both
        img, _ = render(with_changes(base, swelling={"MCP2": 0.4}), 512)
        assert np.abs(img - img0).max() > 0.05


@pytest.mark.parametrize("subtype", SUBTYPES)
def test_each_subtype_draws_its_own_signs_in_its_own_mask_labels(subtype):
    seen = set()
    for k in range(6):
        spec = sample_spec(500 + k, subtype=subtype)
        assert spec.subtype == subtype and spec.label == ("RA" if subtype.endswith("_ra") else "Normal")
        _, mask = render(spec, 256)
        labels = set(np.unique(mask)) - {0}
        assert labels <= set(MASK_LABELS.values())
        seen |= {s for s, v in MASK_LABELS.items() if v in labels}
        if spec.label == "RA":
            assert not any(j.startswith("DIP") for j in [*spec.erosion, *spec.narrowing])
    expected = {"healthy": set(), "oa": {"osteophyte", "sclerosis"},
                "erosive_oa": {"erosion", "osteophyte"}, "psa": {"erosion", "periostitis"},
                "gout": {"erosion", "tophus"}, "early_ra": {"erosion", "swelling"},
                "established_ra": {"erosion", "narrowing", "osteopenia", "swelling"}}[subtype]
    assert expected <= seen, (subtype, seen)
    if subtype == "healthy":
        assert not seen & {"erosion", "osteophyte", "tophus", "periostitis"}


def test_svh_totals_and_limits():
    assert svh_totals({a: 5 for a in EROSION_AREAS}, {a: 4 for a in JSN_AREAS}) == {
        "erosion": EROSION_TOTAL_MAX, "narrowing": JSN_TOTAL_MAX, "total": 140}
    assert EROSION_TOTAL_MAX == 80 and JSN_TOTAL_MAX == 60
    assert svh_totals({"DIP3": 5, "MCP2": 2}, {"DIP3": 3, "RC": 1})["total"] == 3  # DIPs ignored
    with pytest.raises(ValueError, match="MCP2"):
        svh_totals({"MCP2": 6}, {})


def test_manifest_has_svh_grades_totals_and_landmarks(tmp_path):
    out = generator.get().version
    from ra_models.synthetic.dataset import generate_dataset

    generate_dataset(tmp_path, 12, seed=5, workers=1)
    rows = list(csv.DictReader(open(tmp_path / "manifest.csv")))
    assert {r["generator_version"] for r in rows} == {out}
    for r in rows:
        ero = sum(int(r[f"ero_{a}"]) for a in EROSION_AREAS)
        jsn = sum(int(r[f"jsn_{a}"]) for a in JSN_AREAS)
        assert (int(r["svh_erosion"]), int(r["svh_jsn"]), int(r["svh_total"])) == (ero, jsn, ero + jsn)
        x, y = (float(v) for v in r["lm_MCP3"].split(";"))
        assert 0 < x < 1 and 0 < y < 1
    # the landmark sits on the joint: MCP3 lies distal to (above) the radiocarpal joint
    assert all(float(r["lm_MCP3"].split(";")[1]) < float(r["lm_RC"].split(";")[1]) for r in rows
               if r["side"] in ("L", "R"))


def _digest_in_subprocess(hashseed: str, version: str) -> str:
    code = ("import hashlib, numpy as np\n"
            "from ra_models.synthetic.generator import make_phantom\n"
            "h = hashlib.sha256()\n"
            "for s in range(6):\n"
            f"    img, mask, _ = make_phantom(s, size=128, version={version!r})\n"
            "    h.update(np.round(img * 255).astype(np.uint8).tobytes()); h.update(mask.tobytes())\n"
            "print(h.hexdigest())\n")
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True, cwd=ROOT).stdout.strip()


@pytest.mark.parametrize("version", ["2.0.0", "2.1.0", "2.2.0"])
def test_generator_2_is_the_same_across_processes(version):
    assert _digest_in_subprocess("1", version) == _digest_in_subprocess("987", version)


def test_generator_1_1_stays_reproducible_by_version():
    # the films the 1.x models were trained on, pixel for pixel (digest taken when 2.0 landed)
    h = hashlib.sha256()
    for s in (1, 2, 3):
        img, mask, _ = generator.make_phantom(s, size=128, version="1.1.0")
        h.update(np.round(img * 255).astype(np.uint8).tobytes())
        h.update(mask.tobytes())
    assert h.hexdigest() == "7c9c853405342f1a90c663b940b7d9d6ae05ac8dee96c66ad6e35538df9060f0"
    with pytest.raises(ValueError, match="known: 1.1.0, 2.0.0, 2.1.0, 2.2.0"):
        generator.get("3.0")


def test_weighted_kappa_matches_the_textbook_and_sklearn():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(0)
    a = rng.integers(0, 6, 300)
    b = np.clip(a + rng.integers(-2, 3, 300), 0, 5)
    assert weighted_kappa(a, b, 6) == pytest.approx(cohen_kappa_score(a, b, weights="quadratic"))
    assert weighted_kappa(a, a, 6) == 1.0
    assert weighted_kappa([0, 0, 0], [0, 0, 0], 5) == 1.0  # all agree on "no damage"
    with pytest.raises(ValueError):
        weighted_kappa([0, 6], [0, 1], 6)


def test_svh_agreement_scores_like_ra2_dream():
    t_e = np.zeros((4, 16))
    t_j = np.zeros((4, 15))
    t_e[:, 1] = [0, 1, 2, 3]
    p_e = t_e.copy()
    p_e[:, 1] += 0.4  # rounds to the truth: kappa 1, RMSE 0.4
    p_j = t_j + 0.5  # each film's total off by 15 × 0.5
    m = svh_agreement(t_e, p_e, t_j, p_j, EROSION_AREAS, JSN_AREAS)
    assert m["areas"]["erosion"]["MCP2"]["rmse"] == pytest.approx(0.4)
    assert m["areas"]["erosion"]["MCP2"]["kappa"] == pytest.approx(1.0)
    assert m["jsn_total_rmse"] == pytest.approx(7.5)
    assert m["total_rmse"] == pytest.approx(7.9)
