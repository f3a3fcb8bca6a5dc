"""Does the heatmap point at disease? Measured against the phantoms' true lesion masks.

* ``pointing_game``: the heatmap's peak lies inside the lesion mask dilated by a few pixels.
* ``energy_in_mask``: share of total heat inside the (dilated) mask.
* deletion / insertion AUC (Petsiuk et al., RISE 2018): remove (or reveal) pixels in order of
  heat and follow P(RA); a faithful map makes deletion fall fast (low AUC) and insertion rise
  fast (high AUC).
* model-randomisation sanity check (Adebayo et al., 2018): the CAM of a model whose weights
  were re-initialised should differ from the trained model's (low Spearman correlation).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.stats import spearmanr

from ra_models.preprocess import border_median


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    m = np.asarray(mask) > 0
    return ndimage.binary_dilation(m, iterations=pixels) if pixels > 0 else m


def pointing_hit(cam: np.ndarray, mask: np.ndarray, tolerance_px: int = 3) -> bool | None:
    """True if the CAM's maximum falls inside the dilated mask; None if the mask is empty."""
    m = np.asarray(mask) > 0
    if not m.any():
        return None
    peak = np.unravel_index(int(np.argmax(cam)), cam.shape)
    return bool(dilate(m, tolerance_px)[peak])


def energy_in_mask(cam: np.ndarray, mask: np.ndarray, tolerance_px: int = 3) -> float | None:
    m = np.asarray(mask) > 0
    total = float(np.sum(cam))
    if not m.any() or total <= 0:
        return None
    return float(np.sum(cam[dilate(m, tolerance_px)]) / total)


def _auc(y: np.ndarray) -> float:
    x = np.linspace(0, 1, len(y))
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def deletion_insertion(predict_fn, x: np.ndarray, cam: np.ndarray, steps: int = 20,
                       blur_sigma: float = 8.0) -> tuple[float, float]:
    """(deletion AUC, insertion AUC) of P(RA) for one prepared image ``x`` (224, 224, 1).

    As in RISE (Petsiuk et al., 2018): deletion sets the hottest pixels to the film's
    background level (its median border value, i.e. "no tissue"); insertion starts from a
    heavily blurred copy and restores the sharp pixels, hottest first.
    """
    img = np.asarray(x, np.float32)[..., 0]
    blurred = ndimage.gaussian_filter(img, blur_sigma)
    background = np.full_like(img, border_median(img))
    order = np.argsort(-cam.ravel(), kind="stable")
    n = img.size
    counts = np.linspace(0, n, steps + 1).astype(int)
    dels, ins = [], []
    for c in counts:
        sel = np.zeros(n, bool)
        sel[order[:c]] = True
        sel = sel.reshape(img.shape)
        dels.append(np.where(sel, background, img))
        ins.append(np.where(sel, img, blurred))
    batch = np.stack(dels + ins)[..., None].astype(np.float32)
    p = np.asarray(predict_fn(batch), float)
    return _auc(p[: steps + 1]), _auc(p[steps + 1:])


def randomised_copy(model, seed: int = 0):
    """A clone of ``model`` with every trainable weight re-drawn (sanity-check baseline)."""
    import keras

    clone = keras.models.clone_model(model)
    rng = np.random.default_rng(seed)
    new = []
    for w in model.get_weights():
        scale = float(np.std(w)) or 0.05
        new.append(rng.normal(0, scale, w.shape).astype(w.dtype) if w.ndim > 1 else w)
    clone.set_weights(new)
    return clone


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    r = spearmanr(np.ravel(a), np.ravel(b)).statistic
    return float(0.0 if np.isnan(r) else r)


def summarise(values: list) -> dict:
    v = np.array([x for x in values if x is not None], float)
    if len(v) == 0:
        return {"mean": None, "n": 0}
    return {"mean": float(v.mean()), "median": float(np.median(v)), "n": int(len(v))}
