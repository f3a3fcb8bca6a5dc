"""Phantom generator 1.1.0 (kept reproducible by version): determinism, masks, OA negatives, severity, manifest and CLI."""

import csv
import hashlib

import numpy as np
import pytest

from ra_models.synthetic.dataset import generate_dataset, item_seed
from ra_models.synthetic.phantom import (
    MASK_LABELS,
    make_phantom,
    render,
    sample_spec,
    spec_from_controls,
)


def test_same_seed_same_pixels():
    a, ma, sa = make_phantom(123)
    b, mb, sb = make_phantom(123)
    assert sa == sb
    assert np.array_equal(a, b) and np.array_equal(ma, mb)
    c, _, _ = make_phantom(124)
    assert not np.array_equal(a, c)


def test_image_contract():
    img, mask, _ = make_phantom(3, size=192)
    assert img.shape == (192, 192) and img.dtype == np.float32
    assert 0 <= img.min() and img.max() <= 1
    assert mask.shape == (192, 192) and mask.dtype == np.uint8
    # bones are brighter than soft tissue which is brighter than air
    assert np.percentile(img, 99) > 0.6 and np.percentile(img, 5) < 0.2


@pytest.mark.parametrize("seed", range(12))
def test_masks_nonempty_exactly_for_ra(seed):
    for label in ("RA", "Normal"):
        _, mask, spec = make_phantom(seed, label)
        assert spec.label == label
        assert (mask.any()) == (label == "RA")
        assert set(np.unique(mask)) <= {0, *MASK_LABELS.values()}


def test_oa_negatives_have_no_erosions():
    n_oa = 0
    for seed in range(60):
        spec = sample_spec(seed, "Normal")
        if spec.subtype != "oa":
            continue
        n_oa += 1
        _, mask = render(spec, 128)
        assert not spec.erosion
        assert not (mask == MASK_LABELS["erosion"]).any()
        assert spec.osteophytes
        assert not any(spec.narrowing.get(f"MCP{d}", 0) for d in range(1, 6))  # MCPs spared
    assert n_oa >= 10


def test_ra_spares_dips():
    for seed in range(40):
        spec = sample_spec(seed, "RA")
        assert not any(spec.narrowing.get(f"DIP{d}", 0) for d in range(2, 6))


def test_more_severity_more_lesion_area_and_narrower_joints():
    areas, gaps = [], []
    for level in range(0, 5):
        spec = spec_from_controls(7, erosion=level, narrowing=min(level, 4),
                                  osteopenia=0.0, swelling=0.0)
        img, mask = render(spec, 256)
        areas.append(int((mask == MASK_LABELS["erosion"]).sum()))
        gaps.append(np.mean([1.0 - 0.25 * g for g in spec.narrowing.values()]) if spec.narrowing else 1.0)
    assert areas[0] == 0
    assert all(b > a for a, b in zip(areas, areas[1:])), areas
    assert all(b < a for a, b in zip(gaps, gaps[1:])), gaps


def test_narrowing_shrinks_the_drawn_joint_space():
    """Intensity profile across MCP3: the dark joint-space gap gets thinner with JSN grade."""
    from ra_models.synthetic.phantom import PhantomSpec, _build_skeleton, _Canvas

    dark = []
    for grade in (0, 2, 4):
        spec = PhantomSpec(seed=1, narrowing={"MCP3": grade}, rotation_deg=0, noise=0.0,
                           blur=0.0, collimation=None, marker_corner=None)
        img, _ = render(spec, 512)
        _, joints, *_ = _build_skeleton(spec)
        j = joints["MCP3"]
        cv = _Canvas(512, spec)
        pts = [cv.px(j.centre + j.direction * (j.radius + t)) for t in np.linspace(-1.5, 3.0, 40)]
        prof = np.array([img[int(round(p[1])), int(round(p[0]))] for p in pts])
        dark.append(int((prof < prof.max() * 0.8).sum()))
    assert dark[0] > dark[1] >= dark[2], dark


def test_left_right_and_nuisance_vary():
    sides = {sample_spec(s).side for s in range(30)}
    rots = [sample_spec(s).rotation_deg for s in range(30)]
    assert sides == {"L", "R"}
    assert min(rots) < -5 and max(rots) > 5 and all(-15 <= r <= 15 for r in rots)


def test_early_ra_is_subtle():
    early = [sample_spec(s, "RA") for s in range(200)]
    early = [s for s in early if s.subtype == "early_ra"]
    assert len(early) >= 20
    assert all(1 <= len(s.erosion) <= 2 and max(s.erosion.values()) <= 1 for s in early)


def test_dataset_manifest_matches_files(tmp_path):
    generate_dataset(tmp_path, 12, seed=9, size=96, workers=1, version="1.1.0")
    rows = list(csv.DictReader(open(tmp_path / "manifest.csv")))
    assert len(rows) == 12
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*.png")
             if p.parent.name in ("RA", "Normal")}
    assert files == {r["file"] for r in rows}
    for r in rows:
        assert r["file"].startswith(r["label"] + "/")
        assert (tmp_path / r["mask"]).exists()
        assert int(r["seed"]) == item_seed(9, int(r["file"].split("_")[-1][:5]))
        spec = sample_spec(int(r["seed"]), r["label"])
        assert r["subtype"] == spec.subtype
        assert int(r["ero_MCP2"]) == spec.erosion.get("MCP2", 0)
    assert sum(r["label"] == "RA" for r in rows) == 6


def test_dataset_bytes_are_deterministic_across_workers(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_dataset(a, 8, seed=4, size=96, workers=1, version="1.1.0")
    generate_dataset(b, 8, seed=4, size=96, workers=2, version="1.1.0")

    def digest(root):
        h = hashlib.sha256()
        for p in sorted(root.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(root).as_posix().encode() + p.read_bytes())
        return h.hexdigest()

    assert digest(a) == digest(b)


def test_dicom_output_reads_back(tmp_path):
    from ra_models import read_image

    generate_dataset(tmp_path, 4, seed=2, size=96, fmt="dicom", workers=1, version="1.1.0")
    files = sorted(tmp_path.glob("*/*.dcm"))
    assert len(files) == 4
    img, meta = read_image(files[0])
    assert meta.format == "DICOM" and img.shape == (96, 96)


def test_cli_phantoms_and_contact_sheet(tmp_path):
    from ra_models.cli import main

    assert main(["phantoms", "--out", str(tmp_path / "d"), "--n", "6", "--seed", "1",
                 "--size", "96", "--workers", "1"]) == 0
    assert (tmp_path / "d" / "manifest.csv").exists()
    assert main(["phantoms", "--contact-sheet", str(tmp_path / "sheet.png"), "--seed", "3"]) == 0
    from PIL import Image

    assert Image.open(tmp_path / "sheet.png").size == (4 * 384, 4 * 384)
