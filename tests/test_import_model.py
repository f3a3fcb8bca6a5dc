"""Issue 13: bring your own X-ray model — import, explain, calibrate, evaluate.

Each user model is built here (seeded, tiny) the way transfer-learning code builds them:
a Sequential CNN, a functional model with a nested MobileNetV2 backbone (weights=None) on RGB
160×160 with a sigmoid head and its own Rescaling layer, and a legacy .h5 file. Grad-CAM on the
imported folder is checked against a GradientTape reference computed on the *user's own* model.
"""

import json

import numpy as np
import pytest

from ra_models.errors import InvalidInputError


def _sequential(size=64):
    import keras
    from keras import layers

    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((size, size, 1)),
        layers.Conv2D(8, 3, activation="relu", padding="same", name="c1"),
        layers.MaxPooling2D(name="p1"),
        layers.Conv2D(8, 3, activation="relu", padding="same", name="c2"),
        layers.GlobalAveragePooling2D(name="g"),
        layers.Dense(2, activation="softmax", name="out"),
    ])


def _nested_mobilenet():
    import keras
    from keras import layers

    keras.utils.set_random_seed(2)
    base = keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False,
                                          weights=None, alpha=0.35)
    inp = keras.Input((160, 160, 3))
    x = layers.Rescaling(1 / 127.5, offset=-1, name="own_scaling")(inp)
    x = base(x)
    x = layers.GlobalAveragePooling2D(name="gap_user")(x)
    out = layers.Dense(1, activation="sigmoid", name="ra")(x)
    return keras.Model(inp, out)


def _tape_gradcam(user_model, layer_name, x_user, score_fn):
    """Reference Grad-CAM on the user's own model: ReLU(Σ_k mean ∂score/∂A_k · A_k)."""
    import keras
    import tensorflow as tf

    layer = user_model.get_layer(layer_name)
    # the layer's output in the user's graph (for a nested backbone, the node's output tensor,
    # not the backbone's inner output); the user model is freshly loaded, so one node each
    feat_t = layer._inbound_nodes[0].output_tensors[0] if isinstance(layer, keras.Model) else layer.output
    feat = keras.Model(user_model.inputs[0], feat_t)
    chain = [lay for lay in user_model.layers if not isinstance(lay, keras.layers.InputLayer)]
    after = chain[chain.index(layer) + 1: -1]  # up to the output layer's input
    with tf.GradientTape() as tape:
        a = tf.convert_to_tensor(feat(x_user, training=False))
        tape.watch(a)
        pre = a
        for lay in after:
            pre = lay(pre, training=False)
        s = score_fn(user_model, pre)
    g = tape.gradient(s, a)
    cam = tf.nn.relu(tf.reduce_sum(a * tf.reduce_mean(g, axis=(1, 2), keepdims=True), -1))
    return np.asarray(cam)[0]


def _check_cam(folder, user_model, layer_name, x01, to_user, score_fn):
    import keras

    from explain.cam import CamExplainer
    from ra_models.predictor import XrayPredictor
    from ra_models.preprocess import resize

    pred = XrayPredictor.load(folder)
    ours = CamExplainer.for_predictor(pred).raw_input(x01[None], "gradcam")[0]
    user_model = keras.saving.load_model(user_model, safe_mode=True)  # a fresh copy (path)
    ref = _tape_gradcam(user_model, layer_name, to_user(x01)[None], score_fn)
    ref = np.maximum(resize(ref, ours.shape), 0)
    assert ref.max() > 0
    corr = np.corrcoef(ours.ravel(), ref.ravel())[0, 1]
    assert corr > 0.999, corr
    return pred


