"""The prediction API both UIs use: load once, predict many times on a compiled path.

``XrayPredictor.load(dir)`` / ``ClinicalPredictor.load(dir)`` verify the model file's sha256
against its card, load it with Keras ``safe_mode=True`` and build a ``tf.function`` on a
fixed input signature (never ``model.predict`` per request). Predictors are read-only after
loading, so one instance can be shared by every Streamlit session or Flask worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import model_card
from .calibration import apply_temperature
from .clinical.schema import LAB_MARKERS
from .errors import InsufficientDataError, ModelError, ModelNotFoundError
from .imaging import ImageMeta, IntakeLimits, read_image
from .model_card import BACKGROUND_FILE, PREPROCESSOR_FILE
from .preprocess import XRAY_INPUT_SIZE, prepare_xray


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    sha256: str
    kind: str

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


def format_probability(p: float) -> str:
    """'42.0%', but '> 99.9%' / '< 0.1%' at the ends: a model is never 100% sure."""
    if p >= 0.999:
        return "> 99.9%"
    if p <= 0.001:
        return "< 0.1%"
    return f"{p:.1%}"


def _verdict(p: float, threshold: float, band: float, positive: str = "RA",
             negative: str = "Normal") -> tuple[str, bool]:
    uncertain = abs(p - threshold) < band
    return (positive if p >= threshold else negative), uncertain


@dataclass(frozen=True)
class XrayResult:
    label: str  # "RA" or "Normal"
    probability_ra: float  # calibrated
    threshold: float
    uncertain: bool  # |P - threshold| < uncertain_band
    model: ModelInfo
    raw_probability_ra: float  # before temperature scaling (for experts)
    image_meta: ImageMeta | None = None

    @property
    def display_label(self) -> str:
        return f"uncertain (leans {self.label})" if self.uncertain else self.label

    @property
    def display_probability(self) -> str:
        return format_probability(self.probability_ra)

    def to_dict(self) -> dict:
        return {"label": self.label, "probability_ra": round(self.probability_ra, 4),
                "threshold": self.threshold, "uncertain": self.uncertain,
                "model": self.model.to_dict()}


def verify_listed_files(model_dir: Path, card: dict, required: tuple[str, ...] = ()) -> None:
    """Every file the card lists with a sha256 must match it; ``required`` ones must exist."""
    listed = {card.get("file", "model.keras"): card.get("sha256")}
    if card.get("preprocessing_sha256"):
        listed["preprocessing.json"] = card["preprocessing_sha256"]
    for key in ("ood", "background"):
        entry = card.get(key)
        if isinstance(entry, dict) and entry.get("file"):
            listed[entry["file"]] = entry.get("sha256")
    for name in required:
        listed.setdefault(name, None)
    for name, expected in listed.items():
        model_card.verify_file(model_dir, name, expected)


def _load_verified(model_dir: Path, verify: bool, required: tuple[str, ...] = ()):
    import keras

    card = model_card.load_card(model_dir)
    path = model_dir / card.get("file", "model.keras")
    if not path.exists():
        raise ModelNotFoundError(f"Model file '{model_card.shown_path(path)}' named by the model card is missing.")
    if verify:
        verify_listed_files(model_dir, card, required)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types; all mean "cannot serve"
        reason = str(e).split("\n")[0][:300]
        if "safe_mode" in reason or "lambda" in reason.lower():
            reason = ("it contains a Lambda layer or other code, which safe_mode refuses to "
                      "execute")
        raise ModelError(f"Model file '{model_card.shown_path(path)}' could not be loaded: {reason}.") from e
    return card, model


class XrayPredictor:
    """Hand radiograph -> calibrated P(RA)."""

    def __init__(self, model, card: dict, model_dir: Path | None = None,
                 limits: IntakeLimits | None = None):
        import tensorflow as tf

        self.model = model
        self.card = card
        self.model_dir = model_dir
        self.limits = limits or IntakeLimits()
        self.temperature = float(card.get("calibration", {}).get("temperature", 1.0))
        self.threshold = float(card.get("threshold", 0.5))
        self.band = float(card.get("uncertain_band", 0.15))
        self.info = ModelInfo(card.get("name", "xray"), str(card.get("version", "0")),
                              card.get("sha256", ""), "xray")
        self.gradcam_layer = card.get("architecture", {}).get("gradcam_layer", "gradcam_conv")
        self._fn = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, XRAY_INPUT_SIZE, XRAY_INPUT_SIZE, 1], tf.float32)],
            reduce_retracing=True,
        )

    @classmethod
    def load(cls, model_dir: str | Path, *, verify: bool = True,
             limits: IntakeLimits | None = None) -> XrayPredictor:
        model_dir = Path(model_dir)
        card, model = _load_verified(model_dir, verify)
        self = cls(model, card, model_dir, limits)
        self.warm_up()
        return self

    def warm_up(self) -> None:
        self._fn(np.zeros((1, XRAY_INPUT_SIZE, XRAY_INPUT_SIZE, 1), np.float32))

    def prepare(self, source) -> tuple[np.ndarray, np.ndarray, ImageMeta | None]:
        """(original (H, W) image, model input (224, 224, 1), meta) from bytes/path/array."""
        if isinstance(source, np.ndarray):
            img, meta = np.asarray(source, np.float32), None
            if img.ndim == 3 and img.shape[-1] == 1:
                img = img[..., 0]
        else:
            img, meta = read_image(source, limits=self.limits)
        return img, prepare_xray(img), meta

    def raw_probabilities(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated P(RA) for a (N, 224, 224, 1) batch."""
        return np.asarray(self._fn(np.asarray(x, np.float32)))[:, 1].astype(float)

    def calibrate(self, p_raw) -> np.ndarray:
        return apply_temperature(p_raw, self.temperature)

    def predict(self, source) -> XrayResult:
        _, x, meta = self.prepare(source)
        return self.result_from_input(x, meta)

    def result_from_input(self, x: np.ndarray, meta: ImageMeta | None = None) -> XrayResult:
        raw = float(self.raw_probabilities(x[None])[0])
        p = float(self.calibrate(raw))
        label, unc = _verdict(p, self.threshold, self.band)
        return XrayResult(label, p, self.threshold, unc, self.info, raw, meta)


