"""Model cards & performance: both shipped models, every figure labelled with its data."""

import json
from pathlib import Path

import streamlit as st

from ra_models import RAError, Settings
from ra_models.config import REPORTS_DIR
from ra_models.model_card import load_card
from ui_common import xray_model_dir

st.title("Model cards & performance")
st.warning("Every number on this page was measured on **synthetic data** (procedural phantoms "
           "or a synthetic cohort). None of it is clinical accuracy.", icon=":material/science:")
s = Settings.from_env()


def ci(m, key):
    v, c = m.get(key), m.get(f"{key}_ci95")
    if v is None:
        return "—"
    return f"{v:.3f}" + (f" ({c[0]:.3f}–{c[1]:.3f})" if c else "")


METRIC_LABELS = {
    "roc_auc": "ROC-AUC", "accuracy": "Accuracy", "sensitivity": "Sensitivity (recall)",
    "specificity": "Specificity", "precision": "Precision (PPV)", "f1": "F1 score",
    "average_precision": "Average precision (PR-AUC)", "brier": "Brier score (lower is better)",
    "ece": "Expected calibration error (lower is better)",
}
SIGN_LABELS = {"erosion": "erosions", "narrowing": "joint-space narrowing",
               "osteopenia": "periarticular osteopenia", "swelling": "soft-tissue swelling"}


def pct(v):
    return "—" if v is None else f"{v:.0%}"


def metric_table(m: dict) -> list[dict]:
    return [{"Metric": label, "Value (95% CI)": ci(m, k)} for k, label in METRIC_LABELS.items()
            if k in m]


def faithfulness_table(f: dict) -> list[dict]:
    from explain.cam import METHOD_LABELS

    rows = []
    for method, v in f["methods"].items():
        ero = v.get("by_sign", {}).get("erosion", {})
        rows.append({"Method": METHOD_LABELS.get(method, method),
                     "Peak on any true sign": pct(v.get("pointing_game")),
                     "Peak on an erosion": pct(ero.get("pointing_game")),
                     "Heat inside any sign": pct(v.get("energy_in_mask")),
                     "Heat inside erosions": pct(ero.get("energy_in_mask")),
                     "Deletion AUC (lower = more faithful)": round(v["deletion_auc"], 3),
                     "Insertion AUC (higher = more faithful)": round(v["insertion_auc"], 3)})
    return rows


def nuisance_table(ns: dict) -> list[dict]:
    rows = []
    for name, row in ns["table"].items():
        for cls in ("Normal", "RA"):
            r = row[cls]
            rows.append({"Nuisance added": f"{name} ({ns['nuisances'].get(name, '')})",
                         "Films": f"{cls} (n = {r['n']})",
                         "Median |ΔP(RA)|": f"{r['median_abs_delta']:.3f}",
                         "Max |ΔP(RA)|": f"{r['max_abs_delta']:.3f}",
                         "Label flips": r["flips"],
                         "Goal": ("met" if row["goal_met"] else "NOT met") + f" ({row['goal']})"
                         if "goal" in row else ""})
    return rows


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


def card_footer(card: dict) -> None:
    with st.expander("Limitations"):
        for x in card.get("limitations", []):
            st.write("- " + x)
    with st.expander("Full card (JSON)"):
        st.code(json.dumps(card, indent=2)[:20000], language="json")


