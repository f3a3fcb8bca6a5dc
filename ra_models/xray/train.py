"""Train, calibrate and card the X-ray CNN: ``python -m ra_models train xray``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .. import model_card
from ..calibration import apply_temperature, fit_temperature
from ..metrics import binary_metrics
from ..model_card import MODEL_FILE
from ..preprocess import PREPROCESSING
from ..splits import stratified_split
from ..synthetic.dataset import read_manifest
from .data import find_images, load_arrays, make_tf_dataset
from .model import CLASS_NAMES, build_model, gradcam_layer_for

DEFAULT_THRESHOLD = 0.5
UNCERTAIN_BAND = 0.15  # |P - threshold| below this is shown as "uncertain"


def _log(msg: str) -> None:
    print(msg, flush=True)


def class_weights(y: np.ndarray) -> dict[int, float] | None:
    counts = np.bincount(y, minlength=2)
    if counts.min() == 0 or counts.max() / counts.min() < 1.2:
        return None
    return {i: float(len(y) / (2 * c)) for i, c in enumerate(counts)}


def data_provenance(data_dir: Path, ds) -> dict:
    manifest = read_manifest(data_dir)
    if manifest:
        seeds = sorted({int(r["dataset_seed"]) for r in manifest})
        versions = sorted({r["generator_version"] for r in manifest})
        return {"source": "synthetic phantoms", "generator": "ra_models.synthetic.generator",
                "generator_version": ",".join(versions), "dataset_seed": seeds,
                "n_images": len(ds.files), "n_ra": int(ds.labels.sum()),
                "n_normal": int((ds.labels == 0).sum()),
                "recreate": f"python -m ra_models phantoms --out DIR --n {len(manifest)} "
                            f"--seed {seeds[0]} --generator {versions[-1]}"}
    return {"source": "user data", "folder": str(data_dir), "n_images": len(ds.files),
            "n_ra": int(ds.labels.sum()), "n_normal": int((ds.labels == 0).sum()),
            "sha256_of_file_list": ds.fingerprint()}


def predict_proba(model, x: np.ndarray, batch: int = 64) -> np.ndarray:
    """Uncalibrated P(RA) for a stack of prepared images (training-time helper)."""
    out = []
    for i in range(0, len(x), batch):
        out.append(np.asarray(model(x[i: i + batch], training=False))[:, 1])
    return np.concatenate(out) if out else np.zeros(0)


#: Fine-tuning from pretrained backbone weights: the head alone first, then the top of the
#: backbone at a tenth of the rate (BatchNorm layers stay frozen throughout).
HEAD_EPOCHS = 5
FINE_TUNE_FRACTION = 0.2
FINE_TUNE_LR_FACTOR = 0.1


def _set_backbone_trainable(model, fraction: float) -> int:
    """Freeze the backbone except its top ``fraction`` of layers (BatchNorm always frozen);
    returns how many backbone layers train."""
    import keras

    names = getattr(model, "backbone_layers", [])
    first = int(len(names) * (1 - fraction))
    n = 0
    for i, name in enumerate(names):
        layer = model.get_layer(name)
        layer.trainable = i >= first and not isinstance(layer, keras.layers.BatchNormalization)
        n += int(layer.trainable)
    return n


def distribution_strategy():
    """Every visible GPU through ``MirroredStrategy`` (with mixed precision); the default
    strategy on CPU, where training runs as it always did."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return tf.distribute.get_strategy(), "CPU (default strategy)"
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    return tf.distribute.MirroredStrategy(), f"MirroredStrategy over {len(gpus)} GPU(s), mixed precision"


