"""Joint-level damage scorer: every Sharp/van der Heijde grade on a hand film.

Design (measured in the card): a small CNN sees the whole film at 256²; for each SvH area a
*landmark head* (a 1×1 convolution over a 32 × 32 feature grid, with 8 × 8 context) gives an
attention map over the film, trained to peak on that area's landmark (cross-entropy against a
Gaussian at the generator's landmark). The features under each area's attention are pooled
and a per-area head regresses the grade (erosion 0–5 for 16 areas, narrowing 0–4 for 15).
So each grade comes from where the model looked, and the app can show that place.

Built only from stock Keras layers (EinsumDense for per-area heads), so ``safe_mode`` loads it.
Training data: phantoms from generator ≥ 2.0, whose manifests carry the SvH grades and the
landmarks (``lm_<area>``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import model_card
from ..errors import InvalidDataError
from ..preprocess import PREPROCESSING
from ..synthetic.dataset import read_manifest
from ..synthetic.svh import (
    AREA_NAMES,
    EROSION_AREAS,
    EROSION_MAX,
    JSN_AREAS,
    JSN_MAX,
    svh_agreement,
    svh_totals,
)

SCORER_INPUT = 256
GRID = 32
MODEL_FILE = "model.keras"


def build_scorer(size: int = SCORER_INPUT, base: int = 16):
    import keras
    from keras import layers

    def block(x, f, name, dilation=1):
        x = layers.Conv2D(f, 3, padding="same", activation="relu", dilation_rate=dilation,
                          name=name)(x)
        return layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)

    inp = keras.Input((size, size, 1), name="image")
    x = layers.Rescaling(4.0, offset=-0.8, name="standardise")(inp)
    x = block(x, base, "c1")
    x = layers.MaxPooling2D(name="p1")(x)  # 128
    x = block(x, base * 2, "c2")
    x = layers.MaxPooling2D(name="p2")(x)  # 64
    x = block(x, base * 3, "c3")
    x = layers.MaxPooling2D(name="p3")(x)  # 32
    fine = block(block(x, base * 4, "c4"), base * 4, "c5", dilation=2)
    c = layers.MaxPooling2D(name="p4")(fine)  # 16
    c = block(c, base * 4, "c6")
    c = layers.MaxPooling2D(name="p5")(c)  # 8: the whole hand in view (which finger is which)
    c = block(block(c, base * 4, "c7"), base * 4, "c8")
    c = layers.UpSampling2D(4, interpolation="bilinear", name="up")(c)
    feats = layers.Concatenate(name="features")([fine, c])
    n_feat = base * 8
    flat = layers.Reshape((GRID * GRID, n_feat), name="flat")(feats)
    outs = {}
    for kind, areas in (("erosion", EROSION_AREAS), ("narrowing", JSN_AREAS)):
        n = len(areas)
        logits = layers.Conv2D(n, 1, name=f"{kind}_where_logits")(feats)
        att = layers.Softmax(axis=1, name=f"{kind}_where")(
            layers.Reshape((GRID * GRID, n), name=f"{kind}_where_flat")(logits))
        pooled = layers.Dot(axes=(1, 1), name=f"{kind}_pooled")([att, flat])  # (n, feat)
        h = layers.EinsumDense("bac,acd->bad", output_shape=(n, 32), bias_axes="ad",
                               activation="relu", name=f"{kind}_hidden")(pooled)
        g = layers.EinsumDense("bad,ad->ba", output_shape=(n,), bias_axes="a",
                               name=f"{kind}_grade")(h)
        outs[f"{kind}_grade"] = g
        outs[f"{kind}_where"] = att
    return keras.Model(inp, outs, name="svh_scorer")


def _areas(kind: str):
    return EROSION_AREAS if kind == "erosion" else JSN_AREAS


def grade_arrays(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(films × 16 erosion grades, films × 15 narrowing grades) from manifest rows."""
    try:
        e = np.array([[float(r[f"ero_{a}"]) for a in EROSION_AREAS] for r in rows], np.float32)
        j = np.array([[float(r[f"jsn_{a}"]) for a in JSN_AREAS] for r in rows], np.float32)
    except (KeyError, ValueError) as err:
        raise InvalidDataError(
            f"The manifest has no SvH grade column {err}; the scorer needs phantoms from "
            "generator 2.x or a manifest with ero_<area> and jsn_<area> columns.") from err
    return e, j


