"""X-ray CNN: builder, a tiny real training run, model card, integrity, predict API."""

import json

import numpy as np
import pytest

from ra_models.errors import ModelIntegrityError, ModelNotFoundError
from ra_models.xray.model import GRADCAM_LAYER, build_model, build_xray_cnn


def test_builder_shapes_and_named_layer():
    m = build_xray_cnn(base_filters=4)
    assert m.input_shape == (None, 224, 224, 1)
    assert m.output_shape == (None, 2)
    assert m.get_layer(GRADCAM_LAYER).output.shape[1:3] == (28, 28)
    convs = [layer for layer in m.layers if layer.__class__.__name__ == "Conv2D"]
    assert len(convs) == 4 and m.__class__.__name__ == "Functional"
    out = np.asarray(m(np.zeros((2, 224, 224, 1), np.float32)))
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_backbones_are_flat_and_explainable():
    from explain.cam import CamExplainer
    from ra_models.xray.model import gradcam_layer_for

    m = build_model("mobilenetv2")
    assert not any(hasattr(layer, "layers") for layer in m.layers)  # no nested model
    assert m.output_shape == (None, 2)
    x = np.random.default_rng(0).random((1, 224, 224, 1)).astype(np.float32)
    cam = CamExplainer(m, gradcam_layer_for("mobilenetv2")).compute_input(x, "gradcam", reference=True)
    assert cam.shape == (1, 224, 224) and np.isfinite(cam).all()


def test_tiny_training_run_writes_loadable_model_and_card(tiny_xray_dir, tiny_xray_predictor):
    card = json.loads((tiny_xray_dir / "model_card.json").read_text())
    for key in ("architecture", "parameters", "training_data", "split", "metrics", "calibration",
                "threshold", "intended_use", "limitations", "software", "sha256"):
        assert key in card, key
    assert card["training_data"]["source"] == "synthetic phantoms"
    assert card["split"]["train"] + card["split"]["val"] + card["split"]["test"] == 48
    assert "not for diagnosis" in card["intended_use"]
    assert card["calibration"]["temperature"] > 0
    assert (tiny_xray_dir / "MODEL_CARD.md").read_text().startswith("# Model card")
    assert tiny_xray_predictor.gradcam_layer == GRADCAM_LAYER


def test_predict_api(tiny_xray_predictor, phantom_png):
    r = tiny_xray_predictor.predict(phantom_png)
    assert r.label in ("RA", "Normal")
    assert 0 <= r.probability_ra <= 1 and r.threshold == 0.5
    assert r.model.sha256 == tiny_xray_predictor.card["sha256"]
    assert r.image_meta.format == "PNG"
    d = r.to_dict()
    assert set(d) == {"label", "probability_ra", "threshold", "uncertain", "model"}
    # same answer from bytes and from the decoded array
    from ra_models import read_image

    r2 = tiny_xray_predictor.predict(read_image(phantom_png).pixels)
    assert abs(r2.probability_ra - r.probability_ra) < 1e-6
    # the compiled path agrees with model.predict
    _, x, _ = tiny_xray_predictor.prepare(phantom_png)
    ref = tiny_xray_predictor.model.predict(x[None], verbose=0)[0, 1]
    assert abs(tiny_xray_predictor.raw_probabilities(x[None])[0] - ref) < 1e-5


def test_tampered_model_is_refused(tiny_xray_dir, tmp_path):
    import shutil

    from ra_models.predictor import XrayPredictor

    bad = tmp_path / "bad"
    shutil.copytree(tiny_xray_dir, bad)
    data = bytearray((bad / "model.keras").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bad / "model.keras").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="does not match its model card"):
        XrayPredictor.load(bad)
    with pytest.raises(ModelNotFoundError):
        XrayPredictor.load(tmp_path / "nowhere")


def test_evaluate_report_keys(tiny_xray_dir, tiny_phantoms, tmp_path):
    from ra_models.xray.evaluate import evaluate_xray

    m = evaluate_xray(tiny_xray_dir, tiny_phantoms, tmp_path / "rep", max_faithfulness=4,
                      update_card=False)
    for key in ("accuracy", "precision", "sensitivity", "specificity", "f1", "roc_auc",
                "roc_auc_ci95", "average_precision", "ece", "confusion_matrix", "n",
                "threshold_table", "by_subtype", "faithfulness"):
        assert key in m, key
    saved = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert saved["n"] == 48
    for png in ("roc.png", "pr.png", "confusion.png", "reliability.png"):
        assert (tmp_path / "rep" / png).stat().st_size > 1000
    f = m["faithfulness"]["methods"]["gradcam"]
    assert 0 <= f["pointing_game"] <= 1 and 0 <= f["energy_in_mask"] <= 1
    assert -1 <= m["faithfulness"]["randomisation_spearman"] <= 1
    # per sign, from the label mask: erosion films are a subset of all films, and a sign's
    # own mask holds no more of the heat than all signs together
    by_sign = f["by_sign"]
    assert set(by_sign) == {"erosion", "narrowing", "osteopenia", "swelling"}
    assert 0 < by_sign["erosion"]["n_films"] <= m["faithfulness"]["n_cases"]
    for sign in by_sign.values():
        if sign["energy_in_mask"] is not None:
            assert 0 <= sign["energy_in_mask"] <= f["energy_in_mask"] + 1e-9
    areas = m["faithfulness"]["mean_mask_area_fraction_by_sign"]
    assert areas["erosion"] < m["faithfulness"]["mean_mask_area_fraction"]
    # the fixed heatmap scale: a positive reference per method, from the RA films
    for method, ref in m["cam_reference"].items():
        assert ref["value"] > 0 and ref["n_films"] == int((np.array(
            [r.startswith("RA/") for r in saved_files(tiny_phantoms)])).sum()), method


def saved_files(root):
    from ra_models.xray.data import find_images

    return find_images(root).relpaths()


def test_nuisance_table_compares_clean_and_varied_films(tiny_xray_predictor):
    from ra_models.xray.evaluate import NUISANCES, nuisance_sensitivity

    out = nuisance_sensitivity(tiny_xray_predictor, n_per_class=2, size=128)
    assert set(out["table"]) == set(NUISANCES)
    for name, row in out["table"].items():
        for cls in ("Normal", "RA"):
            r = row[cls]
            assert r["n"] == 2 and 0 <= r["median_abs_delta"] <= r["max_abs_delta"] <= 1
            assert 0 <= r["flips"] <= 2
        assert ("goal_met" in row) == (name in ("collimation", "marker"))
    # a nuisance really changes the film: at least one |ΔP| is non-zero
    assert any(row[c]["max_abs_delta"] > 0 for row in out["table"].values() for c in ("Normal", "RA"))


def test_cross_validation_and_architecture_table(tiny_phantoms, tmp_path):
    from ra_models.xray.evaluate import compare_architectures, cross_validate_xray

    cv = cross_validate_xray(tiny_phantoms, tmp_path, folds=2, epochs=1)
    assert len(cv["folds"]) == 2 and cv["n"] == 48
    assert (tmp_path / "cv_metrics.json").exists()
    table = compare_architectures(tiny_phantoms, archs=("paper",), epochs=1)
    assert table.splitlines()[0].startswith("| Architecture | Parameters")
    assert "| paper |" in table and "synthetic phantoms" in table


@pytest.mark.slow
def test_backbone_comparison_runs(tiny_phantoms):
    from ra_models.xray.evaluate import compare_architectures

    table = compare_architectures(tiny_phantoms, archs=("mobilenetv2",), epochs=1)
    assert "| mobilenetv2 |" in table
