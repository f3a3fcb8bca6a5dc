"""Train, calibrate and card the lab DNN: ``python -m ra_models train clinical``."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import model_card
from ..calibration import fit_temperature
from ..metrics import binary_metrics
from ..model_card import BACKGROUND_FILE, MODEL_FILE, PREPROCESSOR_FILE
from ..splits import stratified_split
from .loader import labels_for, load_training_table
from .model import fit_lab_dnn
from .preprocessing import LabPreprocessor
from .schema import FEATURES, LAB_FEATURES, LAB_MARKERS

THRESHOLD = 0.5
UNCERTAIN_BAND = 0.15


#: Markers along which P(RA) must never fall: a higher RF or anti-CCP titre is never evidence
#: against RA (a rheumatologist would not trust a model where it is).
MONOTONE_MARKERS = ("RF", "Anti-CCP")


def train_clinical(data: str | Path | None, out_dir: str | Path, *, seed: int = 0,
                   n: int = 12000, epochs: int = 100, task: str = "ra_vs_rest",
                   missing_indicators: bool = False, cv_folds: int = 5,
                   n_background: int = 150) -> dict:
    """Train on a CSV (or a synthetic cohort of ``n``) and write model, preprocessing, card."""
    from .compare import compare_clinical

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    df, prov = load_training_table(data, n=n, seed=seed)
    df, y = labels_for(df, task)
    tr, va, te = stratified_split(y, seed)
    pre = LabPreprocessor(missing_indicators).fit(df.iloc[tr])
    # The DNN learns P(RA | all four markers) from patients who had them all measured; a
    # marker that was not measured is then averaged over (ClinicalPredictor), never imputed.
    full = df[list(LAB_MARKERS)].notna().all(axis=1).to_numpy() if not missing_indicators \
        else np.ones(len(df), bool)
    ftr, fva = tr[full[tr]], va[full[va]]
    xtr, xva = pre.transform(df.iloc[ftr]), pre.transform(df.iloc[fva])
    t0 = time.time()
    monotone = tuple(pre.feature_names.index(c) for c in MONOTONE_MARKERS)
    model, hist = fit_lab_dnn(xtr, y[ftr], xva, y[fva], seed=seed, epochs=epochs,
                              monotone=monotone)
    train_s = time.time() - t0
    model.save(out_dir / MODEL_FILE)
    pre.save(out_dir / PREPROCESSOR_FILE)
    # Background patients (SHAP's reference, and what a marker that was not measured is
    # averaged over): training patients with every marker measured.
    rng = np.random.default_rng(seed)
    complete = np.array([i for i in tr if df.iloc[i][list(LAB_MARKERS)].notna().all()])
    pool = complete if len(complete) >= n_background else np.asarray(tr)
    bg_idx = rng.choice(pool, size=min(n_background, len(pool)), replace=False)
    background = df.iloc[np.sort(bg_idx)][list(FEATURES)].reset_index(drop=True)
    background.to_csv(out_dir / BACKGROUND_FILE, index=False)
    prevalence = float(y[tr].mean())
    # Probabilities as the apps compute them (missing markers averaged over the background).
    from ..predictor import ClinicalPredictor

    raw = ClinicalPredictor(model, {"calibration": {"temperature": 1.0}}, pre, background)
    temperature = fit_temperature(raw.predict_frame(df.iloc[fva]), y[fva])
    calibrated = ClinicalPredictor(model, {"calibration": {"temperature": temperature}}, pre,
                                   background)
    p_test = calibrated.predict_frame(df.iloc[te])
    metrics = binary_metrics(y[te], p_test, THRESHOLD, seed=seed)
    fte = full[te]
    m_full = binary_metrics(y[te][fte], p_test[fte], THRESHOLD, seed=seed, n_boot=200)
    metrics["complete_markers"] = {"n": int(fte.sum()), "roc_auc": m_full["roc_auc"],
                                   "ece": m_full["ece"], "brier": m_full["brier"],
                                   "note": "test patients with all four markers measured"}
    comparison = compare_clinical(df=df, y=y, seed=seed, folds=cv_folds) if cv_folds else []
    best = max(comparison, key=lambda r: r["roc_auc"]) if comparison else None
    card = {
        "name": "ra-lab-dnn",
        "version": "2.0.0",
        "kind": "clinical",
        "task": {"ra_vs_rest": "RA vs every other class (other rheumatic diseases and Normal)",
                 "ra_vs_normal": "RA vs Normal"}[task],
        "architecture": {"layers": "Dense 64 + ReLU, BatchNorm, Dropout 0.3, Dense 32 + ReLU, "
                                   "BatchNorm, Dropout 0.3, Dense 1 sigmoid",
                         "preprocessing": "median imputation, gender Female=1, log1p of ESR/CRP/RF/"
                                          "Anti-CCP, standardisation (JSON, no pickle)"},
        "parameters": int(model.count_params()),
        "features": [{"name": f.name, "unit": f.unit, "range": [f.min, f.max]} for f in LAB_FEATURES]
        + [{"name": "Gender", "unit": "Female/Male"}],
        "missing_indicators": missing_indicators,
        "calibration": {"method": "temperature scaling", "temperature": temperature,
                        "fitted_on": "validation split"},
        "threshold": THRESHOLD,
        "uncertain_band": UNCERTAIN_BAND,
        "prevalence": prevalence,
        "prevalence_note": ("share of RA in the training data: the pretest probability the "
                            "model's output is calibrated to (the apps convert to a user's "
                            "pretest probability by Bayes' odds)"),
        "missing_markers": ("a marker that was not measured is averaged over the background "
                            "patients' values (never imputed with one value)"),
        "training_data": {**prov, "n_used": int(len(y)), "n_ra": int(y.sum())},
        "split": {"method": "stratified 70/15/15", "seed": seed, "train": len(tr), "val": len(va),
                  "test": len(te)},
        "training": {"optimizer": "Adam", "learning_rate": 1e-3, "loss": "binary cross-entropy "
                     "+ 30 × monotonicity penalty (P(RA) must not fall when RF or anti-CCP rises)",
                     "early_stopping": "val_loss, patience 10, best weights restored",
                     "epochs_run": len(hist["loss"]), "train_seconds": round(train_s, 1)},
        "metrics": {"data": f"held-out test split ({prov['source']})", **metrics},
        "comparison": {"method": f"stratified {cv_folds}-fold cross-validation on the same data "
                                 f"({prov['source']}); 95% CIs by bootstrap of pooled "
                                 "out-of-fold predictions",
                       "best_by_roc_auc": best["model"] if best else None, "rows": comparison},
        "intended_use": model_card.INTENDED_USE,
        "limitations": [
            "Trained on a synthetic cohort drawn from published marker accuracy; real "
            "laboratories differ in assays, cut-offs and case mix. No external validation.",
            "RF and anti-CCP assays are poorly harmonised: a value from another assay can move "
            "the probability without any change in the patient.",
            "Lab values alone cannot classify RA: the ACR/EULAR 2010 criteria also need joint "
            "counts and symptom duration.",
        ],
        "software": model_card.software_versions(),
        "file": MODEL_FILE,
        "sha256": model_card.sha256_file(out_dir / MODEL_FILE),
        "preprocessing_sha256": model_card.sha256_file(out_dir / PREPROCESSOR_FILE),
        "background": {"file": BACKGROUND_FILE, "rows": int(len(bg_idx)),
                       "sha256": model_card.sha256_file(out_dir / BACKGROUND_FILE)},
    }
    card["global_importance"] = global_importance(model, card, pre, df.iloc[te], out_dir, seed)
    model_card.save_card(out_dir, card)
    return card


def global_importance(model, card, pre, test_frame, out_dir, seed: int, n: int = 300) -> dict:
    """Mean |SHAP| per feature over up to ``n`` test patients (probability units)."""
    from explain.shap_values import LabExplainer

    from ..predictor import ClinicalPredictor

    pred = ClinicalPredictor(model, card, pre, read_background(out_dir), out_dir)
    sample = test_frame.sample(min(n, len(test_frame)), random_state=seed)
    values = LabExplainer(pred).global_importance(sample[list(FEATURES)])
    return {"method": "mean |exact SHAP| on held-out test patients",
            "data": f"{len(sample)} test patients ({card['training_data']['source']})",
            "values": dict(sorted(values.items(), key=lambda kv: -kv[1]))}


def read_background(model_dir: str | Path) -> pd.DataFrame:
    return pd.read_csv(Path(model_dir) / BACKGROUND_FILE)
