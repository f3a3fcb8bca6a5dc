"""The paper's pages: home, X-ray upload → result, numerical data form → result."""

from __future__ import annotations

import base64

from flask import Blueprint, current_app, render_template, request

from ra_models import ALLOWED_FORMATS, RAError
from ra_models.clinical.schema import LAB_FEATURES
from ra_models.errors import InvalidLabValuesError, ModelError, UnsupportedFormatError

from .services import services

pages = Blueprint("pages", __name__)


@pages.errorhandler(ModelError)
def _model_unavailable(e: ModelError):
    return render_template("error.html", title="Model unavailable", message=str(e)), 503
ACCEPT = ".png,.jpg,.jpeg,.gif,.bmp,.tif,.tiff,.dcm,.dicom"


@pages.get("/")
def home():
    return render_template("home.html")


@pages.get("/xray")
def xray_form():
    return render_template("xray.html", accept=ACCEPT, formats=ALLOWED_FORMATS)


@pages.post("/xray")
def xray_predict():
    f = request.files.get("file")
    if f is None or not f.filename:
        return render_template("xray.html", accept=ACCEPT, formats=ALLOWED_FORMATS,
                               error="Choose an image file first."), 400
    data = f.read()  # kept in memory only
    svc = services()
    try:
        from ra_models.analysis import analyse_xray

        a = analyse_xray(svc.xray, data, svc.ood)
    except UnsupportedFormatError as e:
        return render_template("xray.html", accept=ACCEPT, formats=ALLOWED_FORMATS,
                               error=f"Unsupported file type: {e}"), 400
    except ModelError:
        raise  # a server problem, not the upload's: the blueprint's 503 handler answers
    except RAError as e:
        return render_template("xray.html", accept=ACCEPT, formats=ALLOWED_FORMATS, error=str(e)), 400
    heat_uri = hm = None
    muted = a.assessable and a.result.probability_ra < a.result.threshold
    if current_app.config.get("SHOW_GRADCAM"):
        from explain.overlay import explained_overlay, to_png

        hm = svc.cam.heatmap(a.model_input, a.image.shape, "gradcam")
        heat_uri = "data:image/png;base64," + base64.b64encode(
            to_png(explained_overlay(a.image, hm, alpha=0.6, muted=muted))).decode()
    svh = svc.joint_scores(a)
    return render_template("xray_result.html", r=a.result, ood=a.ood, heat_uri=heat_uri,
                           hm=hm, muted=muted, filename=f.filename, svh=svh,
                           intake=a.meta.notes if a.meta is not None else ())


#: Optional fields of the lab form beyond the six values (see ra_models.clinical.workup).
EXTRA_FIELDS = ("crp_unit", "prior", "symptom_weeks", "small_joints", "large_joints", "entry_gate",
                "erosive", "tjc28", "sjc28", "patient_global_mm", "evaluator_global")


@pages.get("/labs")
def labs_form():
    return render_template("labs.html", features=LAB_FEATURES, values={}, errors={})


@pages.post("/labs")
def labs_predict():
    names = ["Gender"] + [f.name for f in LAB_FEATURES] + list(EXTRA_FIELDS)
    values = {n: request.form.get(n, "").strip() for n in names}
    if values.get("prior"):
        values["prior"] = values["prior"].rstrip("%").strip() + "%"
    try:
        r = services().clinical.predict_request(values)
    except InvalidLabValuesError as e:
        return render_template("labs.html", features=LAB_FEATURES, values=values,
                               errors=e.problems), 400
    except ModelError:
        raise
    except RAError as e:
        return render_template("labs.html", features=LAB_FEATURES, values=values,
                               errors={"_form": str(e)}), 400
    return render_template("labs_result.html", r=r)
