"""Evaluation plots (ROC, PR, confusion matrix, reliability diagram) written as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn import metrics as skm

from .calibration import reliability_bins


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})


def _fig(w=4.2, h=4.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h))


def evaluation_plots(y, p, threshold: float, out_dir: str | Path, data_note: str,
                     class_names=("Normal", "RA")) -> dict[str, str]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    y, p = np.asarray(y, int), np.asarray(p, float)
    files = {}

    fig = _fig()
    ax = fig.subplots()
    fpr, tpr, _ = skm.roc_curve(y, p)
    ax.plot(fpr, tpr, lw=2, label=f"AUC {skm.roc_auc_score(y, p):.3f}")
    ax.plot([0, 1], [0, 1], "--", color="#999", lw=1)
    ax.set(xlabel="1 − specificity", ylabel="sensitivity", title=f"ROC — {data_note}")
    ax.legend(loc="lower right")
    _save(fig, out_dir / "roc.png")
    files["roc"] = "roc.png"

    fig = _fig()
    ax = fig.subplots()
    prec, rec, _ = skm.precision_recall_curve(y, p)
    ax.plot(rec, prec, lw=2, label=f"AP {skm.average_precision_score(y, p):.3f}")
    ax.axhline(y.mean(), ls="--", color="#999", lw=1, label="prevalence")
    ax.set(xlabel="recall (sensitivity)", ylabel="precision (PPV)", ylim=(0, 1.02),
           title=f"Precision–recall — {data_note}")
    ax.legend(loc="lower left")
    _save(fig, out_dir / "pr.png")
    files["pr"] = "pr.png"

    fig = _fig(3.8, 3.4)
    ax = fig.subplots()
    cm = skm.confusion_matrix(y, (p >= threshold).astype(int), labels=[0, 1])
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > cm.max() / 2 else "black", fontsize=13)
    ax.set_xticks([0, 1], [f"pred {c}" for c in class_names])
    ax.set_yticks([0, 1], [f"true {c}" for c in class_names])
    ax.set_title(f"Confusion at P ≥ {threshold:g}\n{data_note}", fontsize=9)
    _save(fig, out_dir / "confusion.png")
    files["confusion"] = "confusion.png"

    fig = _fig()
    ax = fig.subplots()
    bins = reliability_bins(p, y, 10)
    conf = [b[2] for b in bins if b[4]]
    acc = [b[3] for b in bins if b[4]]
    cnt = [b[4] for b in bins if b[4]]
    ax.plot([0, 1], [0, 1], "--", color="#999", lw=1, label="perfect calibration")
    ax.scatter(conf, acc, s=[20 + 200 * c / max(cnt) for c in cnt], zorder=3, label="bins (size = n)")
    ax.plot(conf, acc, lw=1)
    ax.set(xlabel="predicted P(RA)", ylabel="observed RA fraction", xlim=(0, 1), ylim=(0, 1),
           title=f"Reliability — {data_note}")
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, out_dir / "reliability.png")
    files["reliability"] = "reliability.png"
    return files
