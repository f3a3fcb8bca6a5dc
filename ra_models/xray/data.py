"""Folder-per-class X-ray data (``DIR/RA/``, ``DIR/Normal/``), splits and tf.data pipelines."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidDataError, InvalidImageError
from ..imaging import ALLOWED_EXTENSIONS, read_image
from ..preprocess import XRAY_INPUT_SIZE, prepare_xray
from .model import CLASS_NAMES


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


def load_arrays(files, *, progress=None, size: int = XRAY_INPUT_SIZE) -> np.ndarray:
    """Decode and prepare images -> (N, size, size, 1) float32. Bad files are all reported."""
    out, problems = [], []
    for i, f in enumerate(files):
        try:
            out.append(prepare_xray(read_image(f).pixels, size))
        except InvalidImageError as e:
            problems.append(str(e))
        if progress:
            progress(i + 1, len(files))
    if problems:
        raise InvalidDataError(f"{len(problems)} image(s) could not be used:", problems)
    return np.stack(out) if out else np.zeros((0, size, size, 1), np.float32)


def _marker_glyphs(size: int = 224) -> np.ndarray:
    """(4, h, h) float32 lead-marker glyphs "L", "R" at two sizes, drawn as the phantom does."""
    from PIL import Image, ImageDraw, ImageFont

    h = max(int(size * 0.07), 8)
    out = []
    for scale in (0.75, 1.0):
        for side in ("L", "R"):
            patch = Image.new("L", (h, h), 0)
            try:
                font = ImageFont.load_default(size=max(6, int(h * 0.85 * scale)))
            except TypeError:  # very old Pillow without a sized default font
                font = ImageFont.load_default()
            ImageDraw.Draw(patch).text((h * 0.2, 0), side, fill=255, font=font)
            out.append(np.asarray(patch, np.float32) / 255.0)
    return np.stack(out)


def film_nuisances(x, seed, *, p_collimation: float = 0.85, p_marker: float = 0.5):
    """Random collimation borders and lead L/R markers on a (B, H, W, 1) batch (TensorFlow).

    Both occur on every real film whatever the diagnosis, so the model must not read them as
    evidence: each is added independently of the label, after the geometric augmentation
    (a collimator's edges stay parallel to the detector's). ``seed`` is a stateless RNG seed
    (two int32s), so an epoch's nuisances are the same in every run.
    """
    import tensorflow as tf

    shape = tf.shape(x)
    b, h, w = shape[0], shape[1], shape[2]
    s = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 8)
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    rows = tf.cast(tf.range(h), tf.float32)[None, :, None, None]
    cols = tf.cast(tf.range(w), tf.float32)[None, None, :, None]

    # -- collimation: each side shuttered by 0–12% with probability 0.8, filled with the
    # unexposed film's grey (0.65–0.92) plus noise.
    on = tf.random.stateless_uniform([b, 1, 1, 1], s[0]) < p_collimation
    margins = tf.random.stateless_uniform([b, 4], s[1], 0.0, 0.12)
    margins *= tf.cast(tf.random.stateless_uniform([b, 4], s[2]) < 0.8, tf.float32)
    m = margins[:, :, None, None, None]
    inside = ((rows >= m[:, 1] * hf) & (rows < hf - m[:, 3] * hf)
              & (cols >= m[:, 0] * wf) & (cols < wf - m[:, 2] * wf))
    fill = tf.random.stateless_uniform([b, 1, 1, 1], s[3], 0.65, 0.92)
    fill += 0.02 * tf.random.stateless_normal(shape, s[4])
    x = tf.where(on & ~inside, fill, x)

    # -- lead marker: "L" or "R" near a random corner, 2–18% in from the edges.
    glyphs = tf.constant(_marker_glyphs())
    g = glyphs.shape[1]
    u = tf.random.stateless_uniform([b, 5], s[5])
    which = tf.cast(u[:, 0] * glyphs.shape[0], tf.int32)
    pad_y = (0.02 + 0.16 * u[:, 1]) * hf
    pad_x = (0.02 + 0.16 * u[:, 2]) * wf
    y0 = tf.where(u[:, 3] < 0.5, pad_y, hf - pad_y - g)
    x0 = tf.where(u[:, 4] < 0.5, pad_x, wf - pad_x - g)
    r = tf.cast(rows - tf.floor(y0)[:, None, None, None], tf.int32)
    c = tf.cast(cols - tf.floor(x0)[:, None, None, None], tf.int32)
    valid = (r >= 0) & (r < g) & (c >= 0) & (c < g)
    idx = which[:, None, None, None] * g * g + tf.clip_by_value(r, 0, g - 1) * g + tf.clip_by_value(c, 0, g - 1)
    mark = tf.gather(tf.reshape(glyphs, [-1]), idx) * tf.cast(valid, tf.float32)
    put = tf.random.stateless_uniform([b, 1, 1, 1], s[6]) < p_marker
    x = tf.where(put, tf.maximum(x, 0.97 * mark), x)
    return tf.clip_by_value(x, 0.0, 1.0)


def make_tf_dataset(x: np.ndarray, y: np.ndarray, *, batch_size: int = 32, training: bool,
                    seed: int = 0, augment: bool = True):
    """tf.data pipeline. Training data only: geometric augmentation (rotation, flip, zoom,
    shear), then film nuisances (collimation, lead markers; :func:`film_nuisances`)."""
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
        ds = ds.enumerate().map(
            lambda i, ab: (film_nuisances(tf.clip_by_value(aug(ab[0], training=True), 0.0, 1.0),
                                          tf.stack([tf.cast(seed, tf.int64), i])), ab[1]),
            num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
