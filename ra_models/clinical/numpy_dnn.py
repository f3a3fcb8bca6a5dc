"""The lab DNN's inference in NumPy, read straight from its ``.keras`` file.

The lab model has ~3,000 parameters; importing TensorFlow to run it costs seconds on a cold
start, the forward pass microseconds. This reads the architecture (``config.json``) and the
weights (``model.weights.h5``) from the Keras zip without executing anything from it, accepts
only the plain layer types the project's lab DNN is built from (Dense, BatchNormalization,
Dropout, InputLayer, with relu/sigmoid/linear activations) and refuses anything else, so the
caller falls back to Keras. Keras stays the training and reference implementation: the tests
check that both agree within 1e-6.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
}
# Keras 3 stores weights under a per-type counter: dense, dense_1, …; batch_normalization, …
_H5_PREFIX = {"Dense": "dense", "BatchNormalization": "batch_normalization"}


class UnsupportedForNumpy(ValueError):
    """The model uses a layer or option the NumPy path does not implement (use Keras)."""


class NumpyDense:
    """Forward pass of a flat Sequential-like Dense/BatchNorm/Dropout network (inference)."""

    def __init__(self, steps: list[tuple], n_inputs: int):
        self.steps = steps
        self.n_inputs = n_inputs

    @classmethod
    def from_keras_file(cls, path: str | Path) -> NumpyDense:
        import h5py

        try:
            with zipfile.ZipFile(path) as z:
                config = json.loads(z.read("config.json"))
                weights = z.read("model.weights.h5")
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
            raise UnsupportedForNumpy(f"not a readable .keras file ({e})") from e
        layers = config.get("config", {}).get("layers", [])
        counters: dict[str, int] = {}
        steps: list[tuple] = []
        n_inputs = None
        with h5py.File(io.BytesIO(weights), "r") as h5:
            for layer in layers:
                kind, cfg = layer.get("class_name"), layer.get("config", {})
                if kind == "InputLayer":
                    shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
                    n_inputs = int(shape[-1])
                    continue
                if kind == "Dropout":
                    continue  # identity at inference
                if kind not in _H5_PREFIX:
                    raise UnsupportedForNumpy(f"layer type {kind}")
                k = counters.get(kind, 0)
                counters[kind] = k + 1
                name = _H5_PREFIX[kind] + (f"_{k}" if k else "")
                v = [np.asarray(h5[f"layers/{name}/vars/{i}"], np.float64)
                     for i in range(len(h5[f"layers/{name}/vars"]))]
                if kind == "Dense":
                    act = cfg.get("activation", "linear")
                    if act not in _ACTIVATIONS or not cfg.get("use_bias", True) or len(v) != 2:
                        raise UnsupportedForNumpy(f"Dense layer {cfg.get('name')} ({act})")
                    steps.append(("dense", v[0], v[1], act))
                else:
                    if cfg.get("axis") not in (-1, [-1], 1, [1]) or not (cfg.get("center") and cfg.get("scale")):
                        raise UnsupportedForNumpy(f"BatchNormalization {cfg.get('name')}")
                    gamma, beta, mean, var = v
                    scale = gamma / np.sqrt(var + float(cfg.get("epsilon", 1e-3)))
                    steps.append(("affine", scale, beta - mean * scale))
        if n_inputs is None or not steps:
            raise UnsupportedForNumpy("no input layer or no weights")
        return cls(steps, n_inputs)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(N, n_inputs) -> (N,) model output (float64)."""
        h = np.asarray(x, np.float64)
        for step in self.steps:
            if step[0] == "dense":
                h = _ACTIVATIONS[step[3]](h @ step[1] + step[2])
            else:
                h = h * step[1] + step[2]
        return h.reshape(len(h), -1)[:, 0]
