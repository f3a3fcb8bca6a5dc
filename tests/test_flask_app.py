"""Flask: every page and API route, each error path, CSRF and security headers."""

import io

import pytest

from flask_app import create_app


def test_home_and_headers(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "X-ray image prediction" in html and "Numerical data prediction" in html
    assert "not a diagnosis" in html
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_xray_upload_flow(client, csrf_token, in_distribution_png):
    tok = csrf_token(client, "/xray")
    r = client.post("/xray", data={"csrf_token": tok,
                                   "file": (io.BytesIO(in_distribution_png), "hand.png")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    assert "Not assessable" not in html
    assert "Predicted class" in html and "Confidence (calibrated P(RA))" in html
    assert "data:image/png;base64," in html  # Grad-CAM figure
    assert "not a diagnosis" in html


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"<html><body>not an image</body></html>", "Unsupported file type"),
        (b"GIF89a" + b"\x00" * 10, "could not be decoded"),
    ],
)
def test_xray_bad_files_keep_the_form(client, csrf_token, payload, needle):
    tok = csrf_token(client, "/xray")
    r = client.post("/xray", data={"csrf_token": tok, "file": (io.BytesIO(payload), "x.png")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert needle in html
    assert 'type="file"' in html  # the form is still there
    assert "jpg, jpeg, png, gif" in html


def test_truncated_png(client, csrf_token, phantom_png):
    tok = csrf_token(client, "/xray")
    r = client.post("/xray", data={"csrf_token": tok,
                                   "file": (io.BytesIO(phantom_png[:300]), "cut.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "truncated" in r.get_data(as_text=True)


def test_missing_csrf_token_is_rejected(client, phantom_png):
    r = client.post("/xray", data={"file": (io.BytesIO(phantom_png), "hand.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    assert "CSRF" in r.get_data(as_text=True)
    r = client.post("/labs", data={"Age": "50"})
    assert r.status_code == 400


def test_oversize_upload_gets_413(tiny_xray_predictor, tiny_clinical_predictor):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "MAX_CONTENT_LENGTH": 10_000},
                     xray_predictor=tiny_xray_predictor, clinical_predictor=tiny_clinical_predictor)
    c = app.test_client()
    r = c.post("/xray", data={"file": (io.BytesIO(b"x" * 20_000), "big.png")},
               content_type="multipart/form-data")
    assert r.status_code == 413 and "larger than" in r.get_data(as_text=True)
    r = c.post("/api/v1/xray", data={"file": (io.BytesIO(b"x" * 20_000), "big.png")},
               content_type="multipart/form-data")
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "payload_too_large"


def test_labs_flow_and_field_errors(client, csrf_token, lab_values):
    tok = csrf_token(client, "/labs")
    r = client.post("/labs", data={"csrf_token": tok, **{k: str(v) for k, v in lab_values.items()}})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Predicted class" in html and "ACR/EULAR" in html
    bad = {**{k: str(v) for k, v in lab_values.items()}, "CRP": "9999", "Age": ""}
    r = client.post("/labs", data={"csrf_token": tok, **bad})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'id="CRP-err"' in html and "outside the allowed range 0–500 mg/L" in html
    assert 'id="Age-err"' in html and "is required" in html
    assert 'value="65"' in html  # the good RF value is kept


def test_api_xray(client, phantom_png, tiny_xray_predictor):
    r = client.post("/api/v1/xray", data={"file": (io.BytesIO(phantom_png), "h.png")},
                    content_type="multipart/form-data")
    j = r.get_json()
    assert r.status_code == 200
    assert set(j) >= {"label", "probability_ra", "threshold", "model", "disclaimer"}
    assert j["model"]["sha256"] == tiny_xray_predictor.card["sha256"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": {}}, 400, "missing_file"),
        ({"data": {"file": (io.BytesIO(b"<svg></svg>"), "a.png")}}, 400, "unsupported_format"),
        ({"data": {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\nxx"), "a.png")}}, 400, "corrupt_image"),
    ],
)
def test_api_xray_errors(client, kwargs, status, code):
    r = client.post("/api/v1/xray", content_type="multipart/form-data", **kwargs)
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["message"]


def test_api_clinical(client, lab_values):
    r = client.post("/api/v1/clinical", json=lab_values)
    j = r.get_json()
    assert r.status_code == 200 and 0 <= j["probability_ra"] <= 1
    assert j["acr_eular"]["items"] and "disclaimer" in j
    r = client.post("/api/v1/clinical", json={**lab_values, "ESR": 400, "Gender": None})
    e = r.get_json()["error"]
    assert r.status_code == 400 and e["code"] == "invalid_lab_values"
    assert set(e["fields"]) == {"ESR", "Gender"}
    r = client.post("/api/v1/clinical", data="not json", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_json"


def test_healthz_and_json_404(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json()["status"] == "ok"
    r = client.get("/api/v1/nothing")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/xray").status_code == 405


def test_uploads_never_written_to_disk(app):
    """Werkzeug spools uploads over 500 KB to a temporary file; ours stay in memory."""
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * 900_000
    seen = {}
    app.config["WTF_CSRF_ENABLED"] = False  # the probe route is not a form

    @app.post("/_probe")
    def _probe():
        from flask import request

        seen["stream"] = type(request.files["file"].stream).__name__
        return "ok"

    r = app.test_client().post("/_probe", data={"file": (io.BytesIO(big), "big.png")},
                               content_type="multipart/form-data")
    assert r.status_code == 200
    assert seen["stream"] == "BytesIO"


def test_missing_models_give_503_not_a_crash(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "XRAY_MODEL_DIR": str(tmp_path / "none"),
                      "CLINICAL_MODEL_DIR": str(tmp_path / "none")})
    c = app.test_client()
    r = c.post("/api/v1/clinical", json={"Age": 50, "Gender": "Male"})
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "model_not_found"
    app.config["WTF_CSRF_ENABLED"] = False
    r = c.post("/labs", data={"Age": "50", "Gender": "Male"})
    assert r.status_code == 503 and "Model unavailable" in r.get_data(as_text=True)
