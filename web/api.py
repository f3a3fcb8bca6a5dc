"""JSON API: POST /api/v1/xray, POST /api/v1/clinical, GET /healthz. Errors: {error: {code, message}}."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ra_models import DISCLAIMER, RAError
from ra_models.errors import ImageTooLargeError, InvalidLabValuesError, ModelError

from .services import services

api = Blueprint("api", __name__)


def _error(code: str, message: str, status: int = 400, **extra):
    return jsonify(error={"code": code, "message": message, **extra}), status


@api.errorhandler(RAError)
def _ra_error(e: RAError):
    extra = {"fields": e.problems} if isinstance(e, InvalidLabValuesError) else {}
    if isinstance(e, ModelError):
        status = 503  # the server's model is missing or fails its integrity check
    elif isinstance(e, ImageTooLargeError):
        status = 413
    else:
        status = 400
    return _error(e.code, str(e), status, **extra)


@api.get("/healthz")
def healthz():
    return jsonify(status="ok", models_loaded=services().loaded())


@api.post("/api/v1/xray")
def xray():
    f = request.files.get("file")
    if f is None:
        return _error("missing_file", "Send the image as multipart/form-data in a field named 'file'.")
    data = f.read()  # in memory only; never written to disk
    r = services().xray.predict(data)
    return jsonify(label=r.label, probability_ra=round(r.probability_ra, 4), threshold=r.threshold,
                   uncertain=r.uncertain, model=r.model.to_dict(), disclaimer=DISCLAIMER)


@api.post("/api/v1/clinical")
def clinical():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _error("invalid_json", "Send a JSON object such as {\"Age\": 55, \"Gender\": "
                      "\"Female\", \"ESR\": 30, \"CRP\": 12, \"RF\": 45, \"Anti-CCP\": 80}.")
    r = services().clinical.predict(payload)
    return jsonify(label=r.label, probability_ra=round(r.probability_ra, 4), threshold=r.threshold,
                   uncertain=r.uncertain, model=r.model.to_dict(), acr_eular=r.acr_eular.to_dict(),
                   warnings=list(r.warnings), disclaimer=DISCLAIMER)
