"""The shipped demo models: small, integrity-checked, carded, and as good as their cards say."""

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
XRAY = ROOT / "assets/models/xray"
CLIN = ROOT / "assets/models/clinical"
pytestmark = pytest.mark.skipif(not (XRAY / "model.keras").exists() or not (CLIN / "model.keras").exists(),
                                reason="shipped models not built yet (make models)")


@pytest.mark.parametrize("d", [XRAY, CLIN])
def test_card_integrity_and_size(d):
    from ra_models.model_card import sha256_file

    card = json.loads((d / "model_card.json").read_text())
    assert (d / card["file"]).stat().st_size < 10 * 1024 * 1024
    assert sha256_file(d / card["file"]) == card["sha256"]
    assert "synthetic" in card["intended_use"] and "not for diagnosis" in card["intended_use"]
    for key in ("training_data", "metrics", "software", "limitations", "calibration", "threshold"):
        assert key in card
    assert "synthetic" in card["training_data"]["source"]
    assert (d / "MODEL_CARD.md").exists()


def test_xray_model_reaches_its_card_auc_on_fresh_phantoms():
    from ra_models.predictor import XrayPredictor
    from ra_models.synthetic.dataset import dataset_labels, item_seed
    from ra_models.synthetic.phantom import render, sample_spec

    pred = XrayPredictor.load(XRAY)
    seed = 31337  # never used for training (1) or the card's evaluation set (2024)
    labels = dataset_labels(200, seed)
    xs, ys = [], []
    for i, lab in enumerate(labels):
        img, _ = render(sample_spec(item_seed(seed, i), lab), 256)
        xs.append(pred.prepare(img)[1])
        ys.append(lab == "RA")
    p = pred.calibrate(pred.raw_probabilities(np.stack(xs)))
    auc = roc_auc_score(ys, p)
    card = pred.card.get("evaluation") or pred.card["metrics"]
    lo = card["roc_auc_ci95"][0]
    assert auc >= lo - 0.02, (auc, card["roc_auc_ci95"])
    assert auc >= 0.95


def test_clinical_model_reaches_its_card_auc_on_a_fresh_cohort():
    from ra_models.clinical.cohort import generate_cohort
    from ra_models.clinical.loader import labels_for
    from ra_models.predictor import ClinicalPredictor

    pred = ClinicalPredictor.load(CLIN)
    df, y = labels_for(generate_cohort(3000, seed=99))
    auc = roc_auc_score(y, pred.predict_frame(df))
    lo = pred.card["metrics"]["roc_auc_ci95"][0]
    assert auc >= lo - 0.02, (auc, pred.card["metrics"]["roc_auc_ci95"])


def test_shipped_ood_checker_loads():
    from ra_models.ood import OODChecker

    assert OODChecker.load(XRAY) is not None
