"""Streamlit entry point: the router and the shared frame (title, demo-model banner)."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import streamlit as st  # noqa: E402

from ra_models import DISCLAIMER  # noqa: E402

# The tab icon is a local file: a ":material/…" page icon makes the browser fetch an SVG from
# fonts.gstatic.com, and the app must work offline.
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"
st.set_page_config(page_title="RA decision support", page_icon=str(ICON), layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/xray.py", title="X-ray", icon=":material/radiology:"),
    st.Page("app_pages/clinical.py", title="Clinical labs", icon=":material/labs:"),
    st.Page("app_pages/teaching.py", title="Teaching", icon=":material/school:"),
    st.Page("app_pages/quiz.py", title="Class quiz", icon=":material/quiz:"),
    st.Page("app_pages/model_cards.py", title="Model cards & performance", icon=":material/monitoring:"),
    st.Page("app_pages/batch.py", title="Batch", icon=":material/table_view:"),
]

nav = st.navigation(PAGES)
with st.sidebar:
    st.markdown("### RA decision support")
    st.info("**Demo models trained on synthetic data.** Decision support and teaching only — "
            "not a diagnosis.", icon=":material/info:")
    st.caption(DISCLAIMER)
    from ui_common import xray_model_picker

    xray_model_picker()
nav.run()
