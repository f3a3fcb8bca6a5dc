"""Honest comparison: the DNN against classical models and the ACR/EULAR lab rule (k-fold CV)."""

from __future__ import annotations

import time

import numpy as np
from sklearn import metrics as skm
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier

from ..metrics import binary_metrics
from .acr_eular import serology_acute_phase_score
from .loader import labels_for, normalise_gender
from .preprocessing import LabPreprocessor

MODELS = ("DNN (paper)", "Logistic regression", "Decision tree", "Random forest",
          "Hist. gradient boosting", "ACR/EULAR serology + acute phase (B+C ≥ 2)")


def _acr_rule_scores(df) -> np.ndarray:
    def val(d, k):
        v = d.get(k)
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)

    out = []
    for r in df.itertuples(index=False):
        d = r._asdict()
        out.append(serology_acute_phase_score(val(d, "RF"), val(d, "Anti_CCP"), val(d, "CRP"),
                                              val(d, "ESR"), val(d, "Age"),
                                              normalise_gender(d.get("Gender"))))
    return np.array(out, float)


def compare_clinical(data=None, *, df=None, y=None, n: int = 10000, seed: int = 0,
                     folds: int = 5, task: str = "ra_vs_rest") -> list[dict]:
    """Stratified k-fold CV; returns one row per model with metrics and 95% CIs."""
    from .loader import load_training_table
    from .model import fit_lab_dnn, predict_dnn

    if df is None:
        df, _ = load_training_table(data, n=n, seed=seed)
        df, y = labels_for(df, task)
    frame = df.rename(columns={"Anti-CCP": "Anti_CCP"})
    skf = StratifiedKFold(folds, shuffle=True, random_state=seed)
    oof = {m: np.zeros(len(y)) for m in MODELS}
    seconds = dict.fromkeys(MODELS, 0.0)
    acr = _acr_rule_scores(frame)
    oof[MODELS[5]] = acr / 4.0  # 0..4 points -> [0, 1]; ≥ 2 points (seropositive) = 0.5
    for k, (tr, te) in enumerate(skf.split(np.zeros(len(y)), y)):
        pre = LabPreprocessor().fit(df.iloc[tr])
        xtr, xte = pre.transform(df.iloc[tr]), pre.transform(df.iloc[te])
        # inner validation split for the DNN's early stopping
        rng = np.random.default_rng(seed + k)
        inner = rng.permutation(len(tr))
        cut = int(0.85 * len(tr))
        t = time.time()
        model, _ = fit_lab_dnn(xtr[inner[:cut]], y[tr][inner[:cut]], xtr[inner[cut:]],
                               y[tr][inner[cut:]], seed=seed + k,
                               monotone=tuple(pre.feature_names.index(c) for c in ("RF", "Anti-CCP")))
        oof[MODELS[0]][te] = predict_dnn(model, xte)
        seconds[MODELS[0]] += time.time() - t
        for name, est in ((MODELS[1], LogisticRegression(max_iter=1000)),
                          (MODELS[2], DecisionTreeClassifier(max_depth=5, random_state=seed)),
                          (MODELS[3], RandomForestClassifier(300, min_samples_leaf=3,
                                                             random_state=seed, n_jobs=-1)),
                          (MODELS[4], HistGradientBoostingClassifier(random_state=seed))):
            t = time.time()
            est.fit(xtr, y[tr])
            oof[name][te] = est.predict_proba(xte)[:, 1]
            seconds[name] += time.time() - t
    rows = []
    for name in MODELS:
        m = binary_metrics(y, oof[name], 0.5, n_boot=500, seed=seed)
        rows.append({
            "model": name, "roc_auc": m["roc_auc"], "roc_auc_ci95": m["roc_auc_ci95"],
            "accuracy": m["accuracy"], "accuracy_ci95": m["accuracy_ci95"],
            "sensitivity": m["sensitivity"], "sensitivity_ci95": m["sensitivity_ci95"],
            "specificity": m["specificity"], "specificity_ci95": m["specificity_ci95"],
            "brier": m["brier"],
            "brier_ci95": _brier_ci(y, oof[name], seed),
            "fit_seconds": round(seconds[name], 2), "n": int(len(y)),
        })
    return rows


def _brier_ci(y, p, seed):
    from ..metrics import bootstrap_ci

    return bootstrap_ci(y, p, skm.brier_score_loss, n_boot=500, seed=seed)


def format_table(rows: list[dict], data_note: str = "synthetic cohort", folds: int = 5) -> str:
    def ci(r, k):
        lo, hi = r[f"{k}_ci95"]
        return f"{r[k]:.3f} ({lo:.3f}–{hi:.3f})"

    head = "| Model | ROC-AUC (95% CI) | Accuracy | Sensitivity | Specificity | Brier |"
    lines = [head, "|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: -r["roc_auc"]):
        lines.append(f"| {r['model']} | {ci(r, 'roc_auc')} | {ci(r, 'accuracy')} | "
                     f"{ci(r, 'sensitivity')} | {ci(r, 'specificity')} | {ci(r, 'brier')} |")
    n = rows[0]["n"] if rows else 0
    lines.append(f"\nData: {data_note}, n = {n}; stratified {folds}-fold CV, threshold 0.5 "
                 "(rule: ≥ 2 of 4 points).")
    return "\n".join(lines)
