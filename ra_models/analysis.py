"""One call per UI action: decode → predict → out-of-distribution check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .imaging import ImageMeta


@dataclass(frozen=True)
class XrayAnalysis:
    image: np.ndarray  # (H, W) float32 in [0, 1], as decoded
    model_input: np.ndarray  # (224, 224, 1)
    meta: ImageMeta | None
    result: object  # XrayResult
    ood: object | None  # OODResult


def analyse_xray(predictor, source, ood_checker=None) -> XrayAnalysis:
    """``source``: bytes, path, file object or a (H, W) array in [0, 1]."""
    image, x, meta = predictor.prepare(source)
    result = predictor.result_from_input(x, meta)
    ood = ood_checker.check(predictor.model, x, meta) if ood_checker is not None else None
    return XrayAnalysis(image, x, meta, result, ood)
