"""The paper's lab-value DNN: Dense + ReLU, BatchNorm, Dropout, sigmoid output."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers


def build_lab_dnn(n_features: int, *, hidden_units=(64, 32), dropout: float = 0.3) -> keras.Model:
    """(n_features,) standardised values -> P(RA) (sigmoid). A flat functional model."""
    inp = keras.Input((n_features,), name="labs")
    x = inp
    for i, u in enumerate(hidden_units):
        x = layers.Dense(u, activation="relu", name=f"dense{i + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.Dropout(dropout, name=f"dropout{i + 1}")(x)
    out = layers.Dense(1, activation="sigmoid", name="p_ra")(x)
    return keras.Model(inp, out, name="ra_lab_dnn")


def fit_lab_dnn(x_train, y_train, x_val, y_val, *, seed: int = 0, epochs: int = 100,
                batch_size: int = 64, learning_rate: float = 1e-3, patience: int = 10,
                monotone: tuple[int, ...] = (), monotone_weight: float = 30.0,
                monotone_step: float = 0.25, verbose: int = 0) -> tuple[keras.Model, dict]:
    """Adam 1e-3, binary cross-entropy, early stopping on validation loss (best weights kept).

    ``monotone``: input columns along which P(RA) must never fall (RF and anti-CCP: a higher
    titre is never evidence *against* RA). Each step adds ``monotone_weight`` × the mean
    decrease of P when one such column is raised by ``monotone_step`` (in standardised units),
    for each column on its own, at the batch's patients and at the same patients with that
    column redrawn uniformly over its training range (so low and high titres are covered too)
    — a soft constraint; the model stays a plain functional Keras model.
    """
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = build_lab_dnn(x_train.shape[1])
    opt = keras.optimizers.Adam(learning_rate)
    bce = keras.losses.BinaryCrossentropy()
    n_feat = x_train.shape[1]
    shifts = [tf.constant(np.eye(n_feat, dtype=np.float32)[j:j + 1] * monotone_step) for j in monotone]
    masks = [tf.constant(np.eye(n_feat, dtype=np.float32)[j:j + 1]) for j in monotone]
    lo = [float(np.min(x_train[:, j])) for j in monotone]
    hi = [float(np.max(x_train[:, j])) for j in monotone]

    @tf.function(reduce_retracing=True)
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            p = model(xb, training=True)
            loss = bce(yb, p)
            for shift, mask, a, b in zip(shifts, masks, lo, hi):
                redrawn = tf.random.uniform([tf.shape(xb)[0], 1], a, b)
                pts = tf.concat([xb, xb * (1 - mask) + redrawn * mask], axis=0)
                fall = model(pts, training=False) - model(pts + shift, training=False)
                loss += monotone_weight * tf.reduce_mean(tf.nn.relu(fall))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    xt = np.asarray(x_train, np.float32)
    yt = np.asarray(y_train, np.float32).reshape(-1, 1)
    xv = np.asarray(x_val, np.float32)
    yv = np.asarray(y_val, np.float32).reshape(-1, 1)
    rng = np.random.default_rng(seed)
    history: dict = {"loss": [], "val_loss": []}
    best, best_weights, wait = np.inf, model.get_weights(), 0
    for epoch in range(epochs):
        order = rng.permutation(len(xt))
        losses = [float(train_step(tf.constant(xt[order[i: i + batch_size]]),
                                   tf.constant(yt[order[i: i + batch_size]])))
                  for i in range(0, len(xt), batch_size)]
        val = float(bce(yv, model(xv, training=False)))
        history["loss"].append(float(np.mean(losses)))
        history["val_loss"].append(val)
        if verbose:
            print(f"epoch {epoch + 1}: loss {history['loss'][-1]:.4f}, val_loss {val:.4f}")
        if val < best - 1e-6:
            best, best_weights, wait = val, model.get_weights(), 0
        else:
            wait += 1
            if wait >= patience:
                break
    model.set_weights(best_weights)
    model.compile(opt, "binary_crossentropy")  # so a saved file records how it was trained
    return model, history


def predict_dnn(model, x: np.ndarray) -> np.ndarray:
    return np.asarray(model(x.astype(np.float32), training=False)).reshape(-1)
