"""Grad-CAM, Grad-CAM++ and Score-CAM through tf-keras-vis, mapped back to the input image.

:class:`CamExplainer` builds the tf-keras-vis objects once per model (they clone the model
and swap the softmax for a linear output) and then serves any number of images. Heatmaps are
(H, W) float32 in [0, 1] at the resolution of the image the user gave, not the 224² input.
"""

from __future__ import annotations

import functools

import numpy as np

from ra_models.preprocess import fitted_box, resize

METHODS = ("gradcam", "gradcam++", "scorecam")
METHOD_LABELS = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "scorecam": "Score-CAM"}
RA_CLASS = 1


class CamExplainer:
    """Class-activation maps for a flat functional Keras classifier (softmax output)."""

    def __init__(self, model, layer_name: str = "gradcam_conv", *, scorecam_max_n: int | None = 16):
        from tf_keras_vis.gradcam import Gradcam
        from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
        from tf_keras_vis.scorecam import Scorecam
        from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

        self.model = model
        self.layer_name = layer_name
        self.scorecam_max_n = scorecam_max_n
        modifier = ReplaceToLinear()
        self._objs = {
            "gradcam": Gradcam(model, model_modifier=modifier, clone=True),
            "gradcam++": GradcamPlusPlus(model, model_modifier=modifier, clone=True),
            # Score-CAM applies its own softmax to the masked inputs' outputs, so it too gets
            # the logits (linear last layer).
            "scorecam": Scorecam(model, model_modifier=modifier, clone=True),
        }
        # Score-CAM calls model.predict() without verbose=0: keep progress bars out of the logs.
        sc_model = self._objs["scorecam"].model
        sc_model.predict = functools.partial(sc_model.predict, verbose=0)
        self._fast = _compiled_gradcam(self._objs["gradcam"].model, layer_name)

    def compute_input(self, x: np.ndarray, method: str = "gradcam", target: int = RA_CLASS, *,
                      reference: bool = False) -> np.ndarray:
        """CAMs at model-input resolution for a (N, 224, 224, 1) batch -> (N, 224, 224).

        Grad-CAM runs on a compiled path (the same arithmetic as tf-keras-vis, checked against
        it by the tests) unless ``reference`` asks for tf-keras-vis itself, which rebuilds its
        model wrapper and runs eagerly on every call (≈ 70 ms vs ≈ 10 ms here).
        """
        from tf_keras_vis.utils.scores import CategoricalScore

        if method not in self._objs:
            raise ValueError(f"Unknown CAM method {method!r}; choose one of {', '.join(METHODS)}.")
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        if method == "gradcam" and not reference:
            raw = np.asarray(self._fast(x, np.int32(target)), np.float32)
            return np.stack([_normalise(resize(c, x.shape[1:3])) for c in raw])
        # tf-keras-vis upsamples with scipy.ndimage.zoom, which aligns the *corners* of the
        # 28×28 map with the image corners and shifts every cell by up to half a cell (3.5 px
        # at 224²). We take the map at its own resolution and upsample centre-aligned.
        kw = dict(penultimate_layer=self.layer_name, seek_penultimate_conv_layer=False,
                  normalize_cam=False, expand_cam=False)
        if method == "scorecam" and self.scorecam_max_n:
            kw["max_N"] = self.scorecam_max_n
        raw = np.asarray(self._objs[method](CategoricalScore([int(target)] * len(x)), x, **kw),
                         np.float32)
        raw = np.nan_to_num(raw.reshape(len(x), *raw.shape[-2:]))
        return np.stack([_normalise(resize(c, x.shape[1:3])) for c in raw])

    def compute(self, x: np.ndarray, original_shape: tuple[int, int] | None = None,
                method: str = "gradcam", target: int = RA_CLASS) -> np.ndarray:
        """One heatmap in [0, 1] for one prepared image, at ``original_shape`` if given."""
        cam = self.compute_input(x, method, target)[0]
        return to_original(cam, original_shape) if original_shape else cam


def _compiled_gradcam(linear_model, layer_name: str):
    """Grad-CAM as one tf.function: ReLU(Σ_k mean(∂y_c/∂A_k) · A_k) on the logits model."""
    import keras
    import tensorflow as tf

    grad_model = keras.Model(linear_model.inputs[0],
                             [linear_model.get_layer(layer_name).output, linear_model.outputs[0]])

    @tf.function(reduce_retracing=True)
    def gradcam(x, target):
        with tf.GradientTape() as tape:
            feats, logits = grad_model(x, training=False)
            score = logits[:, target]
        grads = tape.gradient(score, feats)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        return tf.nn.relu(tf.reduce_sum(feats * weights, axis=-1))

    return gradcam


def _normalise(cam: np.ndarray) -> np.ndarray:
    cam = np.maximum(cam, 0)
    hi = float(cam.max())
    return (cam / hi).astype(np.float32) if hi > 0 else np.zeros_like(cam, np.float32)


def to_original(cam: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Undo :func:`ra_models.preprocess.prepare_xray` (resize + pad) for a 2-D map."""
    top, left, nh, nw = fitted_box(shape, cam.shape[0])
    out = resize(np.ascontiguousarray(cam[top: top + nh, left: left + nw]), tuple(shape))
    return np.clip(out, 0, 1).astype(np.float32)
