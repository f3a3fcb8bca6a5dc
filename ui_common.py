"""Streamlit-side helpers shared by the pages: cached model loading and error translation.

This is the only module (with ``app_pages/`` and ``streamlit_app.py``) that imports streamlit;
``ra_models`` and ``explain`` stay UI-free. Cache keys depend on the function, so every page
must use these wrappers (a copy per page would load the models once per page).
"""

from __future__ import annotations

import os

import streamlit as st

from ra_models import DISCLAIMER, RAError, Settings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _skip_streamlit_keras_reset() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does that as a guard for apps that build models on each run. This app loads its
    models once (``st.cache_resource``) and never builds one per run, and the call costs a full
    ``gc.collect()`` plus TensorFlow's kernel cache (≈ 200 ms on 2 cores) after every slider
    move. Only that step is skipped; pyplot figures are still closed. If a future Streamlit
    renames the hook, nothing is patched and the app works as before, only slower.
    """
    import sys

    from streamlit.runtime.scriptrunner import script_runner

    if not hasattr(script_runner, "_clean_problem_modules"):
        return

    def clean_problem_modules() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")

    script_runner._clean_problem_modules = clean_problem_modules


_skip_streamlit_keras_reset()


@st.cache_data(ttl=30, show_spinner=False)
def _xray_model_choices(configured: str, root: str | None) -> list[str]:
    """The model folders on offer; the folder scan runs at most every 30 s, not on every rerun
    (a slider move asks for the model folder several times)."""
    return [str(p) for p in Settings.from_env().xray_model_choices()]


def xray_model_choices() -> list[str]:
    s = Settings.from_env()
    return _xray_model_choices(str(s.xray_model_dir), str(s.xray_models_root or ""))


def xray_model_dir() -> str:
    """The X-ray model folder this session uses: the sidebar's choice, else the configured one."""
    choices = xray_model_choices()
    picked = st.session_state.get("xray_model")
    return picked if picked in choices else choices[0]


@st.cache_resource(show_spinner="Loading the X-ray model…")
def _xray_predictor(model_dir: str):
    from ra_models.predictor import XrayPredictor

    return XrayPredictor.load(model_dir, limits=Settings.from_env().limits)


def get_xray_predictor():
    return _xray_predictor(xray_model_dir())


@st.cache_resource(show_spinner="Preparing Grad-CAM…")
def _cam_explainer(model_dir: str):
    from explain.cam import CamExplainer

    return CamExplainer.for_predictor(_xray_predictor(model_dir))


def get_cam_explainer():
    return _cam_explainer(xray_model_dir())


@st.cache_resource(show_spinner="Loading the joint-level scorer…")
def get_svh_scorer():
    """The Sharp/van der Heijde scorer, or None when no scorer folder is installed."""
    from ra_models.xray.scorer import ScorePredictor

    return ScorePredictor.load_optional(Settings.from_env().svh_model_dir)


@st.cache_resource(show_spinner="Loading the lab model…")
def get_clinical_predictor():
    from ra_models.predictor import ClinicalPredictor

    return ClinicalPredictor.load(Settings.from_env().clinical_model_dir)


@st.cache_resource(show_spinner="Preparing SHAP…")
def get_lab_explainer():
    from explain.shap_values import LabExplainer

    return LabExplainer(get_clinical_predictor())


@st.cache_resource(show_spinner=False)
def _ood_checker(model_dir: str):
    from ra_models.ood import OODChecker

    return OODChecker.load(model_dir)  # the checker belongs to the predictor's model


def get_ood_checker():
    return _ood_checker(xray_model_dir())


def xray_model_picker() -> None:
    """A sidebar choice of X-ray model when ``RA_XRAY_MODELS`` offers more than one."""
    from pathlib import Path

    choices = xray_model_choices()
    if len(choices) > 1:
        st.selectbox("X-ray model", choices, key="xray_model", format_func=lambda p: Path(p).name,
                     help="The demo model and the models in RA_XRAY_MODELS. Every answer names "
                          "the model that gave it.")


def show_error(e: RAError) -> None:
    """The one place where library errors become what a Streamlit user sees."""
    st.error(str(e), icon=":material/error:")


def disclaimer() -> None:
    st.caption(DISCLAIMER)


def probability_badge(p: float, threshold: float, uncertain: bool, label: str, *,
                      negative_text: str = "No RA pattern") -> None:
    from ra_models.predictor import format_probability

    shown = format_probability(p)
    lean = label if label == "RA" else negative_text
    if uncertain:
        st.warning(f"**Uncertain** — P(RA) {shown} is close to the operating threshold "
                   f"{threshold:.0%}; the model leans **{lean}**, but this is not a confident answer.")
    elif label == "RA":
        st.error(f"**RA pattern** — P(RA) {shown} (threshold {threshold:.0%})")
    else:
        st.success(f"**{negative_text}** — P(RA) {shown} (threshold {threshold:.0%})")
