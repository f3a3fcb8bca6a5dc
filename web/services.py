"""Per-process model services for Flask: loaded once (after fork under gunicorn), read-only."""

from __future__ import annotations

import threading

from flask import current_app

from ra_models import Settings

_KEY = "ra_services"
_UNSET = object()


class Services:
    """Lazily loads the predictors, the CAM explainer and the OOD checker, once each."""

    def __init__(self, settings: Settings, xray=None, clinical=None):
        self.settings = settings
        self._values = {"xray": xray if xray is not None else _UNSET,
                        "clinical": clinical if clinical is not None else _UNSET,
                        "cam": _UNSET, "ood": _UNSET, "svh": _UNSET}
        self._lock = threading.RLock()

    def _once(self, name: str, factory):
        value = self._values[name]
        if value is _UNSET:
            with self._lock:
                value = self._values[name]
                if value is _UNSET:
                    value = self._values[name] = factory()
        return value

    @property
    def xray(self):
        from ra_models.predictor import XrayPredictor

        return self._once("xray", lambda: XrayPredictor.load(self.settings.xray_model_dir,
                                                             limits=self.settings.limits))

    @property
    def clinical(self):
        from ra_models.predictor import ClinicalPredictor

        return self._once("clinical",
                          lambda: ClinicalPredictor.load(self.settings.clinical_model_dir))

    @property
    def cam(self):
        from explain.cam import CamExplainer

        return self._once("cam", lambda: CamExplainer.for_predictor(self.xray))

    @property
    def ood(self):
        """The checker saved beside the predictor's own model (None if there is none)."""
        from ra_models.ood import OODChecker

        return self._once("ood", lambda: OODChecker.load(self.xray.model_dir)
                          if self.xray.model_dir else None)

    @property
    def svh(self):
        """The joint-level (Sharp/van der Heijde) scorer, or None when none is installed."""
        from ra_models.xray.scorer import ScorePredictor

        return self._once("svh", lambda: ScorePredictor.load_optional(self.settings.svh_model_dir))

    def joint_scores(self, analysis):
        """The scorer's grades for an analysed film; None without a scorer, and (like the
        verdict) for a film that is not assessable."""
        if not analysis.assessable or self.svh is None:
            return None
        return self.svh.score(analysis.image)

    def status(self) -> dict:
        """{name: {available, model | error}} for both models, loading them if needed."""
        from ra_models.errors import ModelError

        out = {}
        for name in ("xray", "clinical"):
            try:
                info = getattr(self, name).info
                out[name] = {"available": True, "model": info.to_dict()}
            except ModelError as e:
                out[name] = {"available": False, "error": {"code": e.code, "message": str(e)}}
        return out


def services() -> Services:
    return current_app.extensions[_KEY]


def install(app, svc: Services) -> None:
    app.extensions[_KEY] = svc