def test_sequential_cnn_imports_and_explains(tmp_path):
    from ra_models.xray.importer import import_xray

    m = _sequential()
    src = tmp_path / "seq.keras"
    m.save(src)
    card = import_xray(src, tmp_path / "seq", classes=["Normal", "RA"], preprocess="rescale")
    assert card["architecture"]["gradcam_layer"] == "c2"  # the last 4-D map before the head
    assert card["provenance"]["inferred"]["cam_layer"] == "c2"
    assert card["provenance"]["told"]["preprocess"] == "rescale"
    x = np.random.default_rng(0).random((64, 64, 1)).astype(np.float32)
    # Grad-CAM for RA = logit of class 1
    pred = _check_cam(tmp_path / "seq", src, "c2", x, lambda v: v, _ra_logit)
    p_user = float(m(x[None])[0, 1])
    assert abs(float(pred.raw_probabilities(x[None])[0]) - p_user) < 1e-5
    # every CAM method runs on the imported folder (compiled paths included)
    from explain.cam import METHODS, CamExplainer

    ex = CamExplainer.for_predictor(pred)
    for method in METHODS:
        assert ex.heatmap(x, (80, 64), method).values.shape == (80, 64)


def _ra_logit(m, penultimate):
    import tensorflow as tf

    dense = m.layers[-1]
    logits = tf.matmul(penultimate, dense.kernel) + dense.bias
    return logits[:, 1]


def test_nested_mobilenet_rgb_sigmoid_with_its_own_scaling(tmp_path):
    from ra_models.xray.importer import import_xray

    m = _nested_mobilenet()
    src = tmp_path / "mnv2.keras"
    m.save(src)
    card = import_xray(src, tmp_path / "mnv2", classes=["healthy", "rheumatoid"],
                       positive="rheumatoid")
    assert card["provenance"]["inferred"]["preprocess"] == "none"  # its own Rescaling layer
    assert card["input"]["user_model_input"] == [160, 160, 3]
    cam_layer = card["architecture"]["gradcam_layer"]
    assert cam_layer.startswith("mobilenetv2")  # the nested backbone's last feature map
    x = np.random.default_rng(1).random((160, 160, 1)).astype(np.float32)

    def to_user(v):
        return np.repeat(v * 255.0, 3, axis=-1)

    def score(model, pre):
        import tensorflow as tf

        d = model.get_layer("ra")
        return (tf.matmul(pre, d.kernel) + d.bias)[:, 0]

    pred = _check_cam(tmp_path / "mnv2", src, cam_layer, x, to_user, score)
    p_user = float(m(to_user(x)[None])[0, 0])
    assert abs(float(pred.raw_probabilities(x[None])[0]) - p_user) < 1e-5


def test_h5_file_and_positive_class_first(tmp_path):
    import keras

    from ra_models.xray.importer import import_xray

    m = _sequential()
    src = tmp_path / "legacy.h5"
    m.save(src)
    card = import_xray(src, tmp_path / "h5", classes=["RA", "Normal"], positive="RA",
                       preprocess="rescale")
    assert card["provenance"]["source_file"] == "legacy.h5"
    loaded = keras.saving.load_model(tmp_path / "h5" / "model.keras", safe_mode=True)
    x = np.random.default_rng(2).random((3, 64, 64, 1)).astype(np.float32)
    # RA is the user's class 0: the folder's P(RA) is the user's output 0
    assert np.allclose(np.asarray(loaded(x))[:, 1], np.asarray(m(x))[:, 0], atol=1e-5)


