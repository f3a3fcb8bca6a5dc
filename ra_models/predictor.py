"""The prediction API both UIs use: load once, predict many times on a compiled path.

``XrayPredictor.load(dir)`` / ``ClinicalPredictor.load(dir)`` verify the model file's sha256
against its card, load it with Keras ``safe_mode=True`` and build a ``tf.function`` on a
fixed input signature (never ``model.predict`` per request). Predictors are read-only after
loading, so one instance can be shared by every Streamlit session or Flask worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import model_card
from .calibration import apply_temperature
from .clinical.schema import LAB_MARKERS
from .errors import InsufficientDataError, InvalidLabValuesError, ModelError, ModelNotFoundError
from .imaging import ImageMeta, IntakeLimits, read_image
from .model_card import BACKGROUND_FILE, PREPROCESSOR_FILE
from .preprocess import XRAY_INPUT_SIZE, describe_collimation, prepare_film


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


def _verified_card(model_dir: Path, verify: bool, required: tuple[str, ...] = ()):
    """(card, model file path) once the file exists and every listed file matches its sha256."""
    card = model_card.load_card(model_dir)
    path = model_dir / card.get("file", "model.keras")
    if not path.exists():
        raise ModelNotFoundError(f"Model file '{model_card.shown_path(path)}' named by the model card is missing.")
    if verify:
        verify_listed_files(model_dir, card, required)
    return card, path


def _load_keras(path: Path):
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types; all mean "cannot serve"
        reason = str(e).split("\n")[0][:300]
        if "safe_mode" in reason or "lambda" in reason.lower():
            reason = ("it contains a Lambda layer or other code, which safe_mode refuses to "
                      "execute")
        raise ModelError(f"Model file '{model_card.shown_path(path)}' could not be loaded: {reason}.") from e


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
        self.input_size = int((card.get("input", {}).get("shape") or [XRAY_INPUT_SIZE])[0])
        self._fn = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, self.input_size, self.input_size, 1], tf.float32)],
            reduce_retracing=True,
        )

    @classmethod
    def load(cls, model_dir: str | Path, *, verify: bool = True,
             limits: IntakeLimits | None = None) -> XrayPredictor:
        model_dir = Path(model_dir)
        card, path = _verified_card(model_dir, verify)
        self = cls(_load_keras(path), card, model_dir, limits)
        self.warm_up()
        return self

    def warm_up(self) -> None:
        self._fn(np.zeros((1, self.input_size, self.input_size, 1), np.float32))

    def prepare(self, source) -> tuple[np.ndarray, np.ndarray, ImageMeta | None]:
        """(original (H, W) image, model input (S, S, 1), meta) from bytes/path/array."""
        if isinstance(source, np.ndarray):
            img, meta = np.asarray(source, np.float32), None
            if img.ndim == 3 and img.shape[-1] == 1:
                img = img[..., 0]
        else:
            img, meta = read_image(source, limits=self.limits)
        x, margins = prepare_film(img, self.input_size)
        note = describe_collimation(margins, img.shape)
        if note and meta is not None:
            meta = replace(meta, notes=(*meta.notes, note))
        return img, x, meta

    def raw_probabilities(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated P(RA) for a (N, S, S, 1) batch."""
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


#: The lab model's negative class: everything that is not RA in its cohort.
NOT_RA = "not RA"
NOT_RA_TEXT = "not RA (other rheumatic disease or healthy)"


def bayes_update(p: float, from_prior: float, to_prior: float) -> float:
    """Move a probability calibrated at prevalence ``from_prior`` to pretest ``to_prior``
    (odds form of Bayes' theorem: the likelihood ratio the model implies stays the same)."""
    p = min(max(float(p), 1e-9), 1 - 1e-9)
    odds = p / (1 - p) * (to_prior / (1 - to_prior)) / (from_prior / (1 - from_prior))
    return odds / (1 + odds)


