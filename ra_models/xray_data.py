"""Folder-per-class X-ray data (``DIR/RA/``, ``DIR/Normal/``), splits and tf.data pipelines."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InvalidDataError, InvalidImageError
from .imaging import ALLOWED_EXTENSIONS, read_image
from .preprocess import prepare_xray
from .xray_model import CLASS_NAMES


@dataclass
class XrayDataset:
    files: list[Path]  # absolute paths
    labels: np.ndarray  # int 0 = Normal, 1 = RA
    root: Path

    def relpaths(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in self.files]

    def fingerprint(self) -> str:
        """sha256 over relative paths and labels (what a card records for user data)."""
        h = hashlib.sha256()
        for rel, y in zip(self.relpaths(), self.labels):
            h.update(f"{rel}\t{int(y)}\n".encode())
        return h.hexdigest()


def find_images(data_dir: str | Path) -> XrayDataset:
    """List images under ``DIR/<class>/`` (class folder names match case-insensitively)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise InvalidDataError(f"Data folder '{root}' does not exist.")
    by_name = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    files, labels, missing = [], [], []
    for y, cls in enumerate(CLASS_NAMES):
        d = by_name.get(cls.lower())
        if d is None:
            missing.append(cls)
            continue
        found = sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in ALLOWED_EXTENSIONS)
        files += found
        labels += [y] * len(found)
    if missing:
        raise InvalidDataError(
            f"Data folder '{root}' needs one sub-folder per class: {', '.join(CLASS_NAMES)}; "
            f"missing: {', '.join(missing)}."
        )
    if len(set(labels)) < 2:
        raise InvalidDataError(f"Data folder '{root}' has images of only one class.")
    return XrayDataset(files, np.array(labels, np.int64), root)


def load_arrays(files, *, progress=None) -> np.ndarray:
    """Decode and prepare images -> (N, 224, 224, 1) float32. Bad files are all reported."""
    out, problems = [], []
    for i, f in enumerate(files):
        try:
            out.append(prepare_xray(read_image(f).pixels))
        except InvalidImageError as e:
            problems.append(str(e))
        if progress:
            progress(i + 1, len(files))
    if problems:
        raise InvalidDataError(f"{len(problems)} image(s) could not be used:", problems)
    return np.stack(out) if out else np.zeros((0, 224, 224, 1), np.float32)


def make_tf_dataset(x: np.ndarray, y: np.ndarray, *, batch_size: int = 32, training: bool,
                    seed: int = 0, augment: bool = True):
    """tf.data pipeline; augmentation (rotation, flip, zoom, shear) on training data only."""
    import keras
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if training:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if training and augment:
        aug = keras.Sequential([
            keras.layers.RandomRotation(0.03, fill_mode="nearest", seed=seed),
            keras.layers.RandomFlip("horizontal", seed=seed + 1),
            keras.layers.RandomZoom(0.08, fill_mode="nearest", seed=seed + 2),
            keras.layers.RandomShear(x_factor=0.05, y_factor=0.05, fill_mode="nearest", seed=seed + 3),
        ], name="augment")
        ds = ds.map(lambda a, b: (tf.clip_by_value(aug(a, training=True), 0.0, 1.0), b),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
