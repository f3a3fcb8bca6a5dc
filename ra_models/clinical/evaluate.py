"""``python -m ra_models evaluate clinical``: the lab model on a labelled CSV, report only.

Writes ``metrics.json`` and the ROC/PR/confusion/reliability plots under ``report_dir``; the
model folder is never changed. Rows without any of ESR, CRP, RF or Anti-CCP are left out (the
predictor refuses them as insufficient data) and counted in the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InvalidDataError
from ..metrics import binary_metrics, threshold_table
from ..plots import evaluation_plots
from .loader import labels_for, load_lab_table
from .schema import LAB_MARKERS


def evaluate_clinical(model_dir, data, report_dir, *, task: str = "ra_vs_rest", seed: int = 0) -> dict:
    from ..predictor import ClinicalPredictor

    pred = ClinicalPredictor.load(model_dir)
    df, y = labels_for(load_lab_table(data, require_label=True), task)
    usable = df[list(LAB_MARKERS)].notna().any(axis=1).to_numpy()
    if usable.sum() == 0 or len(np.unique(y[usable])) < 2:
        raise InvalidDataError("The lab data need rows of both classes (RA and not RA) with at "
                               "least one of ESR, CRP, RF or Anti-CCP to evaluate on.")
    df, y = df[usable].reset_index(drop=True), y[usable]
    p = pred.predict_frame(df)
    report = Path(report_dir)
    report.mkdir(parents=True, exist_ok=True)
    m = binary_metrics(y, p, pred.threshold, seed=seed)
    name = Path(data).name if isinstance(data, (str, Path)) else "uploaded table"
    m["data"] = f"{name} ({len(y)} patients; {int((~usable).sum())} left out without any lab marker)"
    m["task"] = task
    m["threshold_table"] = threshold_table(y, p)
    m["plots"] = evaluation_plots(y, p, pred.threshold, report, "lab data",
                                  class_names=("not RA", "RA"))
    (report / "metrics.json").write_text(json.dumps(m, indent=2, default=float))
    return m
