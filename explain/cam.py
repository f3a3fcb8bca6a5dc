"""Grad-CAM, Grad-CAM++ and Score-CAM, mapped back to the input image, on an honest scale.

Each method runs on a compiled ``tf.function`` that does the same arithmetic as tf-keras-vis
(which the tests keep as the reference, ``reference=True``); tf-keras-vis itself rebuilds its
model wrapper and runs eagerly on every call, several times slower.

**Scale.** A raw CAM has no unit. Dividing each map by its own maximum (what most demos do)
paints a film with weak evidence as red as one with strong evidence. The default here is a
*fixed* scale per model and method: the raw map divided by a reference stored in the model
card (``cam_reference``: a high percentile of the peak heat on RA validation films, written by
``evaluate xray --update-card``) and clipped at 1. "Relative to this film" stays available and
is always named as such (:class:`Heatmap`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ra_models.preprocess import fitted_box, resize

METHODS = ("gradcam", "gradcam++", "scorecam")
METHOD_LABELS = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "scorecam": "Score-CAM"}
SCALES = ("fixed", "relative")
SCALE_LABELS = {"fixed": "fixed scale for this model",
                "relative": "relative to this film (its own maximum = 1)"}
RA_CLASS = 1


@dataclass(frozen=True)
class Heatmap:
    """A CAM in [0, 1] and what 1 means."""

    values: np.ndarray  # (H, W) float32 in [0, 1]
    method: str
    scale: str  # "fixed" or "relative"
    peak: float  # the raw map's maximum divided by the reference (fixed) or 1.0 (relative)
    reference_note: str = ""  # how the fixed reference was obtained

    @property
    def legend(self) -> tuple[str, str]:
        """Words for the two ends of the colour bar."""
        if self.scale == "fixed":
            return "no RA evidence", "strongest RA evidence seen in validation films"
        return "no RA evidence", "strongest RA evidence in this film"

    @property
    def caption(self) -> str:
        return (f"{METHOD_LABELS[self.method]}, {SCALE_LABELS[self.scale]}: colour marks where the "
                "model found evidence *for* RA; no colour is not evidence against RA.")


def references_from_card(card: dict) -> dict[str, float]:
    """{method: reference} from a model card's ``cam_reference`` (empty if it has none)."""
    out = {}
    for method, entry in (card.get("cam_reference") or {}).items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        if method in METHODS and isinstance(value, (int, float)) and np.isfinite(value) and value > 0:
            out[method] = float(value)
    return out


