"""Binary classification metrics shared by the X-ray and clinical evaluations.

Point estimates come from scikit-learn; 95% CIs from a seeded stratified bootstrap.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from .calibration import expected_calibration_error


def youden_threshold(y: np.ndarray, p: np.ndarray) -> float:
    fpr, tpr, thr = skm.roc_curve(y, p)
    j = tpr - fpr
    best = int(np.argmax(j))
    return float(np.clip(thr[best], 0.0, 1.0))


def _point(y, p, threshold):
    y = np.asarray(y, int)
    pred = (np.asarray(p) >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return tn, fp, fn, tp, pred


def bootstrap_ci(y, p, fn, *, n_boot: int = 1000, seed: int = 0, alpha: float = 0.05):
    """Percentile CI of ``fn(y, p)`` over stratified bootstrap resamples."""
    y, p = np.asarray(y), np.asarray(p)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(pos) == 0 or len(neg) == 0:
        return [float("nan"), float("nan")]
    vals = []
    for _ in range(n_boot):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        vals.append(fn(y[idx], p[idx]))
    lo, hi = np.nanpercentile(vals, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return [float(lo), float(hi)]


def binary_metrics(y, p, threshold: float = 0.5, *, n_boot: int = 1000, seed: int = 0) -> dict:
    """All the numbers a model card shows, for labels ``y`` (0/1) and P(positive) ``p``."""
    y = np.asarray(y, int)
    p = np.asarray(p, float)
    tn, fp, fn, tp, pred = _point(y, p, threshold)
    both = len(np.unique(y)) == 2
    sens = tp / (tp + fn) if tp + fn else float("nan")
    spec = tn / (tn + fp) if tn + fp else float("nan")

    def sens_fn(yy, pp):
        return skm.recall_score(yy, pp >= threshold, zero_division=0)

    def spec_fn(yy, pp):
        return skm.recall_score(1 - yy, pp < threshold, zero_division=0)

    out = {
        "n": int(len(y)),
        "n_positive": int(y.sum()),
        "threshold": float(threshold),
        "accuracy": float(skm.accuracy_score(y, pred)),
        "precision": float(skm.precision_score(y, pred, zero_division=0)),
        "sensitivity": float(sens),
        "specificity": float(spec),
        "ppv": float(tp / (tp + fp)) if tp + fp else float("nan"),
        "npv": float(tn / (tn + fn)) if tn + fn else float("nan"),
        "f1": float(skm.f1_score(y, pred, zero_division=0)),
        "roc_auc": float(skm.roc_auc_score(y, p)) if both else float("nan"),
        "average_precision": float(skm.average_precision_score(y, p)) if both else float("nan"),
        "brier": float(skm.brier_score_loss(y, p)),
        "ece": expected_calibration_error(p, y),
        "confusion_matrix": [[int(tn), int(fp)], [int(fn), int(tp)]],
    }
    if both and n_boot:
        out["roc_auc_ci95"] = bootstrap_ci(y, p, skm.roc_auc_score, n_boot=n_boot, seed=seed)
        out["sensitivity_ci95"] = bootstrap_ci(y, p, sens_fn, n_boot=n_boot, seed=seed)
        out["specificity_ci95"] = bootstrap_ci(y, p, spec_fn, n_boot=n_boot, seed=seed)
        out["accuracy_ci95"] = bootstrap_ci(
            y, p, lambda a, b: skm.accuracy_score(a, b >= threshold), n_boot=n_boot, seed=seed)
    return out


def threshold_table(y, p, thresholds=None) -> list[dict]:
    """Sensitivity, specificity, PPV, NPV at 0.1…0.9 and at Youden's J."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    ths = list(thresholds if thresholds is not None else np.round(np.arange(0.1, 0.91, 0.1), 2))
    rows = []
    named = [(float(t), "") for t in ths]
    if len(np.unique(y)) == 2:
        named.append((youden_threshold(y, p), "Youden J"))
    for t, name in named:
        tn, fp, fn, tp, _ = _point(y, p, t)
        rows.append({
            "threshold": round(t, 4), "note": name,
            "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
            "specificity": tn / (tn + fp) if tn + fp else float("nan"),
            "ppv": tp / (tp + fp) if tp + fp else float("nan"),
            "npv": tn / (tn + fn) if tn + fn else float("nan"),
        })
    return rows

