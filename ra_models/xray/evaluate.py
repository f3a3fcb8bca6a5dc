"""Evaluate an X-ray model folder on a data folder: ``python -m ra_models evaluate xray``.

Writes ``metrics.json`` (accuracy, precision, sensitivity, specificity, f1, roc_auc,
roc_auc_ci95, average_precision, ece, confusion_matrix, n, …), ROC/PR/confusion/reliability
PNGs, a threshold table, a per-subtype breakdown when a phantom manifest is present, a gallery
of the worst misclassified cases and, for phantoms, the faithfulness of the CAMs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

from .. import model_card
from ..metrics import binary_metrics, threshold_table
from ..plots import evaluation_plots
from ..synthetic.cases import SUBTYPE_NAMES
from ..synthetic.dataset import read_manifest
from .data import find_images, load_arrays

#: The order of the per-subtype table: RA first, then the negatives (names as the generator's).
SUBTYPE_ORDER = ("early_ra", "established_ra", "healthy", "oa", "erosive_oa", "psa", "gout")


def _data_note(manifest) -> str:
    return "synthetic phantoms" if manifest else "user data"


def evaluate_xray(model_dir, data_dir, report_dir, *, cv: int = 0, seed: int = 0,
                  faithfulness: bool = True, max_faithfulness: int = 60,
                  nuisance: int = 0, update_card: bool = False, progress=None) -> dict:
    """Evaluate on a labelled folder; write only under ``report_dir``.

    The model folder (and so the card the apps show) changes only with ``update_card=True``
    (``--update-card``, which ``make models`` passes): evaluating on your own test set must
    never silently rewrite a shipped card.
    """
    if cv:
        return cross_validate_xray(data_dir, report_dir, folds=cv, seed=seed)
    from ..predictor import XrayPredictor

    report = Path(report_dir)
    report.mkdir(parents=True, exist_ok=True)
    pred = XrayPredictor.load(model_dir)
    ds = find_images(data_dir)
    x = load_arrays(ds.files, size=pred.input_size,
                    progress=progress("reading films") if progress else None)
    y = ds.labels
    p_raw = np.concatenate([pred.raw_probabilities(x[i: i + 64]) for i in range(0, len(x), 64)])
    p = pred.calibrate(p_raw)
    manifest = read_manifest(data_dir)
    note = _data_note(manifest)
    m = binary_metrics(y, p, pred.threshold, seed=seed)
    if manifest:
        seeds = sorted({r["dataset_seed"] for r in manifest})
        versions = sorted({r["generator_version"] for r in manifest})
        m["data"] = (f"{note} (generator {', '.join(versions)}, seed {', '.join(seeds)}; "
                     f"{len(y)} images)")
    else:
        m["data"] = f"{note}: {Path(data_dir).name} ({len(y)} images)"
    m["ece_uncalibrated"] = binary_metrics(y, p_raw, pred.threshold, n_boot=0)["ece"]
    m["threshold_table"] = threshold_table(y, p)
    m["plots"] = evaluation_plots(y, p, pred.threshold, report, note)
    rels = ds.relpaths()
    if manifest:
        by_file = {r["file"]: r for r in manifest}
        sub = np.array([by_file.get(r, {}).get("subtype", "unknown") for r in rels])
        m["by_subtype"] = {}
        for s in SUBTYPE_ORDER:
            k = sub == s
            if k.any():
                correct = ((p[k] >= pred.threshold).astype(int) == y[k])
                m["by_subtype"][SUBTYPE_NAMES[s]] = {
                    "n": int(k.sum()), "accuracy": float(correct.mean()),
                    "mean_p_ra": float(p[k].mean())}
    m["worst_misclassified"] = _gallery(ds, x, y, p, pred.threshold, report)
    if faithfulness:
        from explain.cam import CamExplainer

        cams = CamExplainer(pred.model, pred.gradcam_layer)  # built once: it clones the model
        if manifest:
            m["faithfulness"] = measure_faithfulness(pred, ds, x, y, manifest, seed=seed,
                                                     limit=max_faithfulness, cams=cams)
        m["cam_reference"] = cam_reference(pred, x[y == 1], m["data"], cams=cams)
    if nuisance:
        m["nuisance_sensitivity"] = nuisance_sensitivity(pred, n_per_class=nuisance)
    (report / "metrics.json").write_text(json.dumps(m, indent=2, default=float))
    if update_card:
        card = model_card.load_card(model_dir)
        card["evaluation"] = {k: m[k] for k in ("data", "n", "roc_auc", "roc_auc_ci95", "accuracy",
                                                "sensitivity", "specificity", "ece", "brier",
                                                "by_subtype") if k in m}
        for key in ("faithfulness", "cam_reference", "nuisance_sensitivity"):
            if key in m:
                card[key] = m[key]
        model_card.save_card(model_dir, card)
    return m


#: Percentile of the per-film peak heat on RA films that a fixed-scale heatmap calls 1.
CAM_REFERENCE_PERCENTILE = 95


def cam_reference(pred, x_ra: np.ndarray, data_note: str, *, limit: int = 200,
                  cams=None) -> dict:
    """The fixed heatmap scale per method: the 95th percentile of the raw map's peak over RA
    films (:mod:`explain.cam`). Stored in the card; the UIs divide by it and clip at 1."""
    from explain.cam import METHODS, CamExplainer

    cams = cams or CamExplainer(pred.model, pred.gradcam_layer)
    films = x_ra[:limit]
    out = {}
    for method in METHODS:
        peaks = [float(cams.raw_input(f[None], method)[0].max()) for f in films]
        out[method] = {
            "value": float(np.percentile(peaks, CAM_REFERENCE_PERCENTILE)) if peaks else None,
            "statistic": f"{CAM_REFERENCE_PERCENTILE}th percentile of the raw map's peak over "
                         f"{len(peaks)} RA films ({data_note})",
            "n_films": len(peaks)}
    return out


#: Each nuisance as (name, how the varied film differs from the clean one).
NUISANCES = ("collimation", "marker", "exposure", "rotation", "zoom")
#: Goals for the shipped model (issue #10): max |ΔP(RA)| and label flips per nuisance.
NUISANCE_GOALS = {"collimation": 0.10, "marker": 0.10}


def _nuisance_variant(spec, name: str, rng: np.random.Generator):
    from ..synthetic.generator import for_spec

    with_changes = for_spec(spec).with_changes
    if name == "collimation":
        return with_changes(spec, collimation=tuple(float(v) for v in rng.uniform(0.02, 0.07, 4)))
    if name == "marker":
        return with_changes(spec, marker_corner=int(rng.integers(0, 4)))
    if name == "exposure":
        return with_changes(spec, exposure=float(rng.choice([0.85, 1.15])))
    if name == "rotation":
        return with_changes(spec, rotation_deg=float(rng.choice([-12.0, 12.0])))
    if name == "zoom":
        return with_changes(spec, zoom=float(rng.choice([0.9, 1.1])))
    raise ValueError(name)


def nuisance_sensitivity(pred, *, n_per_class: int = 60, seed: int = 900_000,
                         size: int = 256) -> dict:
    """|ΔP(RA)| when one film nuisance is added to an otherwise clean phantom (same seed, same
    anatomy, same noise), per nuisance and class; label flips counted at the threshold."""
    from ..preprocess import prepare_xray
    from ..synthetic.generator import get

    gen = get()
    render, sample_spec, with_changes = gen.render, gen.sample_spec, gen.with_changes

    rows: dict = {n: {"Normal": [], "RA": []} for n in NUISANCES}
    flips: dict = {n: {"Normal": 0, "RA": 0} for n in NUISANCES}
    for label in ("Normal", "RA"):
        for k in range(n_per_class):
            s = seed + k + (0 if label == "Normal" else 50_000)
            rng = np.random.default_rng(s)
            clean = with_changes(sample_spec(s, label), collimation=None, marker_corner=None,
                                 exposure=1.0, rotation_deg=0.0, zoom=1.0)
            specs = [clean] + [_nuisance_variant(clean, n, rng) for n in NUISANCES]
            xs = np.stack([prepare_xray(render(sp, size)[0], pred.input_size) for sp in specs])
            p = pred.calibrate(pred.raw_probabilities(xs))
            for j, name in enumerate(NUISANCES, start=1):
                rows[name][label].append(abs(float(p[j] - p[0])))
                flips[name][label] += int((p[j] >= pred.threshold) != (p[0] >= pred.threshold))
    table = {}
    for name in NUISANCES:
        table[name] = {}
        for label in ("Normal", "RA"):
            d = np.array(rows[name][label])
            table[name][label] = {"median_abs_delta": float(np.median(d)),
                                  "max_abs_delta": float(d.max()), "flips": flips[name][label],
                                  "n": int(len(d))}
        goal = NUISANCE_GOALS.get(name)
        if goal is not None:
            worst = max(table[name][c]["max_abs_delta"] for c in ("Normal", "RA"))
            n_flips = sum(table[name][c]["flips"] for c in ("Normal", "RA"))
            table[name]["goal"] = f"max |ΔP| ≤ {goal:.2f} and no flips"
            table[name]["goal_met"] = bool(worst <= goal and n_flips == 0)
    return {"data": f"fresh synthetic phantoms (seeds {seed}…; {n_per_class} Normal + "
                    f"{n_per_class} RA), each rendered clean and with one nuisance",
            "nuisances": {"collimation": "shutter borders 2–7% per side (the generator's range: clear of the hand)",
                          "marker": "lead L/R marker in a corner", "exposure": "×0.85 or ×1.15",
                          "rotation": "±12°", "zoom": "×0.9 or ×1.1"},
            "table": table}


def _gallery(ds, x, y, p, threshold, report: Path, k: int = 8) -> list[dict]:
    wrong = np.flatnonzero((p >= threshold).astype(int) != y)
    worst = wrong[np.argsort(-np.abs(p[wrong] - y[wrong]))][:k]
    items = []
    if len(worst):
        tiles = [np.round(x[i, ..., 0] * 255).astype(np.uint8) for i in worst]
        Image.fromarray(np.concatenate(tiles, axis=1)).save(report / "worst_misclassified.png")
    rels = ds.relpaths()
    for i in worst:
        items.append({"file": rels[i], "true": "RA" if y[i] else "Normal", "p_ra": float(p[i])})
    return items


def measure_faithfulness(pred, ds, x, y, manifest, *, seed: int = 0, limit: int = 60,
                         tolerance_px: int = 3, cams=None) -> dict:
    """Pointing game, energy in mask, deletion/insertion AUC and the randomisation check."""
    from explain.cam import METHODS, CamExplainer
    from explain.faithfulness import (
        deletion_insertion,
        energy_in_mask,
        pointing_hit,
        randomised_copy,
        spearman,
        summarise,
    )

    from ..preprocess import prepare_xray
    from ..synthetic import generator

    versions = {r.get("generator_version", "1.1.0") for r in manifest}
    gen = generator.get(max(versions))
    # the RA signs only: faithfulness is asked on RA films
    MASK_LABELS = {s: v for s, v in gen.MASK_LABELS.items() if s in gen.RA_SIGNS}

    by_file = {r["file"]: r for r in manifest}
    rels = ds.relpaths()
    ra = [i for i in np.flatnonzero(y == 1) if by_file.get(rels[i], {}).get("mask")]
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(ra, size=min(limit, len(ra)), replace=False).tolist()) if ra else []
    cams = cams or CamExplainer(pred.model, pred.gradcam_layer)
    out: dict = {"data": "RA phantoms with ground-truth lesion masks (synthetic)",
                 "n_cases": len(pick), "tolerance_px": tolerance_px, "methods": {}}
    masks, sign_masks = {}, {}
    for i in pick:
        # masks are label PNGs (one value per sign, MASK_LABELS) at the image's own size;
        # each sign's region is brought to 224² on its own
        labels = np.asarray(Image.open(Path(ds.root) / by_file[rels[i]]["mask"]))
        size = pred.input_size
        masks[i] = prepare_xray((labels > 0).astype(np.float32), size, collimation=False)[..., 0] > 0.5
        sign_masks[i] = {sign: prepare_xray((labels == v).astype(np.float32), size,
                                             collimation=False)[..., 0] > 0.5
                         for sign, v in MASK_LABELS.items() if (labels == v).any()}
    for method in METHODS:
        t = time.time()
        hits, energy, dels, ins = [], [], [], []
        per_sign = {sign: {"hits": [], "energy": []} for sign in MASK_LABELS}
        for i in pick:
            cam = cams.compute_input(x[i][None], method)[0]
            hits.append(pointing_hit(cam, masks[i], tolerance_px))
            energy.append(energy_in_mask(cam, masks[i], tolerance_px))
            for sign, sm in sign_masks[i].items():
                per_sign[sign]["hits"].append(pointing_hit(cam, sm, tolerance_px))
                per_sign[sign]["energy"].append(energy_in_mask(cam, sm, tolerance_px))
            if method == "gradcam" or len(dels) < 20:
                d, n = deletion_insertion(pred.raw_probabilities, x[i], cam)
                dels.append(d)
                ins.append(n)
        out["methods"][method] = {
            "pointing_game": summarise(hits)["mean"],
            "energy_in_mask": summarise(energy)["mean"],
            "deletion_auc": summarise(dels)["mean"],
            "insertion_auc": summarise(ins)["mean"],
            "seconds_per_image": (time.time() - t) / max(len(pick), 1),
            # Per sign, over the films that have it: "on an erosion" is what a clinician hears
            # in "on a true sign", and large swelling/osteopenia masks make all-sign hits easy.
            "by_sign": {sign: {"pointing_game": summarise(v["hits"])["mean"],
                               "energy_in_mask": summarise(v["energy"])["mean"],
                               "n_films": summarise(v["hits"])["n"]}
                        for sign, v in per_sign.items()},
        }
    mask_area = [float(masks[i].mean()) for i in pick]
    out["mean_mask_area_fraction"] = float(np.mean(mask_area)) if mask_area else None
    out["mean_mask_area_fraction_by_sign"] = {
        sign: float(np.mean([sign_masks[i][sign].mean() for i in pick if sign in sign_masks[i]]))
        for sign in MASK_LABELS if any(sign in sign_masks[i] for i in pick)}
    # Sanity check: Grad-CAM on a copy with re-drawn weights should look different.
    rnd = CamExplainer(randomised_copy(pred.model, seed), pred.gradcam_layer)
    rhos = [spearman(cams.compute_input(x[i][None])[0], rnd.compute_input(x[i][None])[0])
            for i in pick[:20]]
    out["randomisation_spearman"] = summarise(rhos)["mean"]
    return out


def _fit_eval(x, y, tr, va, te, *, arch: str, epochs: int, seed: int,
              learning_rate: float = 1e-3) -> dict:
    import keras

    from ..calibration import apply_temperature, fit_temperature
    from .data import make_tf_dataset
    from .model import build_model
    from .train import predict_proba

    keras.utils.set_random_seed(seed)
    model = build_model(arch)
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy")
    t = time.time()
    model.fit(make_tf_dataset(x[tr], y[tr], training=True, seed=seed),
              validation_data=make_tf_dataset(x[va], y[va], training=False), epochs=epochs,
              verbose=0, shuffle=False,
              callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])
    secs = time.time() - t
    temp = fit_temperature(predict_proba(model, x[va]), y[va])
    p = apply_temperature(predict_proba(model, x[te]), temp)
    m = binary_metrics(y[te], p, 0.5, n_boot=300, seed=seed)
    return {"params": int(model.count_params()), "train_seconds": round(secs, 1),
            "roc_auc": m["roc_auc"], "roc_auc_ci95": m["roc_auc_ci95"], "ece": m["ece"],
            "accuracy": m["accuracy"], "p": p}


def cross_validate_xray(data_dir, report_dir, *, folds: int = 5, seed: int = 0,
                        epochs: int = 15, arch: str = "paper") -> dict:
    """k-fold CV of the training recipe (each fold: train on k−1 folds minus 15% validation)."""
    from sklearn.model_selection import StratifiedKFold

    ds = find_images(data_dir)
    x, y = load_arrays(ds.files), ds.labels
    rows = []
    skf = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for k, (trv, te) in enumerate(skf.split(np.zeros(len(y)), y)):
        rng = np.random.default_rng(seed + k)
        trv = rng.permutation(trv)
        cut = int(0.85 * len(trv))
        r = _fit_eval(x, y, trv[:cut], trv[cut:], te, arch=arch, epochs=epochs, seed=seed + k)
        r.pop("p")
        rows.append({"fold": k + 1, **r})
    aucs = np.array([r["roc_auc"] for r in rows])
    out = {"data": _data_note(read_manifest(data_dir)), "folds": rows, "n": int(len(y)),
           "roc_auc": float(aucs.mean()), "roc_auc_sd": float(aucs.std(ddof=1)) if folds > 1 else 0.0}
    Path(report_dir).mkdir(parents=True, exist_ok=True)
    (Path(report_dir) / "cv_metrics.json").write_text(json.dumps(out, indent=2))
    return out


def compare_architectures(data_dir, *, archs=("paper", "mobilenetv2", "vgg16", "densenet121"),
                          epochs: int = 10, seed: int = 0) -> str:
    """Same split, same recipe, one row per architecture: params, train time, AUC, ECE."""
    from ..splits import stratified_split

    ds = find_images(data_dir)
    x, y = load_arrays(ds.files), ds.labels
    tr, va, te = stratified_split(y, seed)
    lines = ["| Architecture | Parameters | Train time (s) | Test ROC-AUC (95% CI) | ECE |",
             "|---|---:|---:|---|---:|"]
    for arch in archs:
        r = _fit_eval(x, y, tr, va, te, arch=arch, epochs=epochs, seed=seed)
        lo, hi = r["roc_auc_ci95"]
        lines.append(f"| {arch} | {r['params']:,} | {r['train_seconds']:.0f} | "
                     f"{r['roc_auc']:.3f} ({lo:.3f}–{hi:.3f}) | {r['ece']:.3f} |")
    lines.append(f"\nData: {_data_note(read_manifest(data_dir))}, {len(y)} images, "
                 f"split seed {seed}, ≤ {epochs} epochs each (Adam 1e-3, early stopping), "
                 "weights=None, CPU.")
    return "\n".join(lines)