def test_refusals_name_what_to_change(tmp_path):
    import keras
    from keras import layers

    from ra_models.xray.importer import import_xray

    inp = keras.Input((32, 32, 1))
    out = layers.Dense(2, activation="softmax")(layers.Flatten()(layers.Lambda(lambda t: t * 2)(inp)))
    src = tmp_path / "lambda.keras"
    keras.Model(inp, out).save(src)
    with pytest.raises(InvalidInputError, match="Lambda"):
        import_xray(src, tmp_path / "x", preprocess="rescale")
    m = _sequential()
    m.save(tmp_path / "seq.keras")
    with pytest.raises(InvalidInputError, match="--preprocess"):
        import_xray(tmp_path / "seq.keras", tmp_path / "y")  # no Rescaling layer: must be told
    with pytest.raises(InvalidInputError, match="not a layer"):
        import_xray(tmp_path / "seq.keras", tmp_path / "z", preprocess="rescale", cam_layer="nope")
    (tmp_path / "sm").mkdir()
    (tmp_path / "sm" / "saved_model.pb").write_bytes(b"")
    with pytest.raises(InvalidInputError, match="SavedModel without Keras metadata"):
        import_xray(tmp_path / "sm", tmp_path / "w")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_import_calibrate_evaluate_on_phantoms(tmp_path, tiny_phantoms):
    """The README's four commands on a small phantom folder: import, calibrate, evaluate and
    the apps' predictor (with OOD check and fixed-scale heatmaps)."""
    from ra_models.cli import main
    from ra_models.ood import OODChecker
    from ra_models.predictor import XrayPredictor

    m = _sequential(64)
    m.save(tmp_path / "mine.keras")
    out = tmp_path / "imported"
    assert main(["import", "xray", "--model", str(tmp_path / "mine.keras"), "--out", str(out),
                 "--classes", "Normal,RA", "--preprocess", "rescale", "--who", "test"]) == 0
    assert main(["calibrate", "xray", "--model", str(out), "--data", str(tiny_phantoms)]) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["calibration"]["method"] == "temperature scaling"
    assert "Youden" in card["threshold_rule"] and 0 < card["threshold"] < 1
    assert set(card["cam_reference"]) == {"gradcam", "gradcam++", "scorecam"}
    assert card["ood"]["layer"] == "c2" and card["provenance"]["imported_by"] == "test"
    assert main(["evaluate", "xray", "--model", str(out), "--data", str(tiny_phantoms),
                 "--report", str(tmp_path / "rep")]) == 0
    pred = XrayPredictor.load(out)
    assert pred.input_size == 64
    ood = OODChecker.load(out)
    img = np.random.default_rng(3).random((100, 90)).astype(np.float32)
    _, x, _ = pred.prepare(img)
    assert x.shape == (64, 64, 1)
    assert ood.check(pred.model, x).distance > 0


def test_streamlit_model_picker_answers_with_the_chosen_model(tmp_path, monkeypatch, tiny_xray_dir,
                                                              tiny_clinical_dir):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from ra_models.xray.importer import import_xray

    m = _sequential(64)
    m.save(tmp_path / "ours.keras")
    root = tmp_path / "models"
    import_xray(tmp_path / "ours.keras", root / "our-lab-cnn", preprocess="rescale")
    monkeypatch.setenv("RA_XRAY_MODEL_DIR", str(tiny_xray_dir))
    monkeypatch.setenv("RA_CLINICAL_MODEL_DIR", str(tiny_clinical_dir))
    monkeypatch.setenv("RA_XRAY_MODELS", str(root))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"),
                           default_timeout=120).run()
    picker = at.sidebar.selectbox(key="xray_model")
    assert [Path(o).name for o in picker.options] == [tiny_xray_dir.name, "our-lab-cnn"]
    picker.set_value(str(root / "our-lab-cnn")).run()
    at.switch_page("app_pages/xray.py").run()
    at.radio(key="xray_source").set_value("Use a shipped sample").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "user-ours" in captions  # the answer names the model that gave it
    at.switch_page("app_pages/model_cards.py").run()
    assert not at.exception and any("user-ours" in h.value for h in at.subheader)


def test_export_for_tensorflow_serving_round_trips(tmp_path, tiny_xray_dir):
    from ra_models.cli import main
    from ra_models.preprocess import prepare_xray
    from ra_models.synthetic.generator import make_phantom
    from ra_models.xray.export import check_export

    assert main(["export", "xray", "--model", str(tiny_xray_dir), "--out", str(tmp_path / "exp")]) == 0
    assert (tmp_path / "exp" / "1" / "saved_model.pb").exists()
    x = np.stack([prepare_xray(make_phantom(s, "RA", 128)[0]) for s in (1, 2, 3)])
    r = check_export(tmp_path / "exp" / "1", tiny_xray_dir, x)
    assert r["max_abs_dp"] <= 1e-5 and r["max_abs_dp_serving"] <= 1e-5
    assert r["min_cam_corr"] >= 0.999, r


