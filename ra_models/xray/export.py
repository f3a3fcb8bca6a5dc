"""Export an X-ray model folder for TensorFlow Serving: ``python -m ra_models export xray``.

Writes a versioned SavedModel ``EXPORT/<version>/`` with two signatures, both taking
``image``: a float32 batch (N, S, S, 1) of films prepared as the apps prepare them
(:func:`ra_models.preprocess.prepare_xray`: grayscale in [0, 1], padded to a square):

* ``serving_default`` → ``probability_ra`` (N,): calibrated P(RA) (the card's temperature);
* ``explain`` → ``probability_ra`` and ``gradcam`` (N, S, S): Grad-CAM for class RA at input
  size, on the card's fixed scale (divided by its reference and clipped at 1; relative to each
  film's maximum when the card has none), plus ``gradcam_raw``.

Preparing the image (decoding, DICOM windowing, padding) stays on the client or in the app:
the export is the model and its explanation, nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def export_xray(model_dir, out_dir, *, version: int = 1) -> Path:
    import keras
    import tensorflow as tf

    from explain.cam import _feature_gradients, _linear_clone, references_from_card

    from ..keras_graph import graph_model
    from ..predictor import XrayPredictor

    pred = XrayPredictor.load(model_dir)
    size = pred.input_size
    temperature = float(pred.temperature)
    ref = references_from_card(pred.card).get("gradcam")
    linear = _linear_clone(pred.model)
    grad_model = graph_model(linear, pred.gradcam_layer)
    model = pred.model
    spec = [tf.TensorSpec([None, size, size, 1], tf.float32, name="image")]

    def calibrated(p):
        p = tf.clip_by_value(p, 1e-7, 1 - 1e-7)
        return tf.sigmoid((tf.math.log(p) - tf.math.log1p(-p)) / temperature)

    def serve(image):
        return {"probability_ra": calibrated(model(image, training=False)[:, 1])}

    def explain(image):
        feats, _, grads = _feature_gradients(grad_model, image, 1)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(feats * weights, axis=-1, keepdims=True))
        # centre-aligned bilinear upsampling, as the app does
        raw = tf.nn.relu(tf.image.resize(cam, (size, size), method="bilinear"))[..., 0]
        if ref:
            scaled = tf.clip_by_value(raw / ref, 0.0, 1.0)
        else:
            peak = tf.reduce_max(raw, axis=(1, 2), keepdims=True)
            scaled = tf.math.divide_no_nan(raw, peak)
        return {"probability_ra": calibrated(model(image, training=False)[:, 1]),
                "gradcam": scaled, "gradcam_raw": raw}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(linear)
    archive.add_endpoint("serving_default", serve, input_signature=spec)
    archive.add_endpoint("explain", explain, input_signature=spec)
    target = Path(out_dir) / str(int(version))
    archive.write_out(str(target), verbose=False)
    card = pred.card
    (Path(out_dir) / "model_card.json").write_text(
        json.dumps({"exported_from": card.get("name"), "version": card.get("version"),
                               "sha256": card.get("sha256"), "input_size": size,
                               "temperature": temperature, "gradcam_reference": ref,
                               "signatures": ["serving_default", "explain"]}, indent=2))
    return target


def check_export(export_version_dir, model_dir, x: np.ndarray) -> dict:
    """Compare an export with the in-process predictor on prepared films ``x``."""
    import tensorflow as tf

    from explain.cam import CamExplainer

    from ..predictor import XrayPredictor

    pred = XrayPredictor.load(model_dir)
    loaded = tf.saved_model.load(str(export_version_dir))
    out = loaded.signatures["explain"](image=tf.constant(x, tf.float32))
    p_export = np.asarray(out["probability_ra"])
    p_ours = pred.calibrate(pred.raw_probabilities(x))
    ours = CamExplainer.for_predictor(pred).raw_input(x, "gradcam")
    theirs = np.asarray(out["gradcam_raw"])
    corr = min(float(np.corrcoef(a.ravel(), b.ravel())[0, 1]) for a, b in zip(ours, theirs))
    serving = np.asarray(loaded.signatures["serving_default"](image=tf.constant(x))["probability_ra"])
    return {"max_abs_dp": float(np.abs(p_export - p_ours).max()),
            "max_abs_dp_serving": float(np.abs(serving - p_ours).max()), "min_cam_corr": corr}
