"""X-ray CNN builders. Every architecture is one *flat* functional model.

tf-keras-vis 0.8.7 fails on ``keras.Sequential`` models and on a pretrained base nested as a
single layer (``shared/research/peer-systems.md`` §2), so the head is always built on
``base.output`` and the last convolution is found by a fixed name for Grad-CAM.
"""

from __future__ import annotations

import keras
from keras import layers

from ..preprocess import XRAY_INPUT_SIZE

#: Name of the convolution whose activations Grad-CAM uses ("paper" architecture).
GRADCAM_LAYER = "gradcam_conv"
CLASS_NAMES = ("Normal", "RA")
ARCHS = ("paper", "vgg16", "densenet121", "mobilenetv2")
#: Grad-CAM layer of the keras.applications backbones.
_APP_LAYERS = {"vgg16": "block5_conv3", "densenet121": "relu", "mobilenetv2": "out_relu"}


def gradcam_layer_for(arch: str) -> str:
    return GRADCAM_LAYER if arch == "paper" else _APP_LAYERS[arch]


def build_xray_cnn(input_shape=(XRAY_INPUT_SIZE, XRAY_INPUT_SIZE, 1), *, base_filters: int = 16,
                   dropout: float = 0.3, dense_units: int = 64) -> keras.Model:
    """The paper's CNN: 4 × (Conv 3×3 + ReLU → BatchNorm → MaxPool), dropout, softmax {Normal, RA}.

    Input: (224, 224, 1) float32 in [0, 1]. ``base_filters`` doubles per block (16 → 128 by
    default: 4× faster on a 2-core CPU than 32 → 256, with the same layer structure).
    """
    inp = keras.Input(input_shape, name="image")
    # Fixed affine standardisation (film mean ≈ 0.2, sd ≈ 0.25): better-conditioned first conv.
    x = layers.Rescaling(4.0, offset=-0.8, name="standardise")(inp)
    for i in range(4):
        name = GRADCAM_LAYER if i == 3 else f"conv{i + 1}"
        x = layers.Conv2D(base_filters * 2**i, 3, padding="same", activation="relu", name=name)(x)
        # momentum 0.9: with ~70 steps an epoch the default 0.99 leaves the moving variance
        # near its initial 1.0 for many epochs, and inference-mode outputs collapse.
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i + 1}")(x)
        x = layers.MaxPooling2D(name=f"pool{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc")(x)
    x = layers.Dropout(dropout, name="dropout2")(x)
    out = layers.Dense(2, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="ra_xray_cnn")


def build_model(arch: str = "paper", *, weights: str | None = None, **kw) -> keras.Model:
    """Build an architecture by name; backbones use ``weights=None`` unless a file is given."""
    if arch == "paper":
        return build_xray_cnn(**kw)
    if arch not in ARCHS:
        raise ValueError(f"Unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}.")
    apps = keras.applications
    ctor = {"vgg16": apps.VGG16, "densenet121": apps.DenseNet121,
            "mobilenetv2": apps.MobileNetV2}[arch]
    if arch == "mobilenetv2" and kw.get("alpha"):
        import functools

        ctor = functools.partial(ctor, alpha=kw["alpha"])
    inp = keras.Input((XRAY_INPUT_SIZE, XRAY_INPUT_SIZE, 1), name="image")
    # Backbones expect 3 channels in their own range: repeat gray and scale to [-1, 1].
    x = layers.Concatenate(name="gray_to_rgb")([inp, inp, inp])
    x = layers.Rescaling(2.0, offset=-1.0, name="to_pm1")(x)
    base = ctor(include_top=False, weights=None, input_tensor=x)
    if weights:
        base.load_weights(weights, skip_mismatch=True)
    backbone = [layer.name for layer in base.layers if not isinstance(layer, layers.InputLayer)]
    y = layers.GlobalAveragePooling2D(name="gap")(base.output)
    y = layers.Dropout(kw.get("dropout", 0.3), name="dropout1")(y)
    # float32 output even under a mixed-precision policy (GPU training)
    out = layers.Dense(2, activation="softmax", name="probs", dtype="float32")(y)
    model = keras.Model(inp, out, name=f"ra_xray_{arch}")
    model.backbone_layers = backbone  # for the frozen-then-fine-tuned schedule (not saved)
    return model
