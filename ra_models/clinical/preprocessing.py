"""Lab preprocessing: fitted with a scikit-learn Pipeline, persisted as JSON (no pickle).

Steps: gender encoding (Female = 1) and optional missing-value indicators (stateless),
median imputation (``SimpleImputer``), log1p of the skewed lab values, standardisation
(``StandardScaler``). Only the fitted numbers are saved, so loading a model never runs code
from a file, and applying them is plain NumPy: serving never imports scikit-learn (≈ 1 s of a
cold start); the tests check the NumPy path equals the fitted Pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .loader import normalise_gender
from .schema import FEATURES

LOG_FEATURES = ("ESR", "CRP", "RF", "Anti-CCP")
_MISSABLE = ("ESR", "CRP", "RF", "Anti-CCP")


def _with_indicators(x: np.ndarray, missing_indicators: bool) -> np.ndarray:
    """Append one 0/1 column per optional lab value that was missing (before imputation)."""
    if not missing_indicators:
        return x
    ind = [np.isnan(x[:, FEATURES.index(c)]).astype(float) for c in _MISSABLE]
    return np.column_stack([x] + ind)


def encode_frame(df: pd.DataFrame, missing_indicators: bool) -> np.ndarray:
    """Raw lab frame -> float matrix (features in ``FEATURES`` order, then indicators)."""
    cols = []
    for c in FEATURES:
        if c == "Gender":
            g = df[c].map(normalise_gender)
            cols.append(np.where(g == "Female", 1.0, np.where(g == "Male", 0.0, np.nan)))
        else:
            cols.append(pd.to_numeric(df[c], errors="coerce").to_numpy(float))
    x = np.column_stack(cols)
    return _with_indicators(x, missing_indicators)


def encode_records(records, missing_indicators: bool) -> np.ndarray:
    """The same encoding as :func:`encode_frame` for a few dicts, without pandas (fast path)."""
    rows = []
    for r in records:
        row = []
        for c in FEATURES:
            v = r.get(c)
            if c == "Gender":
                g = normalise_gender(v)
                row.append(1.0 if g == "Female" else 0.0 if g == "Male" else np.nan)
            else:
                row.append(np.nan if v is None or v == "" else float(v))
        rows.append(row)
    x = np.array(rows, float).reshape(len(rows), len(FEATURES))
    return _with_indicators(x, missing_indicators)


def feature_names(missing_indicators: bool) -> list[str]:
    return list(FEATURES) + ([f"{c} missing" for c in _MISSABLE] if missing_indicators else [])


def _log_cols(x: np.ndarray) -> np.ndarray:
    x = np.array(x, float, copy=True)
    for c in LOG_FEATURES:
        i = FEATURES.index(c)
        x[:, i] = np.log1p(np.clip(x[:, i], 0, None))
    return x


class LabPreprocessor:
    """Fit/transform raw lab frames; ``to_json``/``from_json`` carry the fitted numbers."""

    def __init__(self, missing_indicators: bool = False):
        self.missing_indicators = missing_indicators
        self.medians = self.mean = self.scale = self.var = None
        self.fitted = False

    @property
    def feature_names(self) -> list[str]:
        return feature_names(self.missing_indicators)

    def make_pipeline(self):
        """The scikit-learn Pipeline these numbers come from (fitting and tests only)."""
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        return Pipeline([
            ("impute", SimpleImputer(strategy="median")),
            ("log", FunctionTransformer(_log_cols, validate=False)),
            ("scale", StandardScaler()),
        ])

    def fit(self, df: pd.DataFrame) -> LabPreprocessor:
        pipe = self.make_pipeline().fit(encode_frame(df, self.missing_indicators))
        imp, sc = pipe.named_steps["impute"], pipe.named_steps["scale"]
        self.medians, self.mean = np.asarray(imp.statistics_, float), np.asarray(sc.mean_, float)
        self.scale, self.var = np.asarray(sc.scale_, float), np.asarray(sc.var_, float)
        self.fitted = True
        return self

    def _apply(self, x: np.ndarray) -> np.ndarray:
        if not self.fitted:
            raise RuntimeError("LabPreprocessor is not fitted; call fit() or from_json().")
        x = np.array(x, float, copy=True)
        nan = np.isnan(x)
        x[nan] = np.take(self.medians, np.nonzero(nan)[1])
        return ((_log_cols(x) - self.mean) / self.scale).astype(np.float32)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        return self._apply(encode_frame(df, self.missing_indicators))

    def transform_records(self, records) -> np.ndarray:
        """The same for a few patients given as dicts, without building a DataFrame."""
        return self._apply(encode_records(records, self.missing_indicators))

    def to_json(self) -> dict:
        return {
            "format": "ra_models.lab_preprocessor/1",
            "features": self.feature_names,
            "missing_indicators": self.missing_indicators,
            "log1p": list(LOG_FEATURES),
            "impute_median": self.medians.tolist(),
            "scale_mean": self.mean.tolist(),
            "scale_std": self.scale.tolist(),
            "scale_var": self.var.tolist(),
        }

    @classmethod
    def from_json(cls, d: dict) -> LabPreprocessor:
        if not isinstance(d, dict) or d.get("format") != "ra_models.lab_preprocessor/1":
            raise ValueError("not a lab preprocessor file")
        self = cls(bool(d.get("missing_indicators")))
        if list(d.get("features") or []) != self.feature_names:
            raise ValueError(f"its features {d.get('features')} are not {self.feature_names}")
        n = len(self.feature_names)
        for key in ("impute_median", "scale_mean", "scale_std", "scale_var"):
            arr = np.asarray(d.get(key), dtype=float)
            if arr.shape != (n,) or not np.isfinite(arr).all():
                raise ValueError(f"'{key}' must be {n} finite numbers")
        if (np.asarray(d["scale_std"], float) <= 0).any():
            raise ValueError("'scale_std' must be positive (a zero or negative scale)")
        self.medians = np.asarray(d["impute_median"], float)
        self.mean = np.asarray(d["scale_mean"], float)
        self.scale = np.asarray(d["scale_std"], float)
        self.var = np.asarray(d["scale_var"], float)
        self.fitted = True
        return self

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> LabPreprocessor:
        return cls.from_json(json.loads(Path(path).read_text()))