class CamExplainer:
    """Class-activation maps for a flat functional Keras classifier (softmax output)."""

    def __init__(self, model, layer_name: str = "gradcam_conv", *, scorecam_max_n: int | None = 16,
                 references: dict[str, float] | None = None, reference_note: str = ""):
        from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

        self.model = model
        self.layer_name = layer_name
        self.scorecam_max_n = scorecam_max_n
        self.references = dict(references or {})
        self.reference_note = reference_note
        self._modifier = ReplaceToLinear()
        # tf-keras-vis objects (the reference implementation) are built on first use only.
        self._objs: dict = {}
        linear = _linear_clone(model)
        self._fast = {"gradcam": _compiled_gradcam(linear, layer_name),
                      "gradcam++": _compiled_gradcam_plus_plus(linear, layer_name),
                      "scorecam": _compiled_scorecam(linear, layer_name, scorecam_max_n)}

    @classmethod
    def for_predictor(cls, predictor, **kw) -> CamExplainer:
        """Explainer for an :class:`~ra_models.predictor.XrayPredictor`, with the card's scale."""
        ref = predictor.card.get("cam_reference") or {}
        note = ref.get("gradcam", {}).get("statistic", "") if isinstance(ref.get("gradcam"), dict) else ""
        return cls(predictor.model, predictor.gradcam_layer,
                   references=references_from_card(predictor.card), reference_note=note, **kw)

    # -- raw maps ---------------------------------------------------------------------------
    def raw_input(self, x: np.ndarray, method: str = "gradcam", target: int = RA_CLASS, *,
                  reference: bool = False) -> np.ndarray:
        """Un-normalised CAMs (ReLU applied) at model-input resolution: (N, 224, 224) float32."""
        if method not in METHODS:
            raise ValueError(f"Unknown CAM method {method!r}; choose one of {', '.join(METHODS)}.")
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        if reference:
            raw = self._tf_keras_vis(x, method, target)
        else:
            raw = np.asarray(self._fast[method](x, np.int32(target)), np.float32)
        raw = np.maximum(np.nan_to_num(raw.reshape(len(x), *raw.shape[-2:])), 0)
        # Upsample centre-aligned (tf-keras-vis' scipy zoom aligns the *corners* and shifts
        # every cell by up to half a cell, 3.5 px at 224²).
        return np.stack([np.maximum(resize(c, x.shape[1:3]), 0) for c in raw]).astype(np.float32)

    def _tf_keras_vis(self, x, method, target):
        from tf_keras_vis.utils.scores import CategoricalScore

        obj = self._reference_object(method)
        kw = dict(penultimate_layer=self.layer_name, seek_penultimate_conv_layer=False,
                  normalize_cam=False, expand_cam=False)
        if method == "scorecam" and self.scorecam_max_n:
            kw["max_N"] = self.scorecam_max_n
        return np.asarray(obj(CategoricalScore([int(target)] * len(x)), x, **kw), np.float32)

    def _reference_object(self, method):
        if method not in self._objs:
            from tf_keras_vis.gradcam import Gradcam
            from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
            from tf_keras_vis.scorecam import Scorecam

            cls = {"gradcam": Gradcam, "gradcam++": GradcamPlusPlus, "scorecam": Scorecam}[method]
            obj = cls(self.model, model_modifier=self._modifier, clone=True)
            if method == "scorecam":  # it calls predict() without verbose=0
                obj.model.predict = functools.partial(obj.model.predict, verbose=0)
            self._objs[method] = obj
        return self._objs[method]

    # -- scaled maps ------------------------------------------------------------------------
    def compute_input(self, x: np.ndarray, method: str = "gradcam", target: int = RA_CLASS, *,
                      reference: bool = False, scale: str = "relative") -> np.ndarray:
        """CAMs in [0, 1] at model-input resolution for a (N, 224, 224, 1) batch."""
        raw = self.raw_input(x, method, target, reference=reference)
        return np.stack([self._scaled(c, method, scale)[0] for c in raw])

    def heatmap(self, x: np.ndarray, original_shape: tuple[int, int] | None = None,
                method: str = "gradcam", target: int = RA_CLASS, *, scale: str = "fixed") -> Heatmap:
        """One :class:`Heatmap` for one prepared image, at ``original_shape`` if given.

        ``scale="fixed"`` falls back to "relative" (and says so in the result) when the model
        card has no reference for ``method``.
        """
        if scale not in SCALES:
            raise ValueError(f"Unknown heatmap scale {scale!r}; choose one of {', '.join(SCALES)}.")
        raw = self.raw_input(x, method, target)[0]
        values, peak, used = self._scaled(raw, method, scale)
        if original_shape:
            values = to_original(values, original_shape)
        return Heatmap(values, method, used, peak, self.reference_note if used == "fixed" else "")

    def compute(self, x: np.ndarray, original_shape: tuple[int, int] | None = None,
                method: str = "gradcam", target: int = RA_CLASS, *, scale: str = "fixed") -> np.ndarray:
        """Just the values of :meth:`heatmap`."""
        return self.heatmap(x, original_shape, method, target, scale=scale).values

    def _scaled(self, raw: np.ndarray, method: str, scale: str) -> tuple[np.ndarray, float, str]:
        hi = float(raw.max())
        ref = self.references.get(method) if scale == "fixed" else None
        if ref:
            return np.clip(raw / ref, 0, 1).astype(np.float32), hi / ref, "fixed"
        out = (raw / hi).astype(np.float32) if hi > 0 else np.zeros_like(raw, np.float32)
        return out, 1.0 if hi > 0 else 0.0, "relative"


def _linear_clone(model):
    """A copy of ``model`` whose last activation is linear (class scores = logits)."""
    import keras
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return ReplaceToLinear()(clone) or clone


def _feature_model(linear_model, layer_name: str):
    from ra_models.keras_graph import graph_model

    return graph_model(linear_model, layer_name)


