"""One-page case report (PDF bytes): image, heatmap, probability, model id, disclaimer."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np

from .config import DISCLAIMER


def case_report_pdf(image: np.ndarray, overlay_rgb: np.ndarray, result, *, method_label: str,
                    ood_reasons=(), title: str = "Hand radiograph — model explanation") -> bytes:
    """``result`` is an :class:`~ra_models.predictor.XrayResult`."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.27, 11.69))  # A4 portrait
    fig.text(0.06, 0.955, title, fontsize=16, weight="bold")
    fig.text(0.06, 0.93, datetime.now(UTC).strftime("Generated %Y-%m-%d %H:%M UTC"),
             fontsize=9, color="#555")
    ax1 = fig.add_axes([0.06, 0.47, 0.42, 0.42])
    ax1.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax1.set_title("Image as analysed", fontsize=10)
    ax1.axis("off")
    ax2 = fig.add_axes([0.52, 0.47, 0.42, 0.42])
    ax2.imshow(overlay_rgb)
    ax2.set_title(f"{method_label} for class RA (white: top 20%)", fontsize=10)
    ax2.axis("off")
    verdict = ("UNCERTAIN — close to the threshold" if result.uncertain
               else ("RA pattern" if result.label == "RA" else "No RA pattern"))
    lines = []
    if ood_reasons:  # first line: no verdict on a film the model cannot judge
        lines += ["NOT ASSESSABLE — this image is unlike the films the model was trained on:",
                  "  " + "; ".join(ood_reasons) + ".",
                  "  The probability and heatmap below are not meaningful for it."]
        verdict = "withheld (not assessable)"
    lines += [
        f"Model output: {verdict}",
        f"Calibrated P(RA) = {result.display_probability}   (operating threshold "
        f"{result.threshold:.0%})",
        f"Model: {result.model.name} v{result.model.version}   sha256 {result.model.sha256[:16]}…",
    ]
    y = 0.41
    for ln in lines:
        fig.text(0.06, y, ln, fontsize=11)
        y -= 0.03
    fig.text(0.06, 0.10, "Not a diagnosis. " + DISCLAIMER, fontsize=9, wrap=True, color="#a00")
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata={"Creator": "RA decision support", "Producer": None,
                                            "CreationDate": None})
    return buf.getvalue()
