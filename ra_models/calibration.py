"""Temperature scaling (Guo et al., 2017) and expected calibration error."""

from __future__ import annotations

import numpy as np

_EPS = 1e-7


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, np.float64)))


def apply_temperature(p: np.ndarray, temperature: float) -> np.ndarray:
    """Calibrated P(positive) from an uncalibrated one: sigmoid(logit(p) / T)."""
    return sigmoid(logit(p) / float(temperature))


def fit_temperature(p: np.ndarray, y: np.ndarray, bounds=(0.05, 20.0)) -> float:
    """The T > 0 minimising the negative log-likelihood of ``y`` under ``apply_temperature(p, T)``."""
    z = logit(p)
    y = np.asarray(y, np.float64)

    def nll(log_t: float) -> float:
        q = np.clip(sigmoid(z / np.exp(log_t)), _EPS, 1 - _EPS)
        return float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))

    from scipy.optimize import minimize_scalar

    res = minimize_scalar(nll, bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded")
    return float(np.exp(res.x))


def reliability_bins(p: np.ndarray, y: np.ndarray, n_bins: int = 10):
    """Equal-width bins: (bin_lower, bin_upper, mean_confidence, accuracy, count) per bin."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    edges = np.linspace(0, 1, n_bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=True), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        m = idx == b
        rows.append((edges[b], edges[b + 1], float(p[m].mean()) if m.any() else float("nan"),
                     float(y[m].mean()) if m.any() else float("nan"), int(m.sum())))
    return rows


def expected_calibration_error(p: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """ECE of P(positive) against binary labels, 10 equal-width bins (count-weighted)."""
    n = len(p)
    if n == 0:
        return float("nan")
    return float(sum(c / n * abs(conf - acc) for _, _, conf, acc, c in reliability_bins(p, y, n_bins) if c))
