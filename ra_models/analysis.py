"""One call per UI action: decode → predict → out-of-distribution check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .imaging import ImageMeta

NOT_ASSESSABLE = "not_assessable"
NOT_ASSESSABLE_TEXT = "Not assessable"


@dataclass(frozen=True)
class XrayAnalysis:
    image: np.ndarray  # (H, W) float32 in [0, 1], as decoded
    model_input: np.ndarray  # (224, 224, 1)
    meta: ImageMeta | None
    result: object  # XrayResult
    ood: object | None  # OODResult

    @property
    def assessable(self) -> bool:
        """False when the out-of-distribution check fired: no RA/Normal verdict is given."""
        return not (self.ood is not None and self.ood.flagged)

    @property
    def label(self) -> str:
        """"RA", "Normal", or :data:`NOT_ASSESSABLE` for a film the model cannot judge."""
        return self.result.label if self.assessable else NOT_ASSESSABLE

    def ood_dict(self) -> dict | None:
        if self.ood is None:
            return None
        return {"flagged": bool(self.ood.flagged), "score": round(float(self.ood.distance), 3),
                "threshold": round(float(self.ood.threshold), 3), "reasons": list(self.ood.reasons)}


def analyse_xray(predictor, source, ood_checker=None) -> XrayAnalysis:
    """``source``: bytes, path, file object or a (H, W) array in [0, 1]."""
    image, x, meta = predictor.prepare(source)
    result = predictor.result_from_input(x, meta)
    ood = ood_checker.check(predictor.model, x, meta) if ood_checker is not None else None
    return XrayAnalysis(image, x, meta, result, ood)
