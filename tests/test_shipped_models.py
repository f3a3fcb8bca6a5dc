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
    from ra_models.synthetic import generator
    from ra_models.synthetic.dataset import dataset_labels, item_seed

    pred = XrayPredictor.load(XRAY)
    # films of the generator the model was trained on (its card says which)
    gen = generator.get(pred.card["training_data"]["generator_version"].split(",")[-1])
    render, sample_spec = gen.render, gen.sample_spec
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


def test_numpy_lab_inference_equals_keras():
    """The serving path (NumPy, no TensorFlow) gives the Keras model's numbers within 1e-6."""
    import keras

    from ra_models.clinical.numpy_dnn import NumpyDense
    from ra_models.predictor import ClinicalPredictor

    fast = ClinicalPredictor.load(CLIN)
    assert fast.backend == "numpy"
    ref = ClinicalPredictor.load(CLIN, backend="keras")
    x = np.random.default_rng(0).normal(size=(400, len(fast.feature_names))).astype(np.float32)
    assert np.abs(fast.predict_scaled(x) - ref.predict_scaled(x)).max() <= 1e-6
    model = keras.saving.load_model(CLIN / "model.keras", safe_mode=True)
    raw = np.asarray(model(x, training=False)).reshape(-1)
    assert np.abs(NumpyDense.from_keras_file(CLIN / "model.keras")(x) - raw).max() <= 1e-6


def test_missing_serology_lies_between_negative_and_high_positive():
    """Issue 11 §4, on many patients: a marker that was not measured is never read as negative
    (nor as positive): P(RA | not measured) lies between P(clearly negative) and P(high
    positive)."""
    from ra_models.clinical.cohort import generate_cohort
    from ra_models.predictor import ClinicalPredictor

    pred = ClinicalPredictor.load(CLIN)
    patients = generate_cohort(300, seed=77).dropna(subset=["ESR", "CRP", "RF", "Anti-CCP"])
    checked = 0
    for _, row in patients.head(150).iterrows():
        base = {k: row[k] for k in ("Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP")}
        base["Age"] = int(base["Age"])
        for marker, neg, high in (("Anti-CCP", 2.0, 400.0), ("RF", 3.0, 400.0)):
            p = {v: pred.predict({**base, marker: v}).probability_ra for v in (neg, None, high)}
            assert p[neg] <= p[None] <= p[high], (marker, base, p)
            checked += 1
    assert checked >= 100


def test_labs_alone_give_a_plausible_probability_and_honest_words():
    from ra_models.predictor import ClinicalPredictor

    pred = ClinicalPredictor.load(CLIN)
    typical = {"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 45, "Anti-CCP": 80}
    r = pred.predict(typical)
    assert 0.6 < r.probability_ra < 0.98  # seropositive with raised ESR/CRP: likely, not certain
    neg = pred.predict({**typical, "RF": 5, "Anti-CCP": 2, "ESR": 10, "CRP": 2})
    assert neg.label == "not RA" and "not RA (other rheumatic disease or healthy)" in neg.display_label
    assert any("seronegative" in n for n in neg.notes)
    # Bayes: a primary-care pretest probability lowers it; the cohort's own prior changes nothing
    low = pred.predict(typical, prior=0.02)
    assert low.probability_ra < r.probability_ra and low.prior == 0.02
    assert abs(pred.predict(typical, prior=pred.cohort_prior).probability_ra - r.probability_ra) < 1e-9
    odds = lambda p: p / (1 - p)  # noqa: E731
    lr = odds(r.probability_ra) / odds(pred.cohort_prior)
    assert abs(odds(low.probability_ra) - lr * odds(0.02)) / odds(low.probability_ra) < 1e-6


def test_lab_probability_never_falls_when_a_titre_rises():
    """A higher RF or anti-CCP is never evidence against RA (monotonicity, trained in)."""
    from ra_models.clinical.cohort import generate_cohort
    from ra_models.predictor import ClinicalPredictor

    pred = ClinicalPredictor.load(CLIN)
    grid = [0.5, 2, 5, 10, 15, 20, 25, 40, 60, 100, 200, 400, 1000]
    patients = generate_cohort(200, seed=78).dropna(subset=["ESR", "CRP", "RF", "Anti-CCP"])
    worst = 0.0
    for _, row in patients.head(80).iterrows():
        base = {k: row[k] for k in ("Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP")}
        base["Age"] = int(base["Age"])
        for marker in ("RF", "Anti-CCP"):
            p = [pred.predict({**base, marker: v}).probability_ra for v in grid]
            worst = max(worst, max(a - b for a, b in zip(p, p[1:])))
    assert worst <= 0.01, worst  # at most a 1-point wobble anywhere on the grid
