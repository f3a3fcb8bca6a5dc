"""Command line: ``python -m ra_models <command>``.

Commands: phantoms, cohort, train {xray,scorer,clinical}, evaluate {xray,scorer,clinical},
compare {xray,clinical}, import xray, calibrate xray, export xray. Errors the user can fix are printed as one line (exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .synthetic.generator import LATEST, VERSIONS


def _progress(label: str):
    def cb(done: int, total: int) -> None:
        width = 30
        k = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label} [{'#' * k}{'.' * (width - k)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return cb


def cmd_phantoms(a) -> int:
    from .synthetic.dataset import contact_sheet, generate_dataset, write_samples

    if a.samples:
        for p in write_samples(a.samples):
            print(p)
        return 0
    if a.contact_sheet or a.lesion_sheet:
        if a.contact_sheet:
            p = contact_sheet(a.contact_sheet, seed=a.seed if a.seed is not None else 7,
                              version=a.generator)
            print(f"contact sheet written to {p}")
        if a.lesion_sheet:
            from .synthetic.sheets import lesion_sheet

            print(f"lesion sheet written to {lesion_sheet(a.lesion_sheet)}")
        if not a.out:
            return 0
    if not a.out:
        print("error: --out DIR is required (or --contact-sheet/--lesion-sheet PATH)",
              file=sys.stderr)
        return 2
    t = time.time()
    generate_dataset(a.out, a.n, a.seed if a.seed is not None else 0, size=a.size, fmt=a.format,
                     ra_fraction=a.ra_fraction, workers=a.workers, version=a.generator,
                     progress=_progress("phantoms") if sys.stderr.isatty() else None)
    dt = time.time() - t
    print(f"{a.n} phantoms written to {a.out} in {dt:.1f}s ({a.n / dt:.1f}/s); manifest.csv beside them")
    return 0


def cmd_cohort(a) -> int:
    from .clinical.cohort import generate_cohort

    df = generate_cohort(a.n, a.seed)
    df.to_csv(a.out, index=False)
    print(f"{len(df)} synthetic patients written to {a.out} "
          f"({(df['Disease'] == 'Rheumatoid Arthritis').mean():.1%} RA)")
    return 0


def cmd_train(a) -> int:
    if a.kind == "xray":
        from .xray.train import train_xray

        train_xray(a.data, a.out, epochs=a.epochs, seed=a.seed, arch=a.arch, learning_rate=a.lr,
                   weights=a.weights, base_filters=a.base_filters, alpha=a.alpha,
                   max_train_seconds=a.max_minutes * 60 if a.max_minutes else None,
                   verbose=1 if sys.stdout.isatty() else 2)
    elif a.kind == "scorer":
        from .xray.scorer import train_scorer

        if not a.data:
            print("error: train scorer needs --data (a phantom folder from generator 2.x)",
                  file=sys.stderr)
            return 2
        train_scorer(a.data, a.out, seed=a.seed, epochs=a.epochs, max_minutes=a.max_minutes,
                     verbose=1 if sys.stdout.isatty() else 2)
    else:
        from .clinical.train import train_clinical

        train_clinical(a.data, a.out, seed=a.seed, n=a.n, epochs=a.epochs)
    print(f"model and model card written to {a.out}")
    return 0


def cmd_evaluate(a) -> int:
    if a.kind == "xray":
        from .xray.evaluate import evaluate_xray

        m = evaluate_xray(a.model, a.data, a.report, cv=a.cv, seed=a.seed,
                          faithfulness=not a.no_faithfulness, nuisance=a.nuisance,
                          update_card=a.update_card, progress=_progress)
    elif a.kind == "scorer":
        from .xray.scorer import evaluate_scorer, svh_markdown

        m = evaluate_scorer(a.model, a.data, report=a.report, update_card=a.update_card)
        print(svh_markdown(m))
    else:
        from .clinical.evaluate import evaluate_clinical

        m = evaluate_clinical(a.model, a.data, a.report)
    keys = ("n", "roc_auc", "roc_auc_ci95", "accuracy", "sensitivity", "specificity", "ece")
    for k in keys:
        if k in m:
            print(f"{k:>14}: {m[k]}")
    print(f"report written to {a.report}")
    return 0


def cmd_import(a) -> int:
    from .xray.importer import import_xray

    classes = [c.strip() for c in a.classes.split(",")] if a.classes else None
    card = import_xray(a.model, a.out, classes=classes, positive=a.positive,
                       preprocess=a.preprocess, cam_layer=a.cam_layer, who=a.who)
    prov = card["provenance"]
    print(f"imported {prov['source_file']} -> {a.out}")
    print(f"  inferred: {prov['inferred']}")
    print(f"  told:     {prov['told']}")
    print("  next: python -m ra_models calibrate xray --model "
          f"{a.out} --data YOUR_LABELLED_VALIDATION_FOLDER")
    return 0


def cmd_calibrate(a) -> int:
    from .xray.calibrate import calibrate_xray

    r = calibrate_xray(a.model, a.data, threshold_rule="fixed" if a.threshold is not None else "youden",
                       fixed_threshold=a.threshold if a.threshold is not None else 0.5,
                       progress=_progress)
    for k, v in r.items():
        print(f"{k:>15}: {v}")
    print(f"card updated in {a.model}")
    return 0


def cmd_export(a) -> int:
    from .xray.export import export_xray

    path = export_xray(a.model, a.out, version=a.version)
    print(f"SavedModel written to {path} (signatures: serving_default, explain)")
    return 0


def cmd_compare(a) -> int:
    if a.kind == "xray":
        from .xray.evaluate import compare_architectures

        print(compare_architectures(a.data, archs=a.archs.split(","), epochs=a.epochs, seed=a.seed))
    else:
        from .clinical.compare import compare_clinical, format_table

        res = compare_clinical(a.data, n=a.n, seed=a.seed, folds=a.folds)
        print(format_table(res))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ra_models", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    ph = sub.add_parser("phantoms", help="generate synthetic hand radiographs with RA signs")
    ph.add_argument("--out", help="output folder (RA/, Normal/, masks/, manifest.csv)")
    ph.add_argument("--n", type=int, default=200)
    ph.add_argument("--seed", type=int, default=None)
    ph.add_argument("--size", type=int, default=256)
    ph.add_argument("--format", choices=("png", "dicom"), default="png")
    ph.add_argument("--ra-fraction", type=float, default=0.5)
    ph.add_argument("--workers", type=int, default=None)
    ph.add_argument("--generator", choices=VERSIONS, default=LATEST,
                    help="generator version (older versions stay reproducible)")
    ph.add_argument("--contact-sheet", metavar="PATH", help="write a labelled 4×4 sheet PNG")
    ph.add_argument("--lesion-sheet", metavar="PATH",
                    help="write 1024-px crops of every lesion grade and differential (2.0)")
    ph.add_argument("--samples", metavar="DIR", help="write the labelled sample films shipped in assets/")
    ph.set_defaults(func=cmd_phantoms)

    co = sub.add_parser("cohort", help="generate a synthetic lab cohort (Dataverse schema)")
    co.add_argument("--out", required=True)
    co.add_argument("--n", type=int, default=10000)
    co.add_argument("--seed", type=int, default=0)
    co.set_defaults(func=cmd_cohort)

    tr = sub.add_parser("train", help="train a model")
    tr.add_argument("kind", choices=("xray", "scorer", "clinical"),
                    help="scorer: the joint-level Sharp/van der Heijde damage scorer")
    tr.add_argument("--data", help="xray: folder with RA/ and Normal/; clinical: CSV "
                    "(default: a synthetic cohort)")
    tr.add_argument("--out", required=True)
    tr.add_argument("--epochs", type=int, default=50)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--arch", default="paper", choices=("paper", "vgg16", "densenet121", "mobilenetv2"))
    tr.add_argument("--weights", help="backbone weights file (ImageNet .h5), if you have one")
    tr.add_argument("--base-filters", type=int, default=16)
    tr.add_argument("--alpha", type=float, default=None, help="mobilenetv2: width multiplier")
    tr.add_argument("--lr", type=float, default=1e-4, help="xray: Adam learning rate (paper: 1e-4)")
    tr.add_argument("--max-minutes", type=float, default=None, help="wall-clock training budget")
    tr.add_argument("--n", type=int, default=12000, help="clinical: synthetic cohort size")
    tr.set_defaults(func=cmd_train)

    im = sub.add_parser("import", help="import your own Keras X-ray classifier as a model folder")
    im.add_argument("kind", choices=("xray",))
    im.add_argument("--model", required=True,
                    help="a .keras or .h5 file, or a SavedModel folder written by Keras 2")
    im.add_argument("--out", required=True, help="the model folder to write")
    im.add_argument("--classes", help="class names in the model's output order, e.g. Normal,RA")
    im.add_argument("--positive", default="RA", help="which class is RA (default: RA)")
    im.add_argument("--preprocess", choices=("rescale", "tf", "torch", "caffe", "none"),
                    help="how the model expects its pixels (detected when it has its own "
                         "Rescaling/Normalization layer)")
    im.add_argument("--cam-layer", help="the layer whose feature map the CAMs use "
                                        "(default: the last 4-D feature map before the head)")
    im.add_argument("--who", help="who imported it (recorded in the card)")
    im.set_defaults(func=cmd_import)

    ca = sub.add_parser("calibrate", help="fit temperature, threshold, OOD statistics and the "
                                          "heatmap scale on your labelled films")
    ca.add_argument("kind", choices=("xray",))
    ca.add_argument("--model", required=True)
    ca.add_argument("--data", required=True, help="labelled validation folder (RA/, Normal/)")
    ca.add_argument("--threshold", type=float, default=None,
                    help="a fixed operating threshold instead of Youden's J")
    ca.set_defaults(func=cmd_calibrate)

    ex = sub.add_parser("export", help="export an X-ray model folder for TensorFlow Serving")
    ex.add_argument("kind", choices=("xray",))
    ex.add_argument("--model", required=True)
    ex.add_argument("--out", required=True, help="EXPORT folder; the model goes to EXPORT/<version>/")
    ex.add_argument("--version", type=int, default=1)
    ex.set_defaults(func=cmd_export)

    ev = sub.add_parser("evaluate", help="evaluate a model folder on data; write a report")
    ev.add_argument("kind", choices=("xray", "scorer", "clinical"))
    ev.add_argument("--model", required=True)
    ev.add_argument("--data", required=True)
    ev.add_argument("--report", required=True)
    ev.add_argument("--cv", type=int, default=0, help="xray: k-fold cross-validation instead")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--no-faithfulness", action="store_true")
    ev.add_argument("--nuisance", type=int, default=0, metavar="N",
                    help="xray: nuisance-sensitivity table on N fresh Normal + N RA phantoms")
    ev.add_argument("--update-card", action="store_true",
                    help="xray, scorer: also write the results into the model folder's card "
                         "(otherwise only --report is written)")
    ev.set_defaults(func=cmd_evaluate)

    cp = sub.add_parser("compare", help="side-by-side comparison table")
    cp.add_argument("kind", choices=("xray", "clinical"))
    cp.add_argument("--data")
    cp.add_argument("--archs", default="paper,mobilenetv2,vgg16,densenet121")
    cp.add_argument("--epochs", type=int, default=10)
    cp.add_argument("--n", type=int, default=10000)
    cp.add_argument("--folds", type=int, default=5)
    cp.add_argument("--seed", type=int, default=0)
    cp.set_defaults(func=cmd_compare)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    from .errors import RAError

    try:
        return int(args.func(args) or 0)
    except RAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
