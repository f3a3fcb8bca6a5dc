"""Fit an X-ray model folder to a user's labelled films: ``python -m ra_models calibrate xray``.

On the labelled validation folder (``DIR/RA``, ``DIR/Normal``) it fits, and records in the card:

* the **temperature** (temperature scaling, minimising the negative log-likelihood);
* the **operating threshold** by a stated rule: Youden's J (max sensitivity + specificity − 1)
  on the calibrated probabilities, or a fixed value;
* the **out-of-distribution statistics** (Mahalanobis distance of the pooled CAM-layer features
  of these films; alarm at their 99th percentile);
* the **heatmap reference scale** per CAM method (:func:`ra_models.xray.evaluate.cam_reference`).

Then ``evaluate xray`` reports on a separate test folder.
"""

from __future__ import annotations

import numpy as np

from .. import model_card


def youden_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut-off maximising sensitivity + specificity − 1 (ties: the lowest)."""
    from sklearn.metrics import roc_curve

    fpr, tpr, thr = roc_curve(y, p)
    j = tpr - fpr
    k = int(np.argmax(j))
    return float(np.clip(thr[k], 1e-6, 1 - 1e-6))


def calibrate_xray(model_dir, data_dir, *, threshold_rule: str = "youden",
                   fixed_threshold: float = 0.5, progress=None) -> dict:
    """``progress(label)`` returns a ``callback(done, total)`` (the CLI draws a bar)."""
    from ..calibration import apply_temperature, fit_temperature
    from ..errors import InvalidDataError
    from ..metrics import binary_metrics
    from ..predictor import XrayPredictor
    from .data import find_images, load_arrays
    from .evaluate import cam_reference
    from .train import fit_ood

    pred = XrayPredictor.load(model_dir)
    ds = find_images(data_dir)
    if min(np.bincount(ds.labels, minlength=2)) < 5:
        raise InvalidDataError("Calibration needs at least 5 films of each class.")
    x = load_arrays(ds.files, size=pred.input_size,
                    progress=progress("reading films") if progress else None)
    y = ds.labels
    tick = progress("predicting") if progress else None
    raw = []
    for i in range(0, len(x), 32):
        raw.append(pred.raw_probabilities(x[i: i + 32]))
        if tick:
            tick(min(i + 32, len(x)), len(x))
    p_raw = np.concatenate(raw)
    temperature = fit_temperature(p_raw, y)
    p = apply_temperature(p_raw, temperature)
    if threshold_rule == "youden":
        threshold = youden_threshold(y, p)
        rule = "Youden's J (maximum sensitivity + specificity − 1) on the calibration films"
    elif threshold_rule == "fixed":
        threshold, rule = float(fixed_threshold), f"fixed at {fixed_threshold:g} by the user"
    else:
        raise ValueError(f"unknown threshold rule {threshold_rule!r} (youden, fixed)")
    note = f"user data: {ds.root.name} ({len(y)} films, {int(y.sum())} RA)"
    card = model_card.load_card(model_dir)
    feature_layer = card.get("architecture", {}).get("feature_layer", "gap")
    print("fitting the out-of-distribution statistics and the heatmap scale …", flush=True)
    ood = fit_ood(pred.model, x, model_dir, layer=feature_layer)
    refs = cam_reference(pred, x[y == 1], note)
    m = binary_metrics(y, p, threshold, n_boot=0)
    card["calibration"] = {"method": "temperature scaling", "temperature": temperature,
                           "fitted_on": note, "sha256_of_file_list": ds.fingerprint(),
                           "ece_before": binary_metrics(y, p_raw, threshold, n_boot=0)["ece"],
                           "ece_after": m["ece"]}
    card["threshold"] = threshold
    card["threshold_rule"] = rule
    card["ood"] = ood
    card["cam_reference"] = refs
    model_card.save_card(model_dir, card)
    return {"temperature": temperature, "threshold": threshold, "threshold_rule": rule,
            "ece_before": card["calibration"]["ece_before"], "ece_after": m["ece"],
            "ood_threshold": ood["threshold"], "n": int(len(y))}