def landmark_targets(rows: list[dict], kind: str, sigma: float = 0.9) -> np.ndarray:
    """(films, GRID², areas) Gaussian target distributions at each area's landmark."""
    areas = _areas(kind)
    gy, gx = np.mgrid[0:GRID, 0:GRID]
    out = np.zeros((len(rows), GRID * GRID, len(areas)), np.float32)
    for k, a in enumerate(areas):
        for i, (x, y) in enumerate(_landmarks(rows, a)):
            d2 = (gx + 0.5 - x * GRID) ** 2 + (gy + 0.5 - y * GRID) ** 2
            t = np.exp(-d2 / (2 * sigma ** 2)).ravel()
            out[i, :, k] = t / max(t.sum(), 1e-6)
    return out


def _landmarks(rows: list[dict], area: str) -> np.ndarray:
    """(films, 2) landmark of ``area`` as fractions of the image (manifest ``lm_<area>`` = "x;y")."""
    return np.array([[float(v) for v in r[f"lm_{area}"].split(";")] for r in rows])


def _load(data_dir: Path):
    from .data import load_arrays

    rows = read_manifest(data_dir)
    if not rows:
        raise InvalidDataError(f"No manifest.csv in '{model_card.shown_path(data_dir)}': the scorer "
                               "trains on phantoms (python -m ra_models phantoms) or a folder "
                               "with a manifest of SvH grades.")
    x = load_arrays([data_dir / r["file"] for r in rows], size=SCORER_INPUT)
    return rows, x


def train_scorer(data_dir, out_dir, *, seed: int = 0, epochs: int = 40, batch_size: int = 16,
                 learning_rate: float = 1e-3, max_minutes: float | None = None,
                 where_weight: float = 0.5, base: int = 16, verbose: int = 2) -> dict:
    """Train on a phantom folder (70/15/15 split by seed); early stopping on validation loss."""
    import keras
    import tensorflow as tf

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    keras.utils.set_random_seed(seed)
    rows, x = _load(data_dir)
    e, j = grade_arrays(rows)
    te_e, te_j = landmark_targets(rows, "erosion"), landmark_targets(rows, "narrowing")
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(rows))
    n_va = max(1, int(0.15 * len(rows)))
    va, te, tr = idx[:n_va], idx[n_va: 2 * n_va], idx[2 * n_va:]

    def ds(ix, training):
        d = tf.data.Dataset.from_tensor_slices((x[ix], {
            "erosion_grade": e[ix], "narrowing_grade": j[ix],
            "erosion_where": te_e[ix], "narrowing_where": te_j[ix]}))
        if training:
            d = d.shuffle(len(ix), seed=seed)
        return d.batch(batch_size).prefetch(2)

    model = build_scorer(base=base)
    cce = keras.losses.CategoricalCrossentropy(axis=1)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss={"erosion_grade": "mse", "narrowing_grade": "mse",
                        "erosion_where": cce, "narrowing_where": cce},
                  loss_weights={"erosion_grade": 1.0, "narrowing_grade": 1.0,
                                "erosion_where": where_weight, "narrowing_where": where_weight})
    callbacks = [keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True),
                 keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)]
    if max_minutes:
        from .train import _TimeBudget  # the X-ray CNN's wall-clock budget callback

        callbacks.append(_TimeBudget(max_minutes * 60))
    t0 = time.time()
    hist = model.fit(ds(tr, True), validation_data=ds(va, False), epochs=epochs,
                     callbacks=callbacks, verbose=verbose, shuffle=False)  # shuffled above
    train_s = time.time() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MODEL_FILE
    model.save(path)
    pred = ScorePredictor(model, {})
    pe, pj, _ = pred.grades(x[te])
    metrics = svh_agreement(e[te], pe, j[te], pj, EROSION_AREAS, JSN_AREAS)
    versions = sorted({r["generator_version"] for r in rows})
    card = {
        "name": "svh-scorer", "version": "1.2.0", "kind": "svh",
        "task": "Sharp/van der Heijde erosion (16 areas, 0–5) and joint-space narrowing "
                "(15 areas, 0–4) grades of one PA hand radiograph",
        "architecture": {"design": "CNN with per-area landmark attention (32×32 grid, 8×8 "
                                   "context) and per-area grade regression",
                         "base_filters": base, "grid": GRID},
        "parameters": int(model.count_params()),
        "input": {"shape": [SCORER_INPUT, SCORER_INPUT, 1], "dtype": "float32",
                  "value_range": [0, 1],
                  "preprocessing": PREPROCESSING},
        "areas": {"erosion": list(EROSION_AREAS), "narrowing": list(JSN_AREAS)},
        "training_data": {"source": "synthetic phantoms", "generator_version": ",".join(versions),
                          "dataset_seed": sorted({int(r["dataset_seed"]) for r in rows}),
                          "n_images": len(rows)},
        "split": {"method": "random 70/15/15", "seed": seed, "train": len(tr), "val": len(va),
                  "test": len(te)},
        "training": {"optimizer": "Adam", "learning_rate": learning_rate,
                     "batch_size": batch_size, "max_epochs": epochs,
                     "epochs_run": len(hist.history["loss"]), "train_seconds": round(train_s, 1),
                     "loss": f"MSE on grades + {where_weight} × landmark cross-entropy",
                     "seed": seed},
        "metrics": {"data": "held-out test split of the training phantoms (synthetic)",
                    **_summary(metrics)},
        "metrics_detail": metrics,
        "intended_use": ("Teaching and research on synthetic films: shows what a joint-level "
                         "score looks like and where the model looked. Not for scoring "
                         "patients' radiographs; never validated on real films."),
        "limitations": [
            "Trained on procedural phantoms only; real films differ in anatomy and texture.",
            "Grades are regressed and rounded; grade-1 erosions (a lost cortical line) are a "
            "few pixels at 256² and are often missed.",
            "One hand per film, PA view; no feet (SvH also scores feet).",
        ],
        "software": model_card.software_versions(),
        "file": MODEL_FILE, "sha256": model_card.sha256_file(path),
    }
    model_card.save_card(out_dir, card)
    (out_dir / "split.json").write_text(json.dumps(
        {"seed": seed, "test": [rows[i]["file"] for i in te]}, indent=0))
    print(f"trained {card['training']['epochs_run']} epochs in {train_s:.0f}s; test total RMSE "
          f"{metrics['total_rmse']:.2f}, erosion κ {metrics['erosion_mean_kappa']:.2f}, "
          f"narrowing κ {metrics['narrowing_mean_kappa']:.2f}", flush=True)
    return card