@dataclass(frozen=True)
class ClinicalResult:
    label: str
    probability_ra: float
    threshold: float
    uncertain: bool
    model: ModelInfo
    acr_eular: object  # AcrEularResult
    values: dict  # validated raw values
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def display_label(self) -> str:
        return f"uncertain (leans {self.label})" if self.uncertain else self.label

    @property
    def display_probability(self) -> str:
        return format_probability(self.probability_ra)

    def to_dict(self) -> dict:
        return {"label": self.label, "probability_ra": round(self.probability_ra, 4),
                "threshold": self.threshold, "uncertain": self.uncertain,
                "model": self.model.to_dict(), "acr_eular": self.acr_eular.to_dict(),
                "warnings": list(self.warnings)}


class ClinicalPredictor:
    """Lab values (Age, Gender, ESR, CRP, RF, Anti-CCP) -> calibrated P(RA) + ACR/EULAR panel."""

    def __init__(self, model, card: dict, preprocessor, background=None, model_dir=None):
        import tensorflow as tf

        self.model = model
        self.card = card
        self.pre = preprocessor
        self.background = background
        self.model_dir = model_dir
        self.temperature = float(card.get("calibration", {}).get("temperature", 1.0))
        self.threshold = float(card.get("threshold", 0.5))
        self.band = float(card.get("uncertain_band", 0.15))
        self.info = ModelInfo(card.get("name", "clinical"), str(card.get("version", "0")),
                              card.get("sha256", ""), "clinical")
        n = len(preprocessor.feature_names)
        self._fn = tf.function(lambda x: model(x, training=False),
                               input_signature=[tf.TensorSpec([None, n], tf.float32)],
                               reduce_retracing=True)
        self.feature_names = preprocessor.feature_names

    @classmethod
    def load(cls, model_dir: str | Path, *, verify: bool = True) -> ClinicalPredictor:
        import pandas as pd

        from .clinical.preprocessing import LabPreprocessor

        model_dir = Path(model_dir)
        card, model = _load_verified(model_dir, verify, required=(PREPROCESSOR_FILE,))
        pre_path = model_dir / PREPROCESSOR_FILE
        try:
            pre = LabPreprocessor.load(pre_path)
        except (ValueError, KeyError, TypeError, OSError) as e:
            raise ModelError(f"'{model_card.shown_path(pre_path)}' is not a valid lab preprocessing file ({e}); "
                             "refusing to load the model.") from e
        if len(pre.feature_names) != int(model.inputs[0].shape[-1]):
            raise ModelError(f"'{model_card.shown_path(pre_path)}' gives {len(pre.feature_names)} features but the "
                             f"model takes {model.inputs[0].shape[-1]}; refusing to load it.")
        bg_path = model_dir / BACKGROUND_FILE
        try:
            background = pd.read_csv(bg_path) if bg_path.exists() else None
        except (ValueError, OSError) as e:
            raise ModelError(f"'{model_card.shown_path(bg_path)}' is not a readable table ({e}).") from e
        self = cls(model, card, pre, background, model_dir)
        self.predict_scaled(np.zeros((1, len(self.feature_names)), np.float32))  # trace once
        return self

    # -- numeric paths (used by SHAP too)
    def predict_scaled(self, x: np.ndarray) -> np.ndarray:
        """Calibrated P(RA) for already-preprocessed rows (N, n_features)."""
        raw = np.asarray(self._fn(np.asarray(x, np.float32))).reshape(-1)
        return apply_temperature(raw, self.temperature)

    def transform(self, rows) -> np.ndarray:
        """Preprocess a DataFrame (batch path) or a list of dicts (per-request fast path)."""
        import pandas as pd

        if isinstance(rows, pd.DataFrame):
            return self.pre.transform(rows)
        return self.pre.transform_records(list(rows))

    def predict_frame(self, df) -> np.ndarray:
        return self.predict_scaled(self.pre.transform(df))

    def predict(self, values: Mapping, *, small_joints=None, large_joints=None,
                symptom_weeks=None) -> ClinicalResult:
        from .clinical.acr_eular import acr_eular_2010
        from .clinical.loader import validate_lab_values

        clean = validate_lab_values(values)
        if all(clean.get(c) is None for c in LAB_MARKERS):
            raise InsufficientDataError(
                "Insufficient data: enter at least one of ESR, CRP, RF or Anti-CCP. Age and sex "
                "alone say nothing about RA, so no probability is given.")
        p = float(self.predict_scaled(self.transform([clean]))[0])
        label, unc = _verdict(p, self.threshold, self.band)
        acr = acr_eular_2010(rf=clean["RF"], anti_ccp=clean["Anti-CCP"], crp=clean["CRP"],
                             esr=clean["ESR"], age=clean["Age"], gender=clean["Gender"],
                             small_joints=small_joints, large_joints=large_joints,
                             symptom_weeks=symptom_weeks)
        return ClinicalResult(label, p, self.threshold, unc, self.info, acr, clean,
                              tuple(self.value_warnings(clean)))

    def value_warnings(self, clean: dict) -> list[str]:
        from .clinical.schema import FEATURE_BY_NAME

        out = []
        names = self.pre.feature_names
        med = dict(zip(names, self.pre.pipeline.named_steps["impute"].statistics_))
        for col in ("ESR", "CRP", "RF", "Anti-CCP"):
            if clean.get(col) is None:
                f = FEATURE_BY_NAME[col]
                out.append(f"{col} not given: the model used the training median "
                           f"({med[col]:.3g} {f.unit}) in its place.")
        age = clean.get("Age")
        if age is not None and not (18 <= age <= 90):
            out.append(f"Age {age:g} is outside the training range 18–90 years; treat the "
                       "probability with extra caution.")
        for col, limit, why in (("ESR", 120, "close to the Westergren tube limit"),
                                ("CRP", 200, "far above most training values"),
                                ("RF", 1000, "a very high titre the model rarely saw"),
                                ("Anti-CCP", 1000, "a very high titre the model rarely saw")):
            v = clean.get(col)
            if v is not None and v >= limit:
                out.append(f"{col} = {v:g} is {why}.")
        return out
