"""Issue 12 §3: the joint-level SvH scorer — targets, a toy training run, safe loading,
evaluation that never touches the model folder, and clear errors on data without grades."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from ra_models.errors import InvalidDataError
from ra_models.synthetic.dataset import generate_dataset, read_manifest
from ra_models.synthetic.svh import EROSION_AREAS, JSN_AREAS


@pytest.fixture(scope="module")
def toy_scorer(tiny_phantoms, tmp_path_factory):
    from ra_models.xray.scorer import train_scorer

    out = tmp_path_factory.mktemp("svh")
    card = train_scorer(tiny_phantoms, out, epochs=2, batch_size=8, base=4, verbose=0)
    return out, card


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_landmark_targets_peak_on_the_generators_landmark(tiny_phantoms):
    from ra_models.xray.scorer import GRID, landmark_targets

    rows = read_manifest(tiny_phantoms)
    t = landmark_targets(rows[:3], "narrowing")
    assert t.shape == (3, GRID * GRID, len(JSN_AREAS))
    assert np.allclose(t.sum(axis=1), 1.0)
    k = JSN_AREAS.index("MCP3")
    x, y = (float(v) for v in rows[0]["lm_MCP3"].split(";"))
    peak = int(t[0, :, k].argmax())
    assert abs(peak % GRID - x * GRID) <= 1 and abs(peak // GRID - y * GRID) <= 1


def test_toy_scorer_trains_loads_safely_and_scores_every_area(toy_scorer, phantom_png):
    from ra_models.imaging import read_image
    from ra_models.xray.scorer import ScorePredictor

    folder, card = toy_scorer
    assert card["kind"] == "svh" and "synthetic" in card["metrics"]["data"]
    assert set(card["metrics_detail"]["areas"]["erosion"]) == set(EROSION_AREAS)
    pred = ScorePredictor.load(folder)  # safe_mode: stock layers only
    res = pred.score(read_image(phantom_png).pixels)
    assert set(res.erosion) == set(EROSION_AREAS) and set(res.narrowing) == set(JSN_AREAS)
    assert all(0 <= g <= 5 for g in res.erosion.values())
    assert all(0 <= g <= 4 for g in res.narrowing.values())
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in res.where.values())
    tot = res.totals
    assert tot["total"] == sum(res.erosion.values()) + sum(res.narrowing.values())
    assert len(res.table()) == len(set(EROSION_AREAS) | set(JSN_AREAS))
    assert res.to_dict()["note"].startswith("synthetic")


def test_evaluating_the_scorer_writes_a_report_and_leaves_the_model_alone(toy_scorer, tiny_phantoms,
                                                                         tmp_path):
    from ra_models.xray.scorer import evaluate_scorer

    folder, _ = toy_scorer
    before = _digest(folder)
    m = evaluate_scorer(folder, tiny_phantoms, report=tmp_path / "rep")
    assert _digest(folder) == before
    assert m["n_films"] == 48 and m["total_rmse"] >= 0 and -1 <= m["erosion_mean_kappa"] <= 1
    assert "synthetic phantoms" in m["data"]
    assert (tmp_path / "rep" / "svh_table.md").read_text().count("\n|") >= 22


def test_data_without_svh_grades_is_refused_by_name(tmp_path):
    from ra_models.xray.scorer import train_scorer

    generate_dataset(tmp_path / "v1", 6, seed=2, size=64, workers=1, version="1.1.0")
    with pytest.raises(InvalidDataError, match="generator 2.x"):
        train_scorer(tmp_path / "v1", tmp_path / "out", epochs=1)
    (tmp_path / "plain" / "RA").mkdir(parents=True)
    with pytest.raises(InvalidDataError, match="manifest"):
        train_scorer(tmp_path / "plain", tmp_path / "out", epochs=1)
