"""Is this image like the training radiographs? An honest, simple out-of-distribution check.

Two signals, either of which raises the notice:

* **feature distance** — the Mahalanobis distance of the CNN's pooled features (layer
  ``gap``) from the training images' features (Ledoit–Wolf covariance). The alarm threshold is
  the 99th percentile of the training images' own distances, so about 1% of in-distribution
  images raise a false alarm by construction; the measured rates on fresh phantoms and on
  non-hand images are written to the model card by ``bench/ood_check.py``.
* **colour** — a colour photograph is not a radiograph (the intake converts colour to
  luminance and records it).

It flags; it never refuses. The app shows the notice and still lets the user look.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OOD_FILE = "ood.json"
FEATURE_LAYER = "gap"


@dataclass(frozen=True)
class OODResult:
    flagged: bool
    distance: float
    threshold: float
    reasons: tuple[str, ...]


def feature_model(model, layer: str = FEATURE_LAYER):
    """Pooled features: the demo CNN's ``gap`` layer, or any layer's 4-D output averaged over
    space (imported models: the CAM layer)."""
    import keras

    from .keras_graph import graph_model

    # a single input tensor (not a one-element list) avoids a Keras structure warning per call
    fm = graph_model(model, layer, with_output=False)
    if len(fm.outputs[0].shape) == 4:
        fm = keras.Model(fm.inputs[0], keras.layers.GlobalAveragePooling2D(name="ood_pool")(fm.outputs[0]))
    return fm


class OODChecker:
    def __init__(self, mean, precision, threshold, model=None, layer: str = FEATURE_LAYER):
        self.layer = layer
        self.mean = np.asarray(mean, np.float64)
        self.precision = np.asarray(precision, np.float64)
        self.threshold = float(threshold)
        self._features = None
        self._model = model

    # -- fitting
    @classmethod
    def fit(cls, model, x_train: np.ndarray, quantile: float = 0.99,
            layer: str = FEATURE_LAYER) -> OODChecker:
        from sklearn.covariance import LedoitWolf

        f = _features(compiled_features(model, layer), x_train)
        lw = LedoitWolf().fit(f)
        self = cls(lw.location_, lw.precision_, 0.0, model, layer)
        d = self._distances(f)
        self.threshold = float(np.quantile(d, quantile))
        return self

    def save(self, model_dir: str | Path) -> Path:
        path = Path(model_dir) / OOD_FILE
        path.write_text(json.dumps({"layer": self.layer, "threshold": self.threshold,
                                    "mean": self.mean.tolist(),
                                    "precision": self.precision.tolist()}))
        return path

    @classmethod
    def load(cls, model_dir: str | Path, model=None) -> OODChecker | None:
        """The checker saved beside a model, or None; its sha256 must match the model card."""
        from . import model_card
        from .errors import ModelError

        path = Path(model_dir) / OOD_FILE
        shown = model_card.shown_path(path)
        entry = model_card.load_card(model_dir).get("ood") or {}
        if not path.exists() and not entry.get("file"):
            return None
        model_card.verify_file(model_dir, OOD_FILE, entry.get("sha256"))
        try:
            d = json.loads(path.read_text())
            mean = np.asarray(d["mean"], np.float64)
            precision = np.asarray(d["precision"], np.float64)
            threshold = float(d["threshold"])
            layer = str(d.get("layer", FEATURE_LAYER))
            ok = (mean.ndim == 1 and precision.shape == (len(mean), len(mean))
                  and np.isfinite(mean).all() and np.isfinite(precision).all()
                  and np.isfinite(threshold) and threshold > 0)
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(f"'{shown}' is not a valid out-of-distribution file ({e}).") from e
        if not ok:
            raise ModelError(f"'{shown}' has arrays of the wrong shape or non-finite values.")
        return cls(mean, precision, threshold, model, layer)

    # -- checking
    def _distances(self, f: np.ndarray) -> np.ndarray:
        z = f - self.mean
        return np.sqrt(np.einsum("ij,jk,ik->i", z, self.precision, z))

    def distances(self, model, x: np.ndarray) -> np.ndarray:
        if self._features is None:  # built once; a request then costs one compiled call
            self._features = compiled_features(model or self._model, self.layer)
        return self._distances(_features(self._features, x))

    def check(self, model, x: np.ndarray, meta=None) -> OODResult:
        """``x``: one prepared image (S, S, 1); ``meta``: its ImageMeta, if any."""
        d = float(self.distances(model, x[None])[0])
        reasons = []
        if d > self.threshold:
            reasons.append(f"its features are far from the training radiographs "
                           f"(distance {d:.1f} > {self.threshold:.1f})")
        if meta is not None and any("colour" in n for n in meta.notes):
            reasons.append("it is a colour image; radiographs are grayscale")
        return OODResult(bool(reasons), d, self.threshold, tuple(reasons))


def compiled_features(model, layer: str = FEATURE_LAYER):
    """The pooled-feature extractor as one ``tf.function`` on a fixed input signature (an eager
    Keras call per request costs several times more, as the predictor's own path shows)."""
    import tensorflow as tf

    fmodel = feature_model(model, layer)
    return tf.function(lambda x: fmodel(x, training=False),
                       input_signature=[tf.TensorSpec([None, *fmodel.input_shape[1:]], tf.float32)],
                       reduce_retracing=True)


def _features(fn, x: np.ndarray, batch: int = 64) -> np.ndarray:
    out = [np.asarray(fn(np.asarray(x[i: i + batch], np.float32))) for i in range(0, len(x), batch)]
    return np.concatenate(out).astype(np.float64)
