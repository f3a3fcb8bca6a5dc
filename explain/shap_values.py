"""Exact Shapley values for the lab DNN, in probability units, with raw-unit labels.

The lab model has six inputs, so the Shapley values are computed *exactly* over all 2^6
coalitions against the background patients stored with the model (interventional value
function v(S) = E_b f(x_S, b_rest), as ``shap.ExactExplainer`` with an ``Independent`` masker
computes it; the tests check both agree within 1e-6). Doing it here in NumPy, on the
predictor's forward pass, has two reasons:

* a marker that was **not measured** is no player: it is averaged over the background in every
  coalition, exactly as :meth:`ClinicalPredictor.predict` averages over it, so its Shapley value
  is 0 and the chart says "not measured" (a median stand-in would show up as "negative");
* no TensorFlow or shap import on the request path (a cold Clinical page answers in seconds).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ra_models.clinical.schema import FEATURE_BY_NAME

ADDITIVITY_TOL = 1e-6


def feature_label(name: str, value) -> str:
    """'CRP = 24 mg/L' — raw value and unit, never the scaled value."""
    if name.endswith(" missing"):
        return f"{name.replace(' missing', '')} {'missing' if value else 'given'}"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"{name} not measured"
    if name == "Gender":
        return f"Gender = {value}"
    f = FEATURE_BY_NAME.get(name)
    unit = f" {f.unit}" if f and f.unit != "years" else (" y" if f else "")
    return f"{name} = {float(value):g}{unit}"


def exact_shapley(f, x: np.ndarray, background: np.ndarray, players) -> tuple[np.ndarray, float, float]:
    """(φ per feature (0 for non-players), v(∅), v(all players)) for one row ``x``.

    ``f`` maps (N, F) -> (N,); features outside ``players`` always take background values.
    """
    n_feat = x.shape[-1]
    players = list(players)
    n = len(players)
    b = len(background)
    masks = np.zeros((2 ** n, n_feat), bool)
    for k, bits in enumerate(itertools.product((0, 1), repeat=n)):
        masks[k, [p for p, on in zip(players, bits) if on]] = True
    rows = np.where(masks[:, None, :], x[None, None, :], background[None, :, :])
    v = np.asarray(f(rows.reshape(-1, n_feat)), float).reshape(2 ** n, b).mean(axis=1)
    index = {tuple(m[players]): k for k, m in enumerate(masks)}
    phi = np.zeros(n_feat)
    weights = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    for i_pos, i in enumerate(players):
        total = 0.0
        for key, k in index.items():
            if key[i_pos]:
                continue
            with_i = list(key)
            with_i[i_pos] = True
            total += weights[sum(key)] * (v[index[tuple(with_i)]] - v[k])
        phi[i] = total
    return phi, float(v[index[(False,) * n]]), float(v[index[(True,) * n]])


class LabExplainer:
    """Build once per predictor; ``explain(values)`` per patient."""

    def __init__(self, predictor, background=None, max_background: int = 200):
        self.predictor = predictor
        if background is None and getattr(predictor, "background_x", None) is not None:
            bg_x = predictor.background_x
        else:
            bg = background if background is not None else predictor.background
            bg_x = None if bg is None else predictor.transform(bg.head(max_background))
        if bg_x is None:
            raise ValueError("No background sample: the model folder has no background.csv.")
        self.background = np.asarray(bg_x, np.float32)[:max_background]
        self.n_background = len(self.background)
        self.feature_names = list(predictor.feature_names)

    def explain_scaled(self, x: np.ndarray, missing: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(shap values (N, F), base values (N,), predictions (N,)) for preprocessed rows;
        ``missing`` (N, F) marks features that were not measured (not players)."""
        x = np.asarray(x, np.float32)
        missing = np.zeros(x.shape, bool) if missing is None else np.asarray(missing, bool)
        out, base, pred = np.zeros(x.shape), np.zeros(len(x)), np.zeros(len(x))
        for r in range(len(x)):
            players = [i for i in range(x.shape[1]) if not missing[r, i]]
            out[r], base[r], pred[r] = exact_shapley(self.predictor.predict_scaled, x[r],
                                                     self.background, players)
        return out, base, pred

    def explain(self, values: dict) -> dict:
        """Shapley values for one patient (a mapping of raw lab values)."""
        from ra_models.clinical.loader import validate_lab_values

        clean = validate_lab_values(values)
        x = self.predictor.transform([clean])
        missing = self.predictor.missing_mask([clean])
        sv, base, pred = self.explain_scaled(x, missing)
        raw = dict(clean)
        for n in self.feature_names:
            if n.endswith(" missing"):
                raw[n] = clean.get(n.replace(" missing", "")) is None
        contribs = [
            {"feature": n, "value": raw.get(n), "label": feature_label(n, raw.get(n)),
             "shap": float(s), "measured": not bool(m)}
            for n, s, m in zip(self.feature_names, sv[0], missing[0])
        ]
        gap = float(base[0] + sv[0].sum() - pred[0])
        if abs(gap) > ADDITIVITY_TOL:
            raise ArithmeticError(f"SHAP additivity failed: base + Σφ − p = {gap:.2e}")
        return {"base_value": float(base[0]), "prediction": float(pred[0]),
                "n_background": self.n_background,
                "base_note": (f"average prediction over the {self.n_background} background "
                              "patients stored with the model"),
                "contributions": contribs, "additivity_error": gap}

    def global_importance(self, frame) -> dict[str, float]:
        """Mean |SHAP| per feature over a data frame of patients."""
        x = self.predictor.transform(frame)
        sv, _, _ = self.explain_scaled(x, self.predictor.missing_mask(frame))
        return {n: float(v) for n, v in zip(self.feature_names, np.abs(sv).mean(axis=0))}

