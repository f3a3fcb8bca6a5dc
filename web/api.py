"""JSON API: POST /api/v1/xray, POST /api/v1/clinical, GET /healthz. Errors: {error: {code, message}}."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from ra_models import DISCLAIMER, RAError
from ra_models.errors import (
    ImageTooLargeError,
    InsufficientDataError,
    InvalidLabValuesError,
    ModelError,
)

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
    elif isinstance(e, InsufficientDataError):
        status = 422
    else:
        status = 400
    return _error(e.code, str(e), status, **extra)


@api.get("/healthz")
def healthz():
    """200 only when both models load; otherwise 503 naming the model that is unavailable."""
    status = services().status()
    ok = all(m["available"] for m in status.values())
    return jsonify(status="ok" if ok else "unavailable", models=status,
                   models_loaded={k: v["available"] for k, v in status.items()}), (200 if ok else 503)


@api.post("/api/v1/xray")
def xray():
    f = request.files.get("file")
    if f is None:
        return _error("missing_file", "Send the image as multipart/form-data in a field named 'file'.")
    data = f.read()  # in memory only; never written to disk
    from ra_models.analysis import analyse_xray

    svc = services()
    a = analyse_xray(svc.xray, data, svc.ood)
    r = a.result
    # On a film the model cannot judge, the verdict is withheld: label "not_assessable";
    # probability_ra stays for experts but is not meaningful (see ood.reasons).
    # Joint scores on request (?svh=1: a second model, ~30 ms), and like the verdict only for a
    # film the models can judge.
    wanted = request.args.get("svh", "").lower() in ("1", "true", "yes")
    scored = svc.joint_scores(a) if wanted else None
    svh = scored.to_dict() if scored is not None else None
    return jsonify(label=a.label, assessable=a.assessable, probability_ra=round(r.probability_ra, 4),
                   threshold=r.threshold, uncertain=r.uncertain, ood=a.ood_dict(),
                   intake=list(a.meta.notes) if a.meta is not None else [], svh=svh,
                   model=r.model.to_dict(), disclaimer=DISCLAIMER)


@api.post("/api/v1/clinical")
def clinical():
    payload = _json_object()
    if not isinstance(payload, dict):
        return _error("invalid_json", "Send a JSON object such as {\"Age\": 55, \"Gender\": "
                      "\"Female\", \"ESR\": 30, \"CRP\": 12, \"RF\": 45, \"Anti-CCP\": 80}.")
    r = services().clinical.predict_request(payload)
    return jsonify(**r.to_dict(), disclaimer=DISCLAIMER)


def _json_object():
    """The request body as parsed JSON, or None when it is not JSON.

    ``request.get_json`` lets a RecursionError (JSON nested 1,000 deep) through as a 500; a lab
    payload is one flat object, so anything unparsable is simply not a valid payload.
    """
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None