@dataclass(frozen=True)
class ClinicalResult:
    label: str  # "RA" or NOT_RA, on probability_ra
    probability_ra: float  # calibrated, at ``prior`` (the cohort's prevalence unless set)
    threshold: float
    uncertain: bool
    model: ModelInfo
    acr_eular: object  # AcrEularResult
    values: dict  # validated raw values (canonical units)
    warnings: tuple[str, ...] = field(default_factory=tuple)
    prior: float = 0.0  # pretest probability the probability is stated at
    cohort_prior: float = 0.0  # prevalence the model is calibrated to
    probability_ra_cohort: float = 0.0  # the model's own output at the cohort prevalence
    not_measured: tuple[str, ...] = ()  # markers averaged over (neither raise nor lower P)
    activity: object = None  # DiseaseActivity or None

    @property
    def display_label(self) -> str:
        text = NOT_RA_TEXT if self.label == NOT_RA else self.label
        return f"uncertain (leans {text})" if self.uncertain else text

    @property
    def display_probability(self) -> str:
        return format_probability(self.probability_ra)

    @property
    def notes(self) -> list[str]:
        """What a reader must keep in mind, besides the warnings."""
        out = []
        if self.label == NOT_RA or self.uncertain:
            out.append("A low lab probability does not exclude RA: about one in five patients "
                       "with RA is seronegative, and early RA can have normal acute-phase "
                       "reactants.")
        if self.not_measured:
            out.append(f"Not measured: {', '.join(self.not_measured)}. The model averaged over "
                       "the values seen in its background patients, so a missing test neither "
                       "raises nor lowers P(RA) as a negative or positive result would.")
        return out

    def to_dict(self) -> dict:
        return {"label": self.label, "probability_ra": round(self.probability_ra, 4),
                "threshold": self.threshold, "uncertain": self.uncertain,
                "prior": round(self.prior, 4), "cohort_prior": round(self.cohort_prior, 4),
                "probability_ra_at_cohort_prior": round(self.probability_ra_cohort, 4),
                "not_measured": list(self.not_measured),
                "model": self.model.to_dict(), "acr_eular": self.acr_eular.to_dict(),
                "activity": self.activity.to_dict() if self.activity is not None else None,
                "notes": self.notes, "warnings": list(self.warnings)}