def _summary(m: dict) -> dict:
    keys = ("n_films", "total_rmse", "erosion_total_rmse", "jsn_total_rmse", "erosion_mean_rmse",
            "narrowing_mean_rmse", "erosion_mean_kappa", "narrowing_mean_kappa")
    return {k: m[k] for k in keys}


@dataclass
class SvhResult:
    """Predicted SvH grades of one film, with where the model looked for each area."""

    erosion: dict  # area -> grade (rounded, clipped)
    narrowing: dict
    erosion_raw: dict  # area -> continuous prediction
    narrowing_raw: dict
    where: dict  # area -> (x, y) fractions of the model input (erosion and narrowing areas)
    model: dict

    @property
    def totals(self) -> dict:
        return svh_totals(self.erosion, self.narrowing)

    def table(self) -> list[dict]:
        """One row per area (SvH order): name, erosion grade, narrowing grade ('—' not scored)."""
        rows = []
        for a in dict.fromkeys([*EROSION_AREAS, *JSN_AREAS]):
            rows.append({"area": AREA_NAMES[a], "code": a,
                         "erosion": self.erosion.get(a, "—"),
                         "narrowing": self.narrowing.get(a, "—")})
        return rows

    def to_dict(self) -> dict:
        return {"erosion": self.erosion, "narrowing": self.narrowing, "totals": self.totals,
                "model": self.model,
                "note": "synthetic-phantom scorer; teaching only, not validated on real films"}