def _feature_gradients(grad_model, x, target):
    """(feature maps A, class score y_c, ∂y_c/∂A) in one forward and backward pass (traced
    inside the callers' tf.functions)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        feats, logits = grad_model(x, training=False)
        score = logits[:, target]
    return feats, score, tape.gradient(score, feats)


def _compiled_gradcam(linear_model, layer_name: str):
    """Grad-CAM as one tf.function: Σ_k mean(∂y_c/∂A_k) · A_k on the logits model."""
    import tensorflow as tf

    grad_model = _feature_model(linear_model, layer_name)

    @tf.function(reduce_retracing=True)
    def gradcam(x, target):
        feats, _, grads = _feature_gradients(grad_model, x, target)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        return tf.nn.relu(tf.reduce_sum(feats * weights, axis=-1))

    return gradcam


def _compiled_gradcam_plus_plus(linear_model, layer_name: str):
    """Grad-CAM++ (Chattopadhay et al., 2018) exactly as tf-keras-vis computes it."""
    import tensorflow as tf

    grad_model = _feature_model(linear_model, layer_name)

    @tf.function(reduce_retracing=True)
    def gradcam_pp(x, target):
        feats, score, grads = _feature_gradients(grad_model, x, target)
        s = tf.reshape(tf.exp(score), [-1, 1, 1, 1])
        first = s * grads
        second = first * grads
        third = second * grads
        global_sum = tf.reduce_sum(feats, axis=(1, 2), keepdims=True)
        denom = second * 2.0 + third * global_sum
        denom += tf.cast(second == 0.0, second.dtype)
        alphas = second / denom
        norm = tf.reduce_sum(alphas, axis=(1, 2), keepdims=True)
        alphas /= norm + tf.cast(norm == 0.0, norm.dtype)
        weights = tf.reduce_sum(tf.nn.relu(first) * alphas, axis=(1, 2), keepdims=True)
        return tf.nn.relu(tf.reduce_sum(weights * feats, axis=-1))

    return gradcam_pp


def _compiled_scorecam(linear_model, layer_name: str, max_n: int | None):
    """Score-CAM (Wang et al., 2020) with tf-keras-vis' "faster" channel selection.

    The ``max_n`` channels of largest spatial standard deviation are upsampled (bilinear,
    corners aligned, as tf-keras-vis' scipy zoom does), min-max normalised, multiplied into the
    input, and weighted by the softmax score of the target class on each masked input.
    """
    import tensorflow as tf

    grad_model = _feature_model(linear_model, layer_name)

    @tf.function(reduce_retracing=True)
    def scorecam(x, target):
        feats, _ = grad_model(x, training=False)
        c = feats.shape[-1]
        n = min(int(max_n), c) if max_n else c
        if n < c:
            std = tf.math.reduce_std(feats, axis=(1, 2))  # (B, C)
            idx = tf.math.top_k(std, n).indices  # (B, n)
            feats = tf.gather(feats, idx, axis=-1, batch_dims=1)
        size = tf.shape(x)[1:3]
        up = tf.raw_ops.ResizeBilinear(images=feats, size=size, align_corners=True,
                                       half_pixel_centers=False)  # (B, H, W, n)
        lo = tf.reduce_min(up, axis=(1, 2), keepdims=True)
        hi = tf.reduce_max(up, axis=(1, 2), keepdims=True)
        masks = (up - lo) / (hi - lo + 1e-7)
        masks = tf.transpose(masks, [0, 3, 1, 2])[..., None]  # (B, n, H, W, 1)
        masked = tf.reshape(x[:, None] * masks, tf.concat([[-1], tf.shape(x)[1:]], 0))
        _, logits = grad_model(masked, training=False)
        probs = tf.nn.softmax(logits)[:, target]
        weights = tf.reshape(probs, [-1, 1, 1, n])
        return tf.nn.relu(tf.reduce_sum(feats * weights, axis=-1))

    return scorecam


def to_original(cam: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Undo :func:`ra_models.preprocess.prepare_xray` (resize + pad) for a 2-D map."""
    top, left, nh, nw = fitted_box(shape, cam.shape[0])
    out = resize(np.ascontiguousarray(cam[top: top + nh, left: left + nw]), tuple(shape))
    return np.clip(out, 0, 1).astype(np.float32)
