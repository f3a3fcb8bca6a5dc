"""One-page case report (PDF bytes): case name, verdict or "not assessable", image, heatmap with
its colour bar and scale, model id, disclaimer once."""

from __future__ import annotations

import io
import textwrap
from datetime import UTC, datetime

import numpy as np

from .config import DISCLAIMER


def _probability_phrase(display: str) -> str:
    """'P(RA) = 42.0%', but 'P(RA) > 99.9%' (never '= > 99.9%')."""
    return f"P(RA) {display}" if display[:1] in "<>" else f"P(RA) = {display}"


def case_report_pdf(image: np.ndarray, overlay_rgb: np.ndarray, result, *, method_label: str,
                    case_name: str = "", heatmap_caption: str = "", ood_reasons=(),
                    title: str = "Hand radiograph — model explanation") -> bytes:
    """``result`` is an :class:`~ra_models.predictor.XrayResult`; ``overlay_rgb`` is the
    overlay as the user saw it (with its colour bar, :func:`explain.overlay.explained_overlay`).
    """
    from matplotlib.figure import Figure

    left, width = 0.08, 0.84  # ≥ 17 mm margins on A4
    fig = Figure(figsize=(8.27, 11.69))  # A4 portrait
    fig.text(left, 0.95, title, fontsize=16, weight="bold")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    fig.text(left, 0.928, f"Case: {case_name or 'unnamed upload'}    ·    generated {stamp}",
             fontsize=9, color="#444")
    y = 0.895
    if ood_reasons:  # the first line says it: no verdict on a film the model cannot judge
        reasons = "; ".join(ood_reasons)
        lines = [("NOT ASSESSABLE — no RA/Normal answer for this image.", "bold", "#a00")]
        lines += [(ln, "normal", "#a00") for ln in textwrap.wrap(
            f"It is unlike the hand radiographs the model was trained on: {reasons}. The "
            "probability and heatmap below are not meaningful for it.", 95)]
    else:
        verdict = ("Uncertain — close to the operating threshold" if result.uncertain
                   else ("RA pattern" if result.label == "RA" else "No RA pattern"))
        lines = [(f"Model output: {verdict}", "bold", "black")]
    lines += [(f"Calibrated {_probability_phrase(result.display_probability)}   (operating "
               f"threshold {result.threshold:.0%})", "normal", "black"),
              (f"Model: {result.model.name} v{result.model.version}   sha256 "
               f"{result.model.sha256[:16]}…", "normal", "#444")]
    for text, weight, colour in lines:
        fig.text(left, y, text, fontsize=10.5, weight=weight, color=colour)
        y -= 0.022
    top = y - 0.01
    h = min(0.42, top - 0.2)
    ax1 = fig.add_axes([left, top - h, width / 2 - 0.01, h])
    ax1.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax1.set_title("Image as analysed", fontsize=10)
    ax1.axis("off")
    ax2 = fig.add_axes([left + width / 2 + 0.01, top - h, width / 2 - 0.01, h])
    ax2.imshow(overlay_rgb)
    ax2.set_title(f"{method_label}, evidence for class RA", fontsize=10)
    ax2.axis("off")
    y = top - h - 0.03
    for ln in textwrap.wrap(heatmap_caption.replace("*", ""), 100):
        fig.text(left, y, ln, fontsize=9, color="#333")
        y -= 0.018
    fig.text(left, 0.06, "\n".join(textwrap.wrap(DISCLAIMER, 105)), fontsize=9, color="#a00")
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata={"Creator": "RA decision support", "Producer": None,
                                            "CreationDate": None})
    return buf.getvalue()