class ScorePredictor:
    def __init__(self, model, card: dict, model_dir: Path | None = None):
        self.model = model
        self.card = card
        self.model_dir = model_dir
        self.info = {"name": card.get("name", "svh-scorer"), "version": card.get("version", "0"),
                     "sha256": card.get("sha256", "")}

    @classmethod
    def load(cls, model_dir, *, verify: bool = True) -> ScorePredictor:
        from ..predictor import _load_keras, _verified_card

        model_dir = Path(model_dir)
        card, path = _verified_card(model_dir, verify)
        return cls(_load_keras(path), card, model_dir)

    @classmethod
    def load_optional(cls, model_dir) -> ScorePredictor | None:
        """The scorer in ``model_dir``, or None when no scorer is installed there (it is an
        optional second model; a folder that exists but fails its checks still raises)."""
        from ..model_card import CARD_NAME

        if not (Path(model_dir) / CARD_NAME).is_file():
            return None
        return cls.load(model_dir)

    def grades(self, x: np.ndarray, batch: int = 32):
        """(erosion films×16, narrowing films×15, where dict of (films, areas, 2)) raw values."""
        outs = {"erosion_grade": [], "narrowing_grade": [], "erosion_where": [],
                "narrowing_where": []}
        for i in range(0, len(x), batch):
            o = self.model(x[i: i + batch], training=False)
            for k in outs:
                outs[k].append(np.asarray(o[k]))
        o = {k: np.concatenate(v) for k, v in outs.items()}
        where = {}
        for kind in ("erosion", "narrowing"):
            att = o[f"{kind}_where"]  # (films, GRID², areas)
            peak = att.argmax(axis=1)
            where[kind] = np.stack([(peak % GRID + 0.5) / GRID, (peak // GRID + 0.5) / GRID], -1)
        return o["erosion_grade"], o["narrowing_grade"], where

    def score_input(self, x: np.ndarray) -> SvhResult:
        """Score one prepared film ``x`` (SCORER_INPUT², 1) in [0, 1]."""
        pe, pj, where = self.grades(x[None])
        ero = {a: int(np.clip(round(float(v)), 0, EROSION_MAX)) for a, v in zip(EROSION_AREAS, pe[0])}
        jsn = {a: int(np.clip(round(float(v)), 0, JSN_MAX)) for a, v in zip(JSN_AREAS, pj[0])}
        w = {a: tuple(float(t) for t in where["erosion"][0][k]) for k, a in enumerate(EROSION_AREAS)}
        for k, a in enumerate(JSN_AREAS):
            w.setdefault(a, tuple(float(t) for t in where["narrowing"][0][k]))
        return SvhResult(ero, jsn, {a: float(v) for a, v in zip(EROSION_AREAS, pe[0])},
                         {a: float(v) for a, v in zip(JSN_AREAS, pj[0])}, w, self.info)

    def score(self, pixels: np.ndarray) -> SvhResult:
        from ..preprocess import prepare_xray

        return self.score_input(prepare_xray(pixels, SCORER_INPUT))


def evaluate_scorer(model_dir, data_dir, *, report=None, update_card: bool = False) -> dict:
    """RA2-DREAM-style evaluation on a phantom folder with SvH grades (fresh seeds)."""
    data_dir = Path(data_dir)
    pred = ScorePredictor.load(model_dir)
    rows, x = _load(data_dir)
    e, j = grade_arrays(rows)
    pe, pj, where = pred.grades(x)
    m = svh_agreement(e, pe, j, pj, EROSION_AREAS, JSN_AREAS)
    # how far the attention peak lands from the true landmark, in input pixels
    errs = []
    for kind in ("erosion", "narrowing"):
        for k, a in enumerate(_areas(kind)):
            errs.append(np.hypot(*(where[kind][:, k] - _landmarks(rows, a)).T) * SCORER_INPUT)
    m["landmark_error_px_median"] = float(np.median(np.concatenate(errs)))
    versions = sorted({r["generator_version"] for r in rows})
    seeds = sorted({r["dataset_seed"] for r in rows})
    m["data"] = (f"synthetic phantoms (generator {', '.join(versions)}, seed {', '.join(seeds)}; "
                 f"{len(rows)} films)")
    if report:
        report = Path(report)
        report.mkdir(parents=True, exist_ok=True)
        (report / "svh_metrics.json").write_text(json.dumps(m, indent=2) + "\n")
        (report / "svh_table.md").write_text(svh_markdown(m))
    if update_card:
        card = dict(pred.card)
        card["evaluation"] = {"data": m["data"], **_summary(m),
                              "landmark_error_px_median": m["landmark_error_px_median"]}
        card["evaluation_detail"] = m
        model_card.save_card(model_dir, card)
    return m


def svh_area_rows(m: dict) -> list[dict]:
    """Per SvH area of an evaluation: erosion and narrowing RMSE and weighted κ, formatted,
    '—' where the area is not scored for that sign (the report's table and the card page's)."""
    ero, jsn = m["areas"]["erosion"], m["areas"]["narrowing"]

    def cell(d, key):
        return f"{d[key]:.2f}" if d else "—"

    return [{"Area": AREA_NAMES.get(a, a),
             "Erosion RMSE": cell(ero.get(a), "rmse"), "Erosion κ": cell(ero.get(a), "kappa"),
             "Narrowing RMSE": cell(jsn.get(a), "rmse"), "Narrowing κ": cell(jsn.get(a), "kappa")}
            for a in dict.fromkeys([*EROSION_AREAS, *JSN_AREAS, *ero, *jsn])
            if a in ero or a in jsn]


def svh_markdown(m: dict) -> str:
    lines = [f"Data: {m.get('data', '')}", "",
             f"Total-score RMSE {m['total_rmse']:.2f} (erosion {m['erosion_total_rmse']:.2f}, "
             f"narrowing {m['jsn_total_rmse']:.2f}); per-area mean RMSE erosion "
             f"{m['erosion_mean_rmse']:.2f}, narrowing {m['narrowing_mean_rmse']:.2f}; mean "
             f"weighted κ erosion {m['erosion_mean_kappa']:.2f}, narrowing "
             f"{m['narrowing_mean_kappa']:.2f}.", "",
             "| area | erosion RMSE | erosion κ | narrowing RMSE | narrowing κ |",
             "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row.values()) + " |" for row in svh_area_rows(m)]
    return "\n".join(lines) + "\n"
