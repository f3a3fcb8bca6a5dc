"""Per-process model services for Flask: loaded once (after fork under gunicorn), read-only."""

from __future__ import annotations

import threading

from flask import current_app

from ra_models import Settings

_KEY = "ra_services"


class Services:
    """Lazily loads the predictors, the CAM explainer and the OOD checker, once."""

    def __init__(self, settings: Settings, xray=None, clinical=None):
        self.settings = settings
        self._xray = xray
        self._clinical = clinical
        self._cam = None
        self._ood = False  # False = not tried yet
        self._lock = threading.Lock()

    @property
    def xray(self):
        if self._xray is None:
            with self._lock:
                if self._xray is None:
                    from ra_models.predictor import XrayPredictor

                    self._xray = XrayPredictor.load(self.settings.xray_model_dir,
                                                    limits=self.settings.limits)
        return self._xray

    @property
    def clinical(self):
        if self._clinical is None:
            with self._lock:
                if self._clinical is None:
                    from ra_models.predictor import ClinicalPredictor

                    self._clinical = ClinicalPredictor.load(self.settings.clinical_model_dir)
        return self._clinical

    @property
    def cam(self):
        if self._cam is None:
            x = self.xray
            with self._lock:
                if self._cam is None:
                    from explain.cam import CamExplainer

                    self._cam = CamExplainer(x.model, x.gradcam_layer)
        return self._cam

    @property
    def ood(self):
        if self._ood is False:
            x = self.xray
            with self._lock:
                if self._ood is False:
                    from ra_models.ood import OODChecker

                    # the checker belongs to the predictor's own model folder
                    self._ood = OODChecker.load(x.model_dir) if x.model_dir else None
        return self._ood

    def loaded(self) -> dict:
        return {"xray": self._xray is not None, "clinical": self._clinical is not None}


def services() -> Services:
    return current_app.extensions[_KEY]


def install(app, svc: Services) -> None:
    app.extensions[_KEY] = svc
