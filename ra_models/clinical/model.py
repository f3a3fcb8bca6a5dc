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
                verbose: int = 0) -> tuple[keras.Model, dict]:
    """Adam 1e-3, binary cross-entropy, early stopping on validation loss (best weights kept)."""
    keras.utils.set_random_seed(seed)
    model = build_lab_dnn(x_train.shape[1])
    model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")])
    hist = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                     batch_size=batch_size, verbose=verbose,
                     callbacks=[keras.callbacks.EarlyStopping(
                         monitor="val_loss", patience=patience, restore_best_weights=True)])
    return model, hist.history


def predict_dnn(model, x: np.ndarray) -> np.ndarray:
    return np.asarray(model(x.astype(np.float32), training=False)).reshape(-1)
