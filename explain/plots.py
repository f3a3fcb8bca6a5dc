"""PNG charts for SHAP explanations (bytes out; matplotlib's Agg backend, no figure leaks)."""

from __future__ import annotations

import io

import numpy as np

RA_COLOUR, NOT_RA_COLOUR = "#d62728", "#1f77b4"


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _figure(w, h):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h))


def shap_bar_png(explanation: dict, title: str = "What moved P(RA)") -> bytes:
    """Horizontal bars: each feature's contribution (probability points), raw value in the label."""
    rows = sorted(explanation["contributions"], key=lambda r: abs(r["shap"]))
    fig = _figure(6.4, 0.45 * len(rows) + 1.3)
    ax = fig.subplots()
    vals = np.array([r["shap"] for r in rows]) * 100
    ax.barh([r["label"] for r in rows], vals,
            color=[RA_COLOUR if v > 0 else NOT_RA_COLOUR for v in vals])
    for i, (v, r) in enumerate(zip(vals, rows)):
        text = " not measured: no contribution" if not r.get("measured", True) else f" {v:+.1f} "
        ax.text(v, i, text, va="center", ha="left" if v >= 0 else "right", fontsize=8,
                color="#666" if not r.get("measured", True) else "black")
    ax.axvline(0, color="#444", lw=0.8)
    lim = max(1.0, float(np.abs(vals).max()) * 1.35)
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("contribution to P(RA), percentage points (red: towards RA)")
    n_bg = explanation.get("n_background")
    base = f"baseline {explanation['base_value']:.1%}" + (
        f" (average over {n_bg} background patients)" if n_bg else "")
    ax.set_title(f"{title}\n{base} → this patient {explanation['prediction']:.1%}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def shap_waterfall_png(explanation: dict) -> bytes:
    """Waterfall from the baseline (average P(RA) over the background) to this patient's P(RA)."""
    rows = sorted(explanation["contributions"], key=lambda r: -abs(r["shap"]))
    fig = _figure(6.4, 0.5 * len(rows) + 1.5)
    ax = fig.subplots()
    start = explanation["base_value"] * 100
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        v = r["shap"] * 100
        ax.barh(yi, v, left=start, color=RA_COLOUR if v > 0 else NOT_RA_COLOUR)
        ax.text(start + v, yi, f" {v:+.1f}", va="center", ha="left" if v >= 0 else "right",
                fontsize=8)
        start += v
    ax.set_yticks(y, [r["label"] for r in rows])
    ax.axvline(explanation["base_value"] * 100, color="#888", ls="--", lw=0.8)
    ax.axvline(explanation["prediction"] * 100, color="#222", lw=1)
    ax.set_xlabel("P(RA), %")
    ax.set_title(f"baseline {explanation['base_value']:.1%} → this patient "
                 f"{explanation['prediction']:.1%}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
