"""What a person reads: the case-report PDF, image details, Flask branding and favicon."""

import io

import numpy as np
import pytest


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.fixture()
def result(tiny_xray_predictor, phantom_png):
    return tiny_xray_predictor.predict(phantom_png)


def _report(result, **kw):
    from explain.cam import Heatmap
    from explain.overlay import explained_overlay
    from ra_models.report import case_report_pdf

    img = np.linspace(0, 1, 128 * 96, dtype=np.float32).reshape(128, 96)
    hm = Heatmap(np.zeros_like(img), "gradcam", "fixed", 0.0)
    return case_report_pdf(img, explained_overlay(img, hm), result, method_label="Grad-CAM",
                           heatmap_caption=hm.caption, **kw)


def test_pdf_names_the_case_and_says_the_disclaimer_once(result):
    text = _pdf_text(_report(result, case_name="patient-0042.dcm"))
    assert "patient-0042.dcm" in text
    assert text.count("not a diagnosis") == 1
    assert "P(RA) = >" not in text and "P(RA)" in text
    assert "not evidence against RA" in text  # the heatmap caption travels with the map


def test_pdf_first_line_says_not_assessable(result):
    text = _pdf_text(_report(result, case_name="chest.png", ood_reasons=("not a hand film",)))
    body = text[text.index("chest.png"):]
    first = body.splitlines()[1]
    assert first.startswith("NOT ASSESSABLE")
    assert "Model output" not in text


def test_probability_phrase_never_reads_equals_greater():
    from ra_models.report import _probability_phrase

    assert _probability_phrase("> 99.9%") == "P(RA) > 99.9%"
    assert _probability_phrase("< 0.1%") == "P(RA) < 0.1%"
    assert _probability_phrase("42.0%") == "P(RA) = 42.0%"


def test_image_details_are_words(tmp_path):
    from ra_models.imaging import describe_meta, read_image
    from ra_models.synthetic.dataset import write_dicom

    rows = dict(describe_meta(read_image(_gray_png()).meta))
    assert rows["Format"] == "PNG" and rows["Size as stored"] == "80 × 64 pixels"
    assert rows["Pixels"] == "grayscale" and rows["Done on intake"] == "Used as stored"
    write_dicom(tmp_path / "m1.dcm", np.linspace(0, 1, 96 * 96).reshape(96, 96), monochrome1=True)
    rows = dict(describe_meta(read_image(tmp_path / "m1.dcm").meta))
    assert rows["Format"] == "DICOM" and "stored inverted" in rows["Pixels"]
    assert "MONOCHROME1 inverted" in rows["Done on intake"]


def _gray_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.zeros((64, 80), np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_flask_branding_and_favicon(client):
    home = client.get("/").get_data(as_text=True)
    assert "decision support" in home and "Detection" not in home and "detection" not in home
    assert 'rel="icon"' in home
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"
    assert client.get("/static/favicon.svg").status_code == 200
