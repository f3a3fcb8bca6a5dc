"""Flask app reproducing the paper's pages (home, X-ray upload → result, lab form → result)
plus a small JSON API. ``create_app(config=None)`` is the factory:

    gunicorn -c gunicorn.conf.py 'flask_app:create_app()'      (what `make flask` runs)

Config layers: defaults → ``RA_``-prefixed environment variables → the ``config`` mapping.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import io  # noqa: E402

from flask import Flask, Request, jsonify, render_template, request  # noqa: E402
from flask_wtf.csrf import CSRFError, CSRFProtect  # noqa: E402
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, RequestTimeout  # noqa: E402

from ra_models import DISCLAIMER, Settings  # noqa: E402
from ra_models.imaging import megabytes  # noqa: E402
from web.deadline import BodyDeadline  # noqa: E402
from web.services import Services, install  # noqa: E402

log = logging.getLogger(__name__)
csrf = CSRFProtect()

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class InMemoryRequest(Request):
    """Uploads stay in memory: Werkzeug would spool files over 500 KB to a temporary file.
    MAX_CONTENT_LENGTH bounds the memory used."""

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return io.BytesIO()


def create_app(config: Mapping | None = None, *, xray_predictor=None, clinical_predictor=None) -> Flask:
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.request_class = InMemoryRequest
    limits = Settings.from_env().limits
    app.config.from_mapping(
        SECRET_KEY=None,
        MAX_CONTENT_LENGTH=limits.max_bytes + 64 * 1024,  # the image limit plus form overhead
        BODY_TIMEOUT=20.0,  # seconds for the whole request body to arrive (0: no deadline)
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=False,  # RA_SESSION_COOKIE_SECURE=true when served over HTTPS
        WTF_CSRF_TIME_LIMIT=None,
        XRAY_MODEL_DIR=None,
        CLINICAL_MODEL_DIR=None,
        SHOW_GRADCAM=True,
        LOAD_MODELS_ON_START=True,
    )
    app.config.from_prefixed_env("RA")
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"]:
        # Each process would get its own key: fine for one process, not for several workers
        # (CSRF tokens would fail across workers). `make flask` sets RA_SECRET_KEY.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        if not app.testing:
            log.warning("RA_SECRET_KEY is not set; using a random per-process key.")
    app.debug = bool(app.config.get("DEBUG")) and os.environ.get("FLASK_ENV") == "development"

    settings = Settings.from_env()
    if app.config["XRAY_MODEL_DIR"] or app.config["CLINICAL_MODEL_DIR"]:
        from dataclasses import replace
        from pathlib import Path

        settings = replace(
            settings,
            xray_model_dir=Path(app.config["XRAY_MODEL_DIR"] or settings.xray_model_dir),
            clinical_model_dir=Path(app.config["CLINICAL_MODEL_DIR"] or settings.clinical_model_dir))
    svc = Services(settings, xray_predictor, clinical_predictor)
    install(app, svc)
    csrf.init_app(app)

    from web.api import api
    from web.pages import pages

    csrf.exempt(api)  # JSON API: no cookies, no session, so no CSRF surface
    app.register_blueprint(pages)
    app.register_blueprint(api)

    @app.get("/favicon.ico")
    def _favicon():
        return app.send_static_file("favicon.ico")

    @app.context_processor
    def _globals():
        return {"disclaimer": DISCLAIMER}

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    def _wants_json() -> bool:
        return request.path.startswith("/api/") or request.path == "/healthz"

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e):
        msg = (f"The upload is larger than the {megabytes(limits.max_bytes)} limit. "
               "Export a smaller image.")
        if _wants_json():
            return jsonify(error={"code": "payload_too_large", "message": msg}), 413
        return render_template("error.html", title="File too large", message=msg), 413

    @app.errorhandler(RequestTimeout)
    def _timeout(e):
        if _wants_json():
            resp = jsonify(error={"code": "request_timeout", "message": e.description})
        else:
            resp = app.make_response(
                render_template("error.html", title="Upload too slow", message=e.description))
        resp.status_code = 408
        resp.headers["Connection"] = "close"
        return resp

    @app.errorhandler(CSRFError)
    def _csrf(e):
        msg = "The form expired or was not sent from this site (missing CSRF token). Reload the page and try again."
        return render_template("error.html", title="Form rejected", message=msg), 400

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if _wants_json():
            code = (e.name or "error").lower().replace(" ", "_")
            return jsonify(error={"code": code, "message": e.description}), e.code
        return render_template("error.html", title=f"{e.code} {e.name}", message=e.description), e.code

    if app.config["BODY_TIMEOUT"]:
        app.wsgi_app = BodyDeadline(app.wsgi_app, float(app.config["BODY_TIMEOUT"]))

    if app.config["LOAD_MODELS_ON_START"] and not app.testing:
        try:  # load after fork, in each worker, so the first request is fast
            svc.xray, svc.clinical  # noqa: B018
        except Exception as e:  # noqa: BLE001 - the app still serves pages and explains
            log.error("could not load models at start: %s", e)
    return app
