"""Metrics equal scikit-learn's; temperature scaling fixes an over-confident toy."""

import numpy as np
from sklearn import metrics as skm

from ra_models.calibration import apply_temperature, expected_calibration_error, fit_temperature
from ra_models.metrics import binary_metrics, threshold_table, youden_threshold


def toy(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.5 + (y - 0.5) * 0.4 + rng.normal(0, 0.25, n), 0.001, 0.999)
    return y, p


def test_metrics_equal_sklearn():
    y, p = toy()
    m = binary_metrics(y, p, 0.5, n_boot=200)
    pred = (p >= 0.5).astype(int)
    assert m["accuracy"] == skm.accuracy_score(y, pred)
    assert m["precision"] == skm.precision_score(y, pred)
    assert m["sensitivity"] == skm.recall_score(y, pred)
    assert m["specificity"] == skm.recall_score(1 - y, 1 - pred)
    assert m["f1"] == skm.f1_score(y, pred)
    assert m["roc_auc"] == skm.roc_auc_score(y, p)
    assert m["average_precision"] == skm.average_precision_score(y, p)
    assert m["brier"] == skm.brier_score_loss(y, p)
    assert m["confusion_matrix"] == skm.confusion_matrix(y, pred).tolist()
    lo, hi = m["roc_auc_ci95"]
    assert lo < m["roc_auc"] < hi
    assert m["n"] == len(y)


def test_ece_hand_computed():
    p = np.array([0.05, 0.05, 0.95, 0.95])
    y = np.array([0, 1, 1, 1])
    # bin 0: conf 0.05, acc 0.5 -> 0.45 * 2/4 ; bin 9: conf 0.95, acc 1.0 -> 0.05 * 2/4
    assert abs(expected_calibration_error(p, y) - (0.45 * 0.5 + 0.05 * 0.5)) < 1e-12


def test_temperature_scaling_lowers_ece_of_overconfident_toy():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 3000)
    true_logit = (y - 0.5) * 2 + rng.normal(0, 1.5, len(y))
    over = 1 / (1 + np.exp(-3.0 * true_logit))  # three times too confident
    t = fit_temperature(over[:1500], y[:1500])
    assert 2.0 < t < 4.5
    before = expected_calibration_error(over[1500:], y[1500:])
    after = expected_calibration_error(apply_temperature(over[1500:], t), y[1500:])
    assert after < before / 2


def test_threshold_table_and_youden():
    y, p = toy()
    rows = threshold_table(y, p)
    assert [r["threshold"] for r in rows[:9]] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert rows[-1]["note"] == "Youden J"
    sens = [r["sensitivity"] for r in rows[:9]]
    assert all(a >= b for a, b in zip(sens, sens[1:]))
    t = youden_threshold(y, p)
    fpr, tpr, thr = skm.roc_curve(y, p)
    assert max(tpr - fpr) == (tpr - fpr)[list(thr).index(t)]