class ClinicalPredictor:
    """Lab values (Age, Gender, ESR, CRP, RF, Anti-CCP) -> calibrated P(RA) + ACR/EULAR panel.

    ``model`` is a Keras model (training, reference) or a
    :class:`~ra_models.clinical.numpy_dnn.NumpyDense` read from the same ``.keras`` file
    (serving: no TensorFlow import, the same numbers within 1e-6). A marker that was not
    measured is *averaged over* the background patients' values of it, never imputed with a
    single (negative) value.
    """

    def __init__(self, model, card: dict, preprocessor, background=None, model_dir=None):
        from .clinical.numpy_dnn import NumpyDense

        self.model = model
        self.card = card
        self.pre = preprocessor
        self.background = background
        self.model_dir = model_dir
        self.temperature = float(card.get("calibration", {}).get("temperature", 1.0))
        self.threshold = float(card.get("threshold", 0.5))
        self.band = float(card.get("uncertain_band", 0.15))
        self.cohort_prior = float(card.get("prevalence") or card.get("training_data", {}).get(
            "prevalence") or 0.236)
        self.info = ModelInfo(card.get("name", "clinical"), str(card.get("version", "0")),
                              card.get("sha256", ""), "clinical")
        n = len(preprocessor.feature_names)
        if isinstance(model, NumpyDense):
            self.backend = "numpy"
            self._fn = model
        else:
            import tensorflow as tf

            self.backend = "keras"
            self._fn = tf.function(lambda x: model(x, training=False),
                                   input_signature=[tf.TensorSpec([None, n], tf.float32)],
                                   reduce_retracing=True)
        self.feature_names = preprocessor.feature_names
        self.background_x = self._background_matrix()

    @classmethod
    def load(cls, model_dir: str | Path, *, verify: bool = True,
             backend: str = "auto") -> ClinicalPredictor:
        """``backend``: "numpy" (no TensorFlow), "keras", or "auto" (NumPy when the model is a
        plain Dense/BatchNorm/Dropout network, else Keras)."""
        import pandas as pd

        from .clinical.numpy_dnn import NumpyDense, UnsupportedForNumpy
        from .clinical.preprocessing import LabPreprocessor

        model_dir = Path(model_dir)
        card, path = _verified_card(model_dir, verify, required=(PREPROCESSOR_FILE,))
        model = None
        if backend in ("auto", "numpy"):
            try:
                model = NumpyDense.from_keras_file(path)
            except UnsupportedForNumpy as e:
                if backend == "numpy":
                    raise ModelError(f"'{model_card.shown_path(path)}' cannot run without Keras: {e}.") from e
        if model is None:
            model = _load_keras(path)
        pre_path = model_dir / PREPROCESSOR_FILE
        try:
            pre = LabPreprocessor.load(pre_path)
        except (ValueError, KeyError, TypeError, OSError) as e:
            raise ModelError(f"'{model_card.shown_path(pre_path)}' is not a valid lab preprocessing file ({e}); "
                             "refusing to load the model.") from e
        n_in = model.n_inputs if isinstance(model, NumpyDense) else int(model.inputs[0].shape[-1])
        if len(pre.feature_names) != n_in:
            raise ModelError(f"'{model_card.shown_path(pre_path)}' gives {len(pre.feature_names)} features but the "
                             f"model takes {n_in}; refusing to load it.")
        bg_path = model_dir / BACKGROUND_FILE
        try:
            background = pd.read_csv(bg_path) if bg_path.exists() else None
        except (ValueError, OSError) as e:
            raise ModelError(f"'{model_card.shown_path(bg_path)}' is not a readable table ({e}).") from e
        self = cls(model, card, pre, background, model_dir)
        self.predict_scaled(np.zeros((1, len(self.feature_names)), np.float32))  # trace once
        return self

    def _background_matrix(self) -> np.ndarray | None:
        """Preprocessed background patients with every marker measured (for averaging over a
        marker that was not measured)."""
        if self.background is None:
            return None
        bg = self.background
        cols = [c for c in LAB_MARKERS if c in bg.columns]
        complete = bg.dropna(subset=cols) if cols else bg
        if len(complete) == 0:
            return None
        return self.pre.transform(complete.head(200))

    # -- numeric paths (used by SHAP too)
    def predict_scaled(self, x: np.ndarray) -> np.ndarray:
        """Calibrated P(RA) for already-preprocessed rows (N, n_features)."""
        raw = np.asarray(self._fn(np.asarray(x, np.float32)), float).reshape(-1)
        return apply_temperature(raw, self.temperature)

    def predict_marginal(self, x: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """Calibrated P(RA) for preprocessed rows where ``missing`` (N, F bool) columns are
        averaged over the background patients' values instead of taken from ``x``."""
        x = np.asarray(x, np.float32)
        missing = np.asarray(missing, bool)
        out = np.empty(len(x))
        if self.background_x is None or not missing.any():
            return self.predict_scaled(x)
        patterns, inverse = np.unique(missing, axis=0, return_inverse=True)
        for k, pat in enumerate(patterns):
            rows = np.flatnonzero(inverse.reshape(-1) == k)
            if not pat.any():
                out[rows] = self.predict_scaled(x[rows])
                continue
            b = len(self.background_x)
            tiled = np.repeat(x[rows], b, axis=0)
            tiled[:, pat] = np.tile(self.background_x[:, pat], (len(rows), 1))
            out[rows] = self.predict_scaled(tiled).reshape(len(rows), b).mean(axis=1)
        return out

    def missing_mask(self, rows) -> np.ndarray:
        """(N, F) True where a marker was not measured, for a DataFrame or clean dicts."""
        import pandas as pd

        names = self.feature_names
        if isinstance(rows, pd.DataFrame):
            miss = {c: rows[c].isna().to_numpy() if c in rows.columns else np.ones(len(rows), bool)
                    for c in LAB_MARKERS}
            n = len(rows)
        else:
            rows = list(rows)
            miss = {c: np.array([r.get(c) is None for r in rows], bool) for c in LAB_MARKERS}
            n = len(rows)
        out = np.zeros((n, len(names)), bool)
        for c in LAB_MARKERS:
            if c in names:
                out[:, names.index(c)] = miss[c]
        return out

    def transform(self, rows) -> np.ndarray:
        """Preprocess a DataFrame (batch path) or a list of dicts (per-request fast path)."""
        import pandas as pd

        if isinstance(rows, pd.DataFrame):
            return self.pre.transform(rows)
        return self.pre.transform_records(list(rows))

    def predict_frame(self, df) -> np.ndarray:
        return self.predict_marginal(self.pre.transform(df), self.missing_mask(df))

    def predict(self, values: Mapping, *, small_joints=None, large_joints=None,
                symptom_weeks=None, prior: float | None = None, acr_options: Mapping | None = None,
                activity: Mapping | None = None) -> ClinicalResult:
        """One patient. ``prior``: the user's pretest probability (0 < prior < 1), else the
        cohort's prevalence. ``acr_options``: extra inputs of the ACR/EULAR panel (joints,
        entry gate, erosive disease, ULNs). ``activity``: joint counts and global assessments
        for DAS28/CDAI/SDAI."""
        from .clinical.acr_eular import acr_eular_2010
        from .clinical.activity import disease_activity
        from .clinical.loader import validate_lab_values

        clean = validate_lab_values(values)
        if all(clean.get(c) is None for c in LAB_MARKERS):
            raise InsufficientDataError(
                "Insufficient data: enter at least one of ESR, CRP, RF or Anti-CCP. Age and sex "
                "alone say nothing about RA, so no probability is given.")
        if prior is not None and not (0.001 <= float(prior) <= 0.999):
            raise InvalidLabValuesError({"prior": f"{prior!r} is outside 0.001–0.999 (a "
                                                  "pretest probability, e.g. 0.3 for 30%)"})
        x = self.transform([clean])
        p_cohort = float(self.predict_marginal(x, self.missing_mask([clean]))[0])
        used_prior = float(prior) if prior is not None else self.cohort_prior
        p = bayes_update(p_cohort, self.cohort_prior, used_prior) if prior is not None else p_cohort
        label, unc = _verdict(p, self.threshold, self.band, negative=NOT_RA)
        acr = acr_eular_2010(rf=clean["RF"], anti_ccp=clean["Anti-CCP"], crp=clean["CRP"],
                             esr=clean["ESR"], age=clean["Age"], gender=clean["Gender"],
                             small_joints=small_joints, large_joints=large_joints,
                             symptom_weeks=symptom_weeks, **dict(acr_options or {}))
        act = disease_activity(esr=clean["ESR"], crp=clean["CRP"], **dict(activity or {}))
        missing = tuple(c for c in LAB_MARKERS if clean.get(c) is None)
        return ClinicalResult(label, p, self.threshold, unc, self.info, acr, clean,
                              tuple(self.value_warnings(clean)), prior=used_prior,
                              cohort_prior=self.cohort_prior, probability_ra_cohort=p_cohort,
                              not_measured=missing, activity=act)

    def predict_request(self, fields: Mapping) -> ClinicalResult:
        """One request as a form or the API sends it: the six lab values plus the optional
        fields of :mod:`ra_models.clinical.workup` (CRP unit, prior, joints, activity, …)."""
        from .clinical.loader import validate_lab_values
        from .clinical.workup import labs_in_canonical_units, parse_extras

        # every bad field at once: the lab values' problems and the optional fields' problems
        problems = {}
        try:
            extras = parse_extras(fields)
        except InvalidLabValuesError as e:
            problems.update(e.problems)
        try:
            labs = labs_in_canonical_units(fields)
            validate_lab_values(labs)
        except InvalidLabValuesError as e:
            problems = {**e.problems, **problems}
        if problems:
            raise InvalidLabValuesError(problems)
        return self.predict(labs, **extras)

    def value_warnings(self, clean: dict) -> list[str]:
        out = []
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
        if self.background_x is None and any(clean.get(c) is None for c in LAB_MARKERS):
            out.append("This model folder has no background patients, so a marker that was "
                       "not measured was replaced by the training median.")
        return out