def test_fine_tune_from_your_own_backbone_weights_on_cpu(tmp_path, tiny_phantoms):
    """§4: a backbone weights file on disk is loaded, the head trains with the backbone frozen,
    then the top of the backbone at a lower rate; the bottom of the backbone keeps the file's
    weights exactly (loaded and frozen), and the card states the schedule."""
    import keras

    from ra_models.xray.train import train_xray

    keras.utils.set_random_seed(7)
    donor = keras.applications.MobileNetV2(input_shape=(224, 224, 3), include_top=False,
                                           weights=None, alpha=0.35)
    wfile = tmp_path / "backbone.weights.h5"
    donor.save_weights(wfile)
    card = train_xray(tiny_phantoms, tmp_path / "ft", arch="mobilenetv2", alpha=0.35,
                      weights=str(wfile), epochs=2, head_epochs=1, batch_size=16,
                      learning_rate=1e-3, n_boot=20, verbose=0)
    sched = card["training"]["fine_tune_schedule"]
    assert sched.startswith("1 epoch(s) with the backbone frozen") and "BatchNorm frozen" in sched
    assert card["training"]["weights"] == "backbone.weights.h5"
    assert card["training"]["device"].startswith("CPU")
    trained = keras.saving.load_model(tmp_path / "ft" / "model.keras", safe_mode=True)
    first_conv = donor.get_layer("Conv1").get_weights()[0]
    assert np.array_equal(trained.get_layer("Conv1").get_weights()[0], first_conv)
    top = donor.get_layer("Conv_1").get_weights()[0]  # the last conv: unfrozen, so it moved
    assert not np.array_equal(trained.get_layer("Conv_1").get_weights()[0], top)


def test_softmax_over_more_classes_keeps_p_ra_and_explains_the_ra_logit(tmp_path):
    """K > 2 classes: P(RA) is the user's softmax output for RA exactly, and Grad-CAM uses the
    RA logit before the softmax (checked against a GradientTape reference on the user model)."""
    import keras
    from keras import layers

    from ra_models.xray.importer import import_xray

    keras.utils.set_random_seed(3)
    inp = keras.Input((48, 48, 1))
    x = layers.Rescaling(1 / 255.0)(inp)
    x = layers.Conv2D(6, 3, activation="relu", name="feat")(x)
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(4, activation="softmax", name="cls")(x)  # OA, RA, PsA, gout
    m = keras.Model(inp, out)
    src = tmp_path / "four.keras"
    m.save(src)
    card = import_xray(src, tmp_path / "four", classes=["OA", "RA", "PsA", "gout"], positive="RA")
    assert card["architecture"]["cam_score"] == "logits"
    x01 = np.random.default_rng(1).random((48, 48, 1)).astype(np.float32)
    pred = _check_cam(tmp_path / "four", src, "feat", x01, lambda v: v * 255.0, _ra_logit)
    p_user = float(m(x01[None] * 255.0)[0, 1])
    assert abs(float(pred.raw_probabilities(x01[None])[0]) - p_user) < 1e-5


def test_branching_graph_with_a_residual_add_and_towers_imports_and_explains(tmp_path):
    """A top-level graph that branches (two towers concatenated, a residual add) is replayed
    node by node; P(RA) and Grad-CAM match the user's model."""
    import keras
    from keras import layers

    from ra_models.xray.importer import import_xray

    keras.utils.set_random_seed(5)
    inp = keras.Input((56, 56, 1))
    a = layers.Conv2D(4, 3, padding="same", activation="relu", name="tower_a")(inp)
    b = layers.Conv2D(4, 5, padding="same", activation="relu", name="tower_b")(inp)
    x = layers.Concatenate(name="towers")([a, b])
    x = layers.MaxPooling2D(name="pool")(x)
    r = layers.Conv2D(8, 3, padding="same", activation="relu", name="res_conv")(x)
    x = layers.Add(name="residual")([x, r])
    x = layers.Conv2D(8, 3, activation="relu", name="last_conv")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    out = layers.Dense(2, activation="softmax", name="cls")(x)
    m = keras.Model(inp, out)
    src = tmp_path / "branchy.keras"
    m.save(src)
    card = import_xray(src, tmp_path / "branchy", classes=["Normal", "RA"], preprocess="rescale")
    assert card["architecture"]["gradcam_layer"] == "last_conv"
    x01 = np.random.default_rng(4).random((56, 56, 1)).astype(np.float32)
    pred = _check_cam(tmp_path / "branchy", src, "last_conv", x01, lambda v: v, _ra_logit)
    assert abs(float(pred.raw_probabilities(x01[None])[0]) - float(m(x01[None])[0, 1])) < 1e-5