tab_x, tab_s, tab_c = st.tabs(["X-ray CNN", "Joint-level scorer (SvH)", "Clinical-lab DNN"])
with tab_x:
    chosen = xray_model_dir()
    card = card_header(chosen, "X-ray")
    if card:
        st.write(f"**Task:** {card['task']} · **parameters:** {card['parameters']:,} · "
                 f"**calibration:** temperature {card['calibration']['temperature']:.3f} · "
                 f"**threshold:** {card['threshold']}")
        ev = card.get("evaluation") or card["metrics"]
        st.markdown(f"**Test data:** {ev.get('data', card['metrics'].get('data'))}")
        st.dataframe(metric_table(ev), hide_index=True)
        if "by_subtype" in ev:
            st.markdown("**By subtype** (synthetic phantoms)")
            st.dataframe([{"Subtype": k, "Films": v["n"], "Accuracy": pct(v["accuracy"]),
                           "Mean P(RA)": pct(v["mean_p_ra"])} for k, v in ev["by_subtype"].items()],
                         hide_index=True)
        # the committed evaluation plots belong to the demo model only
        rep = REPORTS_DIR / "xray" if Path(chosen).resolve() == s.xray_model_dir.resolve() else Path(chosen) / "_none"
        pngs = [p for p in ("roc.png", "pr.png", "confusion.png", "reliability.png") if (rep / p).exists()]
        for i in range(0, len(pngs), 2):  # two per row: large enough to read the axes
            for col, p in zip(st.columns(2), pngs[i: i + 2]):
                col.image(str(rep / p), width="stretch")
        if pngs:
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
            st.dataframe(faithfulness_table(f), hide_index=True)
            areas = f.get("mean_mask_area_fraction_by_sign", {})
            if areas:
                st.caption("Share of the film each sign's mask covers (a large mask makes a hit "
                           "easy): " + ", ".join(f"{SIGN_LABELS.get(k, k)} {v:.1%}"
                                                 for k, v in areas.items()) + ".")
            st.caption(f"Randomised-weights sanity check: Spearman ρ = "
                       f"{f['randomisation_spearman']:.2f} (low = the map depends on what the "
                       "model learned).")
        if "nuisance_sensitivity" in card:
            ns = card["nuisance_sensitivity"]
            st.markdown(f"**Robustness to film nuisances** — {ns['data']}")
            st.dataframe(nuisance_table(ns), hide_index=True)
        card_footer(card)
with tab_s:
    card = card_header(s.svh_model_dir, "joint-level scorer")
    if card:
        st.write(f"**Task:** {card['task']} · **design:** {card['architecture']['design']} · "
                 f"**parameters:** {card['parameters']:,}")
        ev = card.get("evaluation") or card["metrics"]
        detail = card.get("evaluation_detail") or card.get("metrics_detail", {})
        st.markdown(f"**Test data:** {ev['data']} — scored like the RA2-DREAM challenge")
        st.dataframe([
            {"Measure": "RMSE of the total SvH score (0–140)", "Value": f"{ev['total_rmse']:.2f}"},
            {"Measure": "RMSE of the erosion total (0–80)", "Value": f"{ev['erosion_total_rmse']:.2f}"},
            {"Measure": "RMSE of the narrowing total (0–60)", "Value": f"{ev['jsn_total_rmse']:.2f}"},
            {"Measure": "Mean per-area RMSE, erosion", "Value": f"{ev['erosion_mean_rmse']:.2f}"},
            {"Measure": "Mean per-area RMSE, narrowing", "Value": f"{ev['narrowing_mean_rmse']:.2f}"},
            {"Measure": "Mean weighted κ per area, erosion", "Value": f"{ev['erosion_mean_kappa']:.2f}"},
            {"Measure": "Mean weighted κ per area, narrowing", "Value": f"{ev['narrowing_mean_kappa']:.2f}"},
        ], hide_index=True)
        if detail.get("areas"):
            from ra_models.xray.scorer import svh_area_rows

            with st.expander("Per area (quadratic weighted kappa on rounded grades)"):
                st.dataframe(svh_area_rows(detail), hide_index=True)
        card_footer(card)
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
            st.dataframe([{"Model": r["model"], "ROC-AUC": ci(r, "roc_auc"),
                           "Accuracy": ci(r, "accuracy"), "Sensitivity": ci(r, "sensitivity"),
                           "Specificity": ci(r, "specificity"), "Brier score": ci(r, "brier")}
                          for r in sorted(comp["rows"], key=lambda r: -r["roc_auc"])],
                         hide_index=True)
        if "global_importance" in card:
            gi = card["global_importance"]
            st.markdown(f"**Global importance** (mean |SHAP|, percentage points of P(RA)) — "
                        f"{gi['data']}")
            import pandas as pd

            imp = pd.DataFrame({"Feature": list(gi["values"]),
                                "Mean |SHAP| (percentage points)": [100 * v for v in gi["values"].values()]})
            st.bar_chart(imp, x="Feature", y="Mean |SHAP| (percentage points)", horizontal=True,
                         sort="-Mean |SHAP| (percentage points)")
        card_footer(card)
