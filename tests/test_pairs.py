"""Both hands on one film (issue 12, §1.5): symmetric RA, asymmetric PsA and gout, one person
and one exposure, each hand inside its half, and the same film in every process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ra_models.synthetic.cases import sample_spec
from ra_models.synthetic.film import render
from ra_models.synthetic.pairs import render_pair, sample_pair, symmetry

ROOT = Path(__file__).resolve().parent.parent


def _mean_overlap(subtype: str, n: int = 30) -> float:
    values = [symmetry(*sample_pair(s, subtype=subtype))["overlap"] for s in range(n)]
    return float(np.mean([v for v in values if v is not None]))


def test_ra_is_symmetric_psa_and_gout_are_not():
    assert _mean_overlap("established_ra") > 0.75
    assert _mean_overlap("early_ra") > 0.6
    assert _mean_overlap("oa") > 0.6
    assert _mean_overlap("psa") < 0.3
    assert _mean_overlap("gout") < 0.3


@pytest.mark.parametrize("subtype", ["established_ra", "psa"])
def test_one_person_one_exposure_and_the_index_hand_unchanged(subtype):
    for seed in range(10):
        left, right = sample_pair(seed, subtype=subtype)
        assert (left.side, right.side) == ("L", "R")
        index = sample_spec(seed, subtype=subtype)
        assert index in (left, right)  # the single film's hand, as drawn for a single film
        for f in ("age", "sex", "hand_scale", "soft_tissue", "exposure", "gamma", "noise", "blur",
                  "subtype", "label"):
            assert getattr(left, f) == getattr(right, f), f
        if subtype == "established_ra":  # symmetric: grades within one step where both drawn
            for f, top in (("erosion", 5), ("narrowing", 4)):
                a, b = getattr(left, f), getattr(right, f)
                assert all(abs(a[j] - b[j]) <= 1 and 1 <= b[j] <= top for j in set(a) & set(b))


def test_the_film_holds_each_hand_in_its_half():
    for seed in range(14):
        left, right = sample_pair(seed, subtype=("established_ra", "oa")[seed % 2])
        img, mask = render_pair(left, right, 128)
        assert img.shape == mask.shape == (128, 256)
        assert img[:, 124:132].max() < 0.2  # only air where the halves meet: no bone cut off
        assert (img[:, :128] > 0.5).mean() > 0.01 and (img[:, 128:] > 0.5).mean() > 0.01  # bone
    single, _ = render(sample_spec(3), 128)
    assert single.shape == (128, 128)  # single films untouched


def _digest(hash_seed: str) -> str:
    code = ("import hashlib; from ra_models.synthetic.pairs import sample_pair, render_pair; "
            "img, mask = render_pair(*sample_pair(21, subtype='established_ra'), 96); "
            "print(hashlib.sha256(img.tobytes() + mask.tobytes()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": hash_seed}, timeout=120, check=True)
    return out.stdout.strip()


def test_pair_is_the_same_in_every_process():
    here = render_pair(*sample_pair(21, subtype="established_ra"), 96)
    local = hashlib.sha256(here[0].tobytes() + here[1].tobytes()).hexdigest()
    assert _digest("0") == _digest("4242") == local
