"""Shared fixtures: tiny models trained in the test session on small seeded synthetic data."""

from __future__ import annotations

import io
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def png_bytes(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode=mode).save(buf, format="PNG") if mode else \
        Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def phantom_png() -> bytes:
    from ra_models.synthetic.dataset import to_uint8
    from ra_models.synthetic.generator import make_phantom

    img, _, _ = make_phantom(11, "RA", 256)
    return png_bytes(to_uint8(img))


@pytest.fixture(scope="session")
def tiny_phantoms(tmp_path_factory):
    from ra_models.synthetic.dataset import generate_dataset

    out = tmp_path_factory.mktemp("phantoms")
    generate_dataset(out, 48, seed=5, size=128, workers=1)
    return out


@pytest.fixture(scope="session")
def tiny_xray_dir(tiny_phantoms, tmp_path_factory):
    """A real training run at toy size: 48 phantoms, 2 epochs, 4 base filters."""
    from ra_models.xray.train import train_xray

    out = tmp_path_factory.mktemp("xray_model")
    train_xray(tiny_phantoms, out, epochs=2, seed=0, base_filters=4, batch_size=16,
               learning_rate=1e-3, n_boot=50, verbose=0)
    return out


@pytest.fixture(scope="session")
def tiny_xray_predictor(tiny_xray_dir):
    from ra_models.predictor import XrayPredictor

    return XrayPredictor.load(tiny_xray_dir)


@pytest.fixture(scope="session")
def tiny_clinical_dir(tmp_path_factory):
    from ra_models.clinical.train import train_clinical

    out = tmp_path_factory.mktemp("clinical_model")
    train_clinical(None, out, n=2500, seed=0, epochs=25, cv_folds=0, n_background=40)
    return out


@pytest.fixture(scope="session")
def tiny_clinical_predictor(tiny_clinical_dir):
    from ra_models.predictor import ClinicalPredictor

    return ClinicalPredictor.load(tiny_clinical_dir)


@pytest.fixture
def lab_values():
    return {"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 65, "Anti-CCP": 120}


@pytest.fixture
def app(tiny_xray_predictor, tiny_clinical_predictor):
    """The Flask app on the tiny models (test mode)."""
    from flask_app import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test"},
                      xray_predictor=tiny_xray_predictor, clinical_predictor=tiny_clinical_predictor)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_token():
    """``csrf_token(client, path)``: the CSRF token of the Flask form page at ``path``."""
    import re

    def token(client, path: str) -> str:
        html = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return token


@pytest.fixture
def at(monkeypatch, tiny_xray_dir, tiny_clinical_dir):
    """The Streamlit app through AppTest, on the tiny models, after its first run."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RA_XRAY_MODEL_DIR", str(tiny_xray_dir))
    monkeypatch.setenv("RA_CLINICAL_MODEL_DIR", str(tiny_clinical_dir))
    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"),
                            default_timeout=120)
    app.run()
    assert not app.exception
    return app


@pytest.fixture(scope="session")
def in_distribution_png(tiny_xray_predictor, tiny_xray_dir, tiny_phantoms) -> bytes:
    """The tiny model's most typical training film (lowest OOD distance): always assessable."""
    from pathlib import Path

    from ra_models.ood import OODChecker

    files = sorted(Path(tiny_phantoms).rglob("*.png"))
    files = [f for f in files if "masks" not in f.parts]
    ood = OODChecker.load(tiny_xray_dir)
    x = np.stack([tiny_xray_predictor.prepare(f.read_bytes())[1] for f in files])
    best = files[int(np.argmin(ood.distances(tiny_xray_predictor.model, x)))]
    return best.read_bytes()
