"""Explanations: CAM shape/range on the trained and reloaded CNN, a toy whose evidence sits in one
quadrant, SHAP additivity and signs, deterministic overlays."""

import numpy as np
import pandas as pd
import pytest

from explain.cam import METHODS, CamExplainer, to_original
from explain.overlay import overlay_heatmap, overlay_png


@pytest.fixture(scope="module")
def prepared(phantom_png):
    from ra_models import prepare_xray, read_image

    img, _ = read_image(phantom_png)
    return img, prepare_xray(img)


@pytest.mark.parametrize("method", METHODS)
def test_cam_on_trained_and_reloaded_model(tiny_xray_dir, tiny_xray_predictor, prepared, method):
    """Grad-CAM family runs on the model as trained (in memory) and as reloaded from .keras."""
    import keras

    from ra_models.xray.model import GRADCAM_LAYER

    img, x = prepared
    reloaded = keras.saving.load_model(tiny_xray_dir / "model.keras", safe_mode=True)
    for model in (tiny_xray_predictor.model, reloaded):
        cam = CamExplainer(model, GRADCAM_LAYER).compute(x, img.shape, method)
        assert cam.shape == img.shape and cam.dtype == np.float32
        assert np.isfinite(cam).all() and cam.min() >= 0 and cam.max() <= 1


def test_to_original_undoes_padding():
    cam = np.zeros((224, 224), np.float32)
    cam[:, :112] = 1.0  # left half hot
    out = to_original(cam, (100, 50))  # portrait image padded left/right
    assert out.shape == (100, 50)
    # the 50-wide image sits in the middle of a 100-wide square: columns 25..75 of the square
    assert out[:, :20].mean() > 0.9 and out[:, -20:].mean() < 0.1


@pytest.fixture(scope="module")
def quadrant_model():
    """Class 1 iff a bright square sits in the top-left quadrant. Both classes carry bright
    line distractors in the other three quadrants, so only the top-left decides."""
    import keras
    from keras import layers

    rng = np.random.default_rng(0)
    n, s = 600, 32
    x = rng.normal(0.2, 0.05, (n, s, s, 1)).astype(np.float32)
    y = rng.integers(0, 2, n)
    for i in range(n):
        r, c = rng.integers(2, 10, 2)
        if y[i]:
            x[i, r:r + 5, c:c + 5] = 1.0  # top-left
        for q in ((0, 16), (16, 0), (16, 16)):  # 1-px lines in the other quadrants
            qr, qc = q[0] + rng.integers(2, 14), q[1] + rng.integers(1, 8)
            x[i, qr, qc:qc + 8] = 1.0
    keras.utils.set_random_seed(0)
    inp = keras.Input((s, s, 1))
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(16, 3, padding="same", activation="relu", name="gradcam_conv")(h)
    h = layers.GlobalAveragePooling2D()(h)
    out = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.95
    return model, x[y == 1][:10]


@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
def test_cam_peaks_in_the_informative_quadrant(quadrant_model, method):
    model, xs = quadrant_model
    cams = CamExplainer(model, "gradcam_conv").compute_input(xs, method)
    hits = 0
    for cam in cams:
        r, c = np.unravel_index(np.argmax(cam), cam.shape)
        hits += (r < 16 and c < 16)
    assert hits >= 9


def test_overlay_is_deterministic_and_shaped(rng):
    img = rng.random((60, 80)).astype(np.float32)
    heat = rng.random((60, 80)).astype(np.float32)
    a = overlay_png(img, heat, alpha=0.4)
    b = overlay_png(img.copy(), heat.copy(), alpha=0.4)
    assert a == b
    rgb = overlay_heatmap(img, heat, alpha=0.0, contour=False)
    assert rgb.shape == (60, 80, 3) and rgb.dtype == np.uint8
    assert np.array_equal(rgb[..., 0], np.round(img * 255).astype(np.uint8))  # alpha 0 = image
    assert overlay_png(img, heat, alpha=0.7) != a
    with pytest.raises(ValueError, match="differ in shape"):
        overlay_heatmap(img, heat[:10])


def test_zero_heat_leaves_the_film_untouched_and_muted_is_fainter(rng):
    """No colour where there is no evidence; a muted overlay departs less from the film."""
    img = rng.random((64, 64)).astype(np.float32)
    heat = np.zeros((64, 64), np.float32)
    heat[20:40, 20:40] = 0.9
    gray = np.round(img * 255).astype(np.uint8)
    rgb = overlay_heatmap(img, heat, alpha=0.6, contour=False)
    assert np.array_equal(rgb[:10, :10, 0], gray[:10, :10])  # heat 0 -> film as it is
    hot = np.abs(rgb[25:35, 25:35].astype(int) - gray[25:35, 25:35, None]).mean()
    muted = overlay_heatmap(img, heat, alpha=0.6, muted=True)
    soft = np.abs(muted[25:35, 25:35].astype(int) - gray[25:35, 25:35, None]).mean()
    assert hot > 20 and 0 < soft < hot / 1.5
    # a weak map (fixed scale) gets no outline: nothing reaches 0.25 (the film itself is kept
    # below white so that white pixels can only be outline)
    dim = img * 0.9
    assert (overlay_heatmap(dim, heat, alpha=0.0, contour=True) == 255).all(axis=-1).any()
    weak = overlay_heatmap(dim, heat * 0.2, alpha=0.0, contour=True)
    assert not (weak == 255).all(axis=-1).any()


