"""Issue 10 §2: no RA/Normal verdict on a film the model cannot judge, on every surface."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def colour_photo() -> bytes:
    """A colour photograph-like image: the OOD check flags colour images deterministically."""
    rng = np.random.default_rng(4)
    arr = (rng.random((160, 200, 3)) * 255).astype(np.uint8)
    arr[..., 0] = 200  # strongly coloured
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG")
    return buf.getvalue()


def test_analysis_withholds_label(tiny_xray_predictor, tiny_xray_dir, colour_photo, phantom_png):
    from ra_models.analysis import NOT_ASSESSABLE, analyse_xray
    from ra_models.ood import OODChecker

    ood = OODChecker.load(tiny_xray_dir)
    a = analyse_xray(tiny_xray_predictor, colour_photo, ood)
    assert not a.assessable and a.label == NOT_ASSESSABLE
    assert any("colour" in r for r in a.ood_dict()["reasons"])
    b = analyse_xray(tiny_xray_predictor, phantom_png, None)
    assert b.assessable and b.label in ("RA", "Normal")


def test_api_says_not_assessable(client, colour_photo):
    r = client.post("/api/v1/xray?svh=1", data={"file": (io.BytesIO(colour_photo), "photo.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    body = r.get_json()
    assert body["label"] == "not_assessable" and body["assessable"] is False
    assert body["ood"]["flagged"] is True and body["ood"]["reasons"]
    assert {"score", "threshold"} <= set(body["ood"])
    assert body["svh"] is None  # joint scores are withheld with the verdict


def test_api_hand_film_keeps_its_verdict_and_ood_block(client, in_distribution_png):
    body = client.post("/api/v1/xray", data={"file": (io.BytesIO(in_distribution_png), "hand.png")},
                       content_type="multipart/form-data").get_json()
    assert body["svh"] is None  # joint scores only on request
    body = client.post("/api/v1/xray?svh=1",
                       data={"file": (io.BytesIO(in_distribution_png), "hand.png")},
                       content_type="multipart/form-data").get_json()
    assert body["ood"]["flagged"] is False and body["ood"]["score"] <= body["ood"]["threshold"]
    assert body["label"] in ("RA", "Normal") and body["assessable"] is True
    # the joint-level scorer's grades for every SvH area, with the model that gave them
    svh = body["svh"]
    assert len(svh["erosion"]) == 16 and len(svh["narrowing"]) == 15
    assert all(0 <= g <= 5 for g in svh["erosion"].values())
    assert all(0 <= g <= 4 for g in svh["narrowing"].values())
    assert svh["totals"]["erosion"] == sum(svh["erosion"].values())
    assert svh["model"]["name"] and "not validated on real films" in svh["note"]


def test_flask_page_folds_joint_scores_under_a_verdict(client, csrf_token, in_distribution_png):
    page = client.post("/xray", data={"csrf_token": csrf_token(client, "/xray"),
                                      "file": (io.BytesIO(in_distribution_png), "hand.png")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Not assessable" not in page
    assert "Joint damage (Sharp/van der Heijde), teaching scorer: erosion" in page


def test_flask_page_withholds_verdict(client, csrf_token, colour_photo):
    r = client.post("/xray", data={"csrf_token": csrf_token(client, "/xray"), "file": (io.BytesIO(colour_photo), "photo.png")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Not assessable" in page
    assert "Predicted class" not in page
    assert "<details>" in page and "not meaningful for this image" in page
    assert "Sharp/van der Heijde" not in page  # no joint scores either


def test_batch_marks_and_counts_not_assessable(tiny_xray_predictor, tiny_xray_dir, colour_photo,
                                               phantom_png):
    from ra_models.batch import batch_xray
    from ra_models.ood import OODChecker

    df = batch_xray(tiny_xray_predictor, [("photo.png", colour_photo), ("hand.png", phantom_png)],
                    ood_checker=OODChecker.load(tiny_xray_dir))
    row = df.set_index("file").loc["photo.png"]
    assert row["label"] == "Not assessable" and row["assessable"].startswith("no: ")
    assert (df["assessable"].str.startswith("no")).sum() >= 1


def test_streamlit_page_replaces_banner(at, colour_photo):
    at.switch_page("app_pages/xray.py").run()
    at.file_uploader(key="xray_upload").set_value(("photo.png", colour_photo, "image/png")).run()
    assert not at.exception
    assert any("Not assessable" in e.value for e in at.error)
    assert not any("RA pattern" in x.value for x in [*at.error, *at.success, *at.warning])
    assert any(e.label == "Details — not meaningful for this image" for e in at.expander)
