"""Model cards & performance: both shipped models, every figure labelled with its data."""

import json

import streamlit as st

from ra_models import RAError, Settings
from ra_models.config import REPORTS_DIR
from ra_models.model_card import load_card

st.title("Model cards & performance")
st.warning("Every number on this page was measured on **synthetic data** (procedural phantoms "
           "or a synthetic cohort). None of it is clinical accuracy.", icon=":material/science:")
s = Settings.from_env()


def ci(m, key):
    v, c = m.get(key), m.get(f"{key}_ci95")
    if v is None:
        return "—"
    return f"{v:.3f}" + (f" ({c[0]:.3f}–{c[1]:.3f})" if c else "")


def metric_table(m: dict) -> list[dict]:
    keys = ("roc_auc", "accuracy", "sensitivity", "specificity", "precision", "f1",
            "average_precision", "brier", "ece")
    return [{"metric": k, "value (95% CI)": ci(m, k)} for k in keys if k in m]


def card_header(model_dir, what: str) -> dict | None:
    """Load a card and show its title and intended use; a missing card is shown, not raised."""
    try:
        card = load_card(model_dir)
    except RAError as e:
        st.error(f"No {what} model card: {e}")
        return None
    st.subheader(f"{card['name']} v{card['version']}")
    st.info(card["intended_use"])
    return card


tab_x, tab_c = st.tabs(["X-ray CNN", "Clinical-lab DNN"])
with tab_x:
    card = card_header(s.xray_model_dir, "X-ray")
    if card:
        st.write(f"**Task:** {card['task']} · **parameters:** {card['parameters']:,} · "
                 f"**calibration:** temperature {card['calibration']['temperature']:.3f} · "
                 f"**threshold:** {card['threshold']}")
        ev = card.get("evaluation") or card["metrics"]
        st.markdown(f"**Test data:** {ev.get('data', card['metrics'].get('data'))}")
        st.dataframe(metric_table(ev), hide_index=True)
        if "by_subtype" in ev:
            st.markdown("**By subtype** (synthetic phantoms)")
            st.dataframe([{"subtype": k, **v} for k, v in ev["by_subtype"].items()], hide_index=True)
        rep = REPORTS_DIR / "xray"
        pngs = [p for p in ("roc.png", "pr.png", "confusion.png", "reliability.png") if (rep / p).exists()]
        if pngs:
            cols = st.columns(len(pngs))
            for col, p in zip(cols, pngs):
                col.image(str(rep / p), width="stretch")
            st.caption("Evaluation on fresh phantoms (a seed never used in training).")
        if (rep / "metrics.json").exists():
            report = json.loads((rep / "metrics.json").read_text())
            with st.expander("Threshold table (sensitivity, specificity, PPV, NPV)"):
                st.dataframe(report.get("threshold_table", []), hide_index=True)
                st.caption("PPV and NPV depend on prevalence: these are at the test set's 50% RA.")
            if (rep / "worst_misclassified.png").exists():
                with st.expander("Worst misclassified test films"):
                    st.image(str(rep / "worst_misclassified.png"), width="stretch")
                    st.dataframe(report.get("worst_misclassified", []), hide_index=True)
        if "faithfulness" in card:
            f = card["faithfulness"]
            st.markdown(f"**Faithfulness of the heatmaps** — {f['data']}, n = {f['n_cases']}")
            st.dataframe([{"method": k, **{kk: (round(vv, 3) if isinstance(vv, float) else vv)
                                            for kk, vv in v.items()}}
                          for k, v in f["methods"].items()], hide_index=True)
            st.caption(f"Randomised-weights sanity check: Spearman ρ = "
                       f"{f['randomisation_spearman']:.2f} (low = the map depends on what the "
                       "model learned).")
        with st.expander("Limitations"):
            for x in card.get("limitations", []):
                st.write("- " + x)
        with st.expander("Full card (JSON)"):
            st.code(json.dumps(card, indent=2)[:20000], language="json")
with tab_c:
    card = card_header(s.clinical_model_dir, "clinical")
    if card:
        st.write(f"**Task:** {card['task']} · **data:** {card['training_data']['source']} "
                 f"(n = {card['training_data'].get('n_used')})")
        st.markdown(f"**Held-out test split** — {card['metrics']['data']}")
        st.dataframe(metric_table(card["metrics"]), hide_index=True)
        comp = card.get("comparison", {})
        if comp.get("rows"):
            st.markdown(f"**Honest comparison** — {comp['method']}. Best by ROC-AUC: "
                        f"**{comp['best_by_roc_auc']}**.")
            st.dataframe([{"model": r["model"], "ROC-AUC": ci(r, "roc_auc"),
                           "accuracy": ci(r, "accuracy"), "sensitivity": ci(r, "sensitivity"),
                           "specificity": ci(r, "specificity"), "Brier": ci(r, "brier")}
                          for r in sorted(comp["rows"], key=lambda r: -r["roc_auc"])],
                         hide_index=True)
        if "global_importance" in card:
            gi = card["global_importance"]
            st.markdown(f"**Global importance** (mean |SHAP|, probability units) — {gi['data']}")
            st.bar_chart({k: v for k, v in gi["values"].items()}, horizontal=True)
        with st.expander("Limitations"):
            for x in card.get("limitations", []):
                st.write("- " + x)
        with st.expander("Full card (JSON)"):
            st.code(json.dumps(card, indent=2)[:20000], language="json")