def train_xray(data_dir: str | Path, out_dir: str | Path, *, epochs: int = 50, seed: int = 0,
               arch: str = "paper", batch_size: int = 32, learning_rate: float = 1e-4,
               patience: int = 12, base_filters: int = 16, weights: str | None = None,
               augment: bool = True, verbose: int = 2, n_boot: int = 1000,
               max_train_seconds: float | None = None, alpha: float | None = None,
               head_epochs: int = HEAD_EPOCHS) -> dict:
    """Train on ``DIR/RA`` + ``DIR/Normal``; write ``model.keras`` and its card to ``out_dir``.

    With ``weights`` (a backbone weights file you have on disk, e.g. ImageNet) and a
    keras.applications ``arch``: ``head_epochs`` with the backbone frozen at ``learning_rate``,
    then the top 20% of the backbone unfrozen (BatchNorm kept frozen) at a tenth of the rate
    for the remaining epochs; early stopping, calibration and the card as usual.
    """
    import keras

    keras.utils.set_random_seed(seed)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ds = find_images(data_dir)
    tr, va, te = stratified_split(ds.labels, seed)
    _log(f"data: {len(ds.files)} images ({int(ds.labels.sum())} RA) -> "
         f"train {len(tr)} / val {len(va)} / test {len(te)}")
    t0 = time.time()
    x = load_arrays(ds.files)
    y = ds.labels
    _log(f"decoded in {time.time() - t0:.1f}s")

    kw = {"base_filters": base_filters} if arch == "paper" else ({"alpha": alpha} if alpha else {})
    strategy, device = distribution_strategy()
    fine_tune = bool(weights) and arch != "paper"
    with strategy.scope():
        model = build_model(arch, weights=weights, **kw)
        if fine_tune:
            _set_backbone_trainable(model, 0.0)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train_ds = make_tf_dataset(x[tr], y[tr], batch_size=batch_size, training=True, seed=seed,
                               augment=augment)
    val_ds = make_tf_dataset(x[va], y[va], batch_size=batch_size, training=False)
    ckpt = out_dir / "checkpoint.keras"
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                      restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(ckpt, monitor="val_loss", save_best_only=True),
        # at lr 1e-3 with BatchNorm the validation loss swings from epoch to epoch; halving the
        # rate on a plateau settles it instead of stopping early on a swing
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3,
                                          min_lr=learning_rate / 16),
    ]
    if max_train_seconds:
        callbacks.append(_TimeBudget(max_train_seconds))
    t1 = time.time()
    schedule = None
    if fine_tune:
        first = min(head_epochs, epochs)
        hist = model.fit(train_ds, validation_data=val_ds, epochs=first, verbose=verbose,
                         class_weight=class_weights(y[tr]), shuffle=False)
        with strategy.scope():
            n_open = _set_backbone_trainable(model, FINE_TUNE_FRACTION)
            model.compile(optimizer=keras.optimizers.Adam(learning_rate * FINE_TUNE_LR_FACTOR),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        hist2 = model.fit(train_ds, validation_data=val_ds, initial_epoch=first, epochs=epochs,
                          verbose=verbose, callbacks=callbacks, class_weight=class_weights(y[tr]),
                          shuffle=False)
        for k, v in hist2.history.items():
            hist.history.setdefault(k, []).extend(v)
        schedule = (f"{first} epoch(s) with the backbone frozen at lr {learning_rate:g}, then the "
                    f"top {FINE_TUNE_FRACTION:.0%} of the backbone ({n_open} layers; BatchNorm "
                    f"frozen) at lr {learning_rate * FINE_TUNE_LR_FACTOR:g}")
    else:
        hist = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=verbose,
                         callbacks=callbacks, class_weight=class_weights(y[tr]), shuffle=False)
    train_s = time.time() - t1
    if ckpt.exists():
        ckpt.unlink()

    p_val = predict_proba(model, x[va])
    temperature = fit_temperature(p_val, y[va])
    p_test = apply_temperature(predict_proba(model, x[te]), temperature)
    metrics = binary_metrics(y[te], p_test, DEFAULT_THRESHOLD, n_boot=n_boot, seed=seed)
    path = out_dir / MODEL_FILE
    model.save(path)
    ood = fit_ood(model, x[tr], out_dir) if arch == "paper" else None
    provenance = data_provenance(data_dir, ds)  # reads the manifest once
    synthetic = provenance["source"] == "synthetic phantoms"
    card = {
        "name": "ra-xray-cnn" if arch == "paper" else f"ra-xray-{arch}",
        "version": "2.2.0",
        "kind": "xray",
        "task": ("RA vs not-RA (Normal = healthy, osteoarthritis, erosive OA, psoriatic arthritis "
                 "or gout) from a PA hand radiograph"),
        "architecture": {"arch": arch, "base_filters": base_filters if arch == "paper" else None,
                         "gradcam_layer": gradcam_layer_for(arch), "output": "softmax over classes"},
        "parameters": int(model.count_params()),
        "input": {"shape": [224, 224, 1], "dtype": "float32", "value_range": [0, 1],
                  "preprocessing": PREPROCESSING,
                  "modality": "hand radiograph (PA)"},
        "classes": list(CLASS_NAMES),
        "calibration": {"method": "temperature scaling", "temperature": temperature,
                        "fitted_on": "validation split"},
        "threshold": DEFAULT_THRESHOLD,
        "uncertain_band": UNCERTAIN_BAND,
        "training_data": provenance,
        "split": {"method": "stratified 70/15/15", "seed": seed, "train": len(tr),
                  "val": len(va), "test": len(te)},
        "training": {"optimizer": "Adam", "learning_rate": learning_rate, "batch_size": batch_size,
                     "max_epochs": epochs, "epochs_run": len(hist.history["loss"]),
                     "early_stopping": f"val_loss, patience {patience}, best weights restored; "
                                       "learning rate halved after 3 epochs without improvement",
                     "augmentation": ("rotation, horizontal flip, zoom, shear; film nuisances: collimation "
                                          "borders (p = 0.85) and lead L/R markers (p = 0.5)") if augment else "none",
                     "train_seconds": round(train_s, 1), "seed": seed, "device": device,
                     "weights": Path(weights).name if weights else None,
                     "fine_tune_schedule": schedule,
                     "history": {k: [round(float(v), 4) for v in vs] for k, vs in hist.history.items()}},
        "metrics": {"data": "held-out test split of the training data set"
                            + (" (synthetic phantoms)" if synthetic else ""),
                    **metrics},
        "intended_use": model_card.INTENDED_USE,
        "limitations": [
            "Trained and evaluated on procedural phantoms only; real radiographs differ in "
            "anatomy, texture, positioning and artefacts. No external validation.",
            "Two classes only: 'Normal' covers healthy hands, osteoarthritis, erosive OA, "
            "psoriatic arthritis and gout as the phantom generator draws them (2.x); other "
            "arthropathies (CPPD, SLE, haemochromatosis) were never seen.",
            "A probability is not a diagnosis; near the threshold the app says 'uncertain'.",
            "A heatmap peak on 'a true RA sign' is mostly a peak on soft-tissue swelling, the "
            "largest sign; the card's per-sign figures say how often it falls on an erosion.",
        ],
        "software": model_card.software_versions(),
        "ood": ood,
        "file": MODEL_FILE,
        "sha256": model_card.sha256_file(path),
    }
    model_card.save_card(out_dir, card)
    (out_dir / "split.json").write_text(json.dumps(
        {"seed": seed, "test": [ds.relpaths()[i] for i in te]}, indent=0))
    _log(f"trained {card['training']['epochs_run']} epochs in {train_s:.0f}s; T={temperature:.3f}; "
         f"test AUC {metrics['roc_auc']:.3f}, ECE {metrics['ece']:.3f}")
    return card


def fit_ood(model, x_train: np.ndarray, out_dir: Path, layer: str = "gap") -> dict:
    """Fit and save the out-of-distribution checker on the training images' features."""
    from ..ood import OODChecker

    checker = OODChecker.fit(model, x_train, layer=layer)
    path = checker.save(out_dir)
    return {"method": "Mahalanobis distance of pooled CNN features (Ledoit-Wolf)", "layer": layer,
            "threshold": checker.threshold, "threshold_quantile": 0.99,
            "file": path.name, "sha256": model_card.sha256_file(path)}


class _TimeBudget:
    """Stop training when a wall-clock budget is spent (keeps CPU training bounded)."""

    def __new__(cls, seconds: float):
        import keras

        class TimeBudget(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.t0 = time.time()

            def on_epoch_end(self, epoch, logs=None):
                if time.time() - self.t0 > seconds:
                    _log(f"time budget of {seconds:.0f}s reached; stopping")
                    self.model.stop_training = True

        return TimeBudget()