def test_explained_overlay_carries_a_colour_bar_with_words(rng):
    from explain.cam import Heatmap
    from explain.overlay import colorbar, explained_overlay

    img = rng.random((300, 240)).astype(np.float32)
    hm = Heatmap(np.zeros((300, 240), np.float32), "gradcam", "fixed", 0.0)
    out = explained_overlay(img, hm, min_width=0)
    assert out.shape[1] == 240 and out.shape[0] > 300
    bar = out[300:]
    # a small film is enlarged so that the words stay legible
    big = explained_overlay(img, hm)
    assert big.shape[1] == 512 and big.shape[0] > 640
    # the gradient runs dark -> bright (inferno) from left to right
    row = bar[bar.shape[0] // 4].astype(int).sum(axis=-1)
    assert row[10] < row[-10]
    # words were drawn (dark pixels on white below the gradient), and fit a narrow film too
    assert (bar[bar.shape[0] // 2:] < 100).any()
    assert colorbar(80, *hm.legend).shape[1] == 80


# --- SHAP -------------------------------------------------------------------------------

def test_shap_additivity_and_raw_unit_labels(tiny_clinical_predictor, lab_values):
    from explain.shap_values import LabExplainer

    ex = LabExplainer(tiny_clinical_predictor)
    e = ex.explain(lab_values)
    total = e["base_value"] + sum(c["shap"] for c in e["contributions"])
    assert abs(total - e["prediction"]) < 1e-6
    p = tiny_clinical_predictor.predict(lab_values).probability_ra
    assert abs(p - e["prediction"]) < 1e-6
    labels = {c["feature"]: c["label"] for c in e["contributions"]}
    assert labels["CRP"] == "CRP = 14 mg/L" and labels["Anti-CCP"] == "Anti-CCP = 120 U/mL"
    assert labels["Gender"] == "Gender = Female"


class _LinearToy:
    """A monotone model in the scaled space: P = sigmoid(2·RF_z + 1·CRP_z)."""

    def __init__(self, background):
        from ra_models.clinical.preprocessing import LabPreprocessor

        self.pre = LabPreprocessor().fit(background)
        self.background = background
        self.feature_names = self.pre.feature_names
        self.w = np.zeros(len(self.feature_names))
        self.w[self.feature_names.index("RF")] = 2.0
        self.w[self.feature_names.index("CRP")] = 1.0

    def transform(self, rows):
        return self.pre.transform(rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows)))

    def predict_scaled(self, x):
        return 1 / (1 + np.exp(-(np.asarray(x) @ self.w)))

    def missing_mask(self, rows):
        return np.zeros((len(rows), len(self.feature_names)), bool)


def test_shap_signs_follow_a_monotone_toy():
    from explain.shap_values import LabExplainer
    from ra_models.clinical.cohort import generate_cohort

    bg = generate_cohort(200, 0)[["Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP"]]
    ex = LabExplainer(_LinearToy(bg))
    high = ex.explain({"Age": 50, "Gender": "Male", "ESR": 10, "CRP": 80, "RF": 400, "Anti-CCP": 5})
    low = ex.explain({"Age": 50, "Gender": "Male", "ESR": 10, "CRP": 0.2, "RF": 1, "Anti-CCP": 5})
    sh = {c["feature"]: c["shap"] for c in high["contributions"]}
    sl = {c["feature"]: c["shap"] for c in low["contributions"]}
    assert sh["RF"] > 0 and sh["CRP"] > 0 and sl["RF"] < 0 and sl["CRP"] < 0
    for f in ("Age", "Gender", "ESR", "Anti-CCP"):  # zero weight -> zero attribution
        assert abs(sh[f]) < 1e-9 and abs(sl[f]) < 1e-9


def test_exact_shapley_equals_the_shap_library(tiny_clinical_predictor, lab_values):
    """Our NumPy exact Shapley values are shap.ExactExplainer's (the reference) when every
    feature is measured."""
    import shap

    from explain.shap_values import LabExplainer

    pred = tiny_clinical_predictor
    ex = LabExplainer(pred)
    rows = [dict(lab_values), {**lab_values, "CRP": 2, "RF": 300}, {**lab_values, "Age": 30}]
    x = pred.transform([pred_clean(r) for r in rows])
    ours, base, p = ex.explain_scaled(x)
    ref = shap.ExactExplainer(pred.predict_scaled,
                              shap.maskers.Independent(ex.background, max_samples=len(ex.background)))(x)
    assert np.abs(ours - ref.values).max() < 1e-6
    assert np.abs(base - np.asarray(ref.base_values).reshape(-1)).max() < 1e-6


def pred_clean(values):
    from ra_models.clinical.loader import validate_lab_values

    return validate_lab_values(values)


def test_not_measured_marker_gets_no_attribution(tiny_clinical_predictor, lab_values):
    from explain.shap_values import LabExplainer

    e = LabExplainer(tiny_clinical_predictor).explain({**lab_values, "Anti-CCP": None})
    c = {x["feature"]: x for x in e["contributions"]}
    assert c["Anti-CCP"]["shap"] == 0 and not c["Anti-CCP"]["measured"]
    assert c["Anti-CCP"]["label"] == "Anti-CCP not measured"
    assert abs(e["base_value"] + sum(x["shap"] for x in e["contributions"]) - e["prediction"]) < 1e-6
    r = tiny_clinical_predictor.predict({**lab_values, "Anti-CCP": None})
    assert abs(r.probability_ra - e["prediction"]) < 1e-6
    assert "background patients" in e["base_note"]


def test_shap_charts_render(tiny_clinical_predictor, lab_values):
    from explain.plots import shap_bar_png, shap_waterfall_png
    from explain.shap_values import LabExplainer

    e = LabExplainer(tiny_clinical_predictor).explain(lab_values)
    for png in (shap_bar_png(e), shap_waterfall_png(e)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


@pytest.mark.parametrize("method", METHODS)
def test_compiled_cams_equal_tf_keras_vis(tiny_xray_predictor, prepared, quadrant_model, method):
    """Every fast path is the same arithmetic as tf-keras-vis (the reference), on raw maps."""
    from ra_models.xray.model import GRADCAM_LAYER

    _, x = prepared
    ex = CamExplainer(tiny_xray_predictor.model, GRADCAM_LAYER)
    for target in (0, 1):
        fast = ex.raw_input(x[None], method, target)
        ref = ex.raw_input(x[None], method, target, reference=True)
        scale = max(float(ref.max()), 1e-12)
        assert np.abs(fast - ref).max() / scale < 1e-3, (method, target)
        assert fast.max() > 0 or ref.max() == 0
    model, xs = quadrant_model
    ex = CamExplainer(model, "gradcam_conv")
    for xi in xs[:4]:  # one at a time: tf-keras-vis' Score-CAM pools channel choices over a batch
        fast, ref = ex.raw_input(xi[None], method), ex.raw_input(xi[None], method, reference=True)
        assert np.abs(fast - ref).max() / max(float(ref.max()), 1e-12) < 1e-3


def test_fixed_scale_keeps_weak_evidence_cool(tiny_xray_predictor, prepared):
    """On the fixed scale a map is divided by the card's reference, not its own maximum: a
    reference twice the film's peak gives a map whose maximum is 0.5; "relative" gives 1."""
    from ra_models.xray.model import GRADCAM_LAYER

    img, x = prepared
    plain = CamExplainer(tiny_xray_predictor.model, GRADCAM_LAYER)
    peak = float(plain.raw_input(x[None])[0].max())
    assert peak > 0
    ex = CamExplainer(tiny_xray_predictor.model, GRADCAM_LAYER, references={"gradcam": 2 * peak})
    fixed = ex.heatmap(x, None, "gradcam")
    assert fixed.scale == "fixed" and fixed.values.max() == pytest.approx(0.5, abs=1e-3)
    assert fixed.peak == pytest.approx(0.5, abs=1e-3)
    assert "validation films" in fixed.legend[1] and "not evidence against" in fixed.caption
    rel = ex.heatmap(x, None, "gradcam", scale="relative")
    assert rel.scale == "relative" and rel.values.max() == pytest.approx(1.0)
    assert "this film" in rel.legend[1]
    # a strong film saturates at 1 instead of exceeding it
    ex_low = CamExplainer(tiny_xray_predictor.model, GRADCAM_LAYER, references={"gradcam": peak / 4})
    assert ex_low.heatmap(x, img.shape).values.max() == pytest.approx(1.0)
    # no reference for a method: "fixed" falls back to relative and says so
    assert ex.heatmap(x, None, "gradcam++").scale == "relative"
    with pytest.raises(ValueError, match="scale"):
        ex.heatmap(x, None, "gradcam", scale="absolute")


def test_card_references_are_validated():
    from explain.cam import references_from_card

    card = {"cam_reference": {"gradcam": {"value": 2.5}, "gradcam++": {"value": -1},
                              "scorecam": {"value": float("nan")}, "bogus": {"value": 3}}}
    assert references_from_card(card) == {"gradcam": 2.5}
    assert references_from_card({}) == {}