@pytest.fixture(scope="module")
def keras2_savedmodels(tmp_path_factory):
    """SavedModel folders written by Keras 2 itself (tf_keras, a dev requirement), in a separate
    process: the format most models trained before Keras 3 are in."""
    import importlib.util
    import os
    import subprocess
    import sys
    from pathlib import Path

    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf_keras is not installed (make test installs it)")
    out = tmp_path_factory.mktemp("keras2")
    script = Path(__file__).with_name("keras2_savedmodels.py")
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True,
                   timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return out


def test_keras2_savedmodel_with_nested_backbone_imports_with_its_weights(tmp_path,
                                                                          keras2_savedmodels):
    from ra_models.predictor import XrayPredictor
    from ra_models.xray.importer import import_xray, load_user_model

    src = keras2_savedmodels / "mnv2_sigmoid"
    card = import_xray(src, tmp_path / "mnv2", classes=["Normal", "RA"])
    assert card["provenance"]["inferred"]["preprocess"] == "none"  # its own Rescaling layer
    assert card["provenance"]["source_file"] == "mnv2_sigmoid"
    assert len(card["provenance"]["source_sha256"]) == 64
    cam_layer = card["architecture"]["gradcam_layer"]
    assert cam_layer.startswith("mobilenetv2")
    ref = np.load(keras2_savedmodels / "mnv2_sigmoid.npz")
    # every weight came across: the rebuilt model answers as Keras 2 did (moving averages too)
    rebuilt = load_user_model(src)
    assert np.allclose(np.asarray(rebuilt(ref["x"])), ref["p"], atol=1e-5)
    pred = XrayPredictor.load(tmp_path / "mnv2")
    gray = ref["x"][..., :1] / 255.0  # what the folder takes: one grey channel in [0, 1]
    assert np.allclose(pred.raw_probabilities(gray), ref["p"][:, 0], atol=1e-5)
    # the same model as a Keras 2 .h5 file (DepthwiseConv2D configs carry Keras 2's `groups`)
    import_xray(keras2_savedmodels / "mnv2_sigmoid.h5", tmp_path / "mnv2_h5", classes=["Normal", "RA"])
    pred = XrayPredictor.load(tmp_path / "mnv2_h5")
    assert np.allclose(pred.raw_probabilities(gray), ref["p"][:, 0], atol=1e-5)


def test_keras2_sequential_savedmodel_explains_like_the_tape(tmp_path, keras2_savedmodels):
    import keras

    from ra_models.xray.importer import import_xray, load_user_model

    src = keras2_savedmodels / "seq_softmax"
    card = import_xray(src, tmp_path / "seq", classes=["Normal", "RA"], preprocess="rescale")
    assert card["architecture"]["gradcam_layer"] == "c2"
    ref = np.load(keras2_savedmodels / "seq_softmax.npz")
    rebuilt = load_user_model(src)
    assert isinstance(rebuilt, keras.Sequential)
    assert np.allclose(np.asarray(rebuilt(ref["x"])), ref["p"], atol=1e-5)
    # Grad-CAM on the imported folder against a GradientTape reference on the rebuilt model
    user = tmp_path / "rebuilt.keras"
    rebuilt.save(user)
    pred = _check_cam(tmp_path / "seq", user, "c2", ref["x"][0], lambda v: v, _ra_logit)
    assert np.allclose(pred.raw_probabilities(ref["x"]), ref["p"][:, 1], atol=1e-5)


def test_keras2_savedmodel_with_code_or_without_keras_metadata_is_refused(tmp_path,
                                                                          keras2_savedmodels):
    from ra_models.xray.importer import import_xray

    with pytest.raises(InvalidInputError, match="Lambda"):
        import_xray(keras2_savedmodels / "with_lambda", tmp_path / "a", preprocess="rescale")
    m = _sequential()
    m.export(tmp_path / "exported", verbose=False)  # Keras 3's serving export: no layers inside
    with pytest.raises(InvalidInputError, match="without Keras metadata"):
        import_xray(tmp_path / "exported", tmp_path / "b", preprocess="rescale")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
