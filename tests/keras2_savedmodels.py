"""Writes SavedModel folders (and .h5 files) the way Keras 2 (tf_keras; TensorFlow ≤ 2.15's tf.keras) saved
them, for the importer's tests: ``python tests/keras2_savedmodels.py OUT``. Run in its own
process so that tf_keras and Keras 3 never share one. Each model gets its reference output on
seeded inputs in ``OUT/<name>.npz`` (x as the model takes it, p as Keras 2 computed it)."""

import sys
from pathlib import Path

import numpy as np
import tf_keras as k2

out = Path(sys.argv[1])
rng = np.random.default_rng(0)
k2.utils.set_random_seed(3)


def save(name, model, x):
    model.save(out / name, save_format="tf")
    model.save(out / f"{name}.h5")  # the same model as a Keras 2 HDF5 file
    np.savez(out / f"{name}.npz", x=x, p=model.predict(x, verbose=0))


# 1. transfer learning as most groups wrote it: a nested MobileNetV2 backbone, RGB, own scaling,
#    a sigmoid head; batch statistics made non-trivial so that moving averages matter
base = k2.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False, weights=None,
                                   alpha=0.35)
for layer in base.layers:
    if isinstance(layer, k2.layers.BatchNormalization):
        layer.moving_mean.assign(rng.normal(0, 0.1, layer.moving_mean.shape))
        layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape))
inp = k2.Input((96, 96, 3))
x = k2.layers.Rescaling(1 / 127.5, offset=-1, name="own_scaling")(inp)
x = base(x)
x = k2.layers.GlobalAveragePooling2D(name="gap_user")(x)
save("mnv2_sigmoid", k2.Model(inp, k2.layers.Dense(1, activation="sigmoid", name="ra")(x)),
     np.repeat(rng.random((3, 96, 96, 1)) * 255, 3, axis=-1).astype(np.float32))

# 2. a Sequential CNN with batch norm and a depthwise convolution (a weight Keras 3 renamed),
#    softmax over two classes
seq = k2.Sequential([
    k2.Input((64, 64, 1)),
    k2.layers.Conv2D(8, 3, padding="same", activation="relu", name="c1"),
    k2.layers.BatchNormalization(name="bn1"),
    k2.layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dw"),
    k2.layers.Conv2D(8, 3, padding="same", activation="relu", name="c2"),
    k2.layers.GlobalAveragePooling2D(name="g"),
    k2.layers.Dense(2, activation="softmax", name="out"),
])
seq.get_layer("bn1").moving_mean.assign(rng.normal(0, 0.2, 8))
save("seq_softmax", seq, rng.random((3, 64, 64, 1)).astype(np.float32))

# 3. a model with Python code in it: must be refused, never run
inp = k2.Input((64, 64, 1))
lam = k2.layers.Lambda(lambda t: t * 2.0, name="code")(inp)
g = k2.layers.GlobalAveragePooling2D()(k2.layers.Conv2D(4, 3)(lam))
k2.Model(inp, k2.layers.Dense(1, activation="sigmoid")(g)).save(out / "with_lambda", save_format="tf")
