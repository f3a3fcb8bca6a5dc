"""Model cards: a JSON file next to each model (rendered to markdown too), with its sha256."""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

CARD_NAME = "model_card.json"
#: File names inside a model folder (the layer every writer and reader of a folder shares).
MODEL_FILE = "model.keras"
PREPROCESSOR_FILE = "preprocessing.json"
BACKGROUND_FILE = "background.csv"

INTENDED_USE = (
    "Research and teaching only. Trained on synthetic data (procedural phantoms / a synthetic "
    "cohort); not validated on patients; not for diagnosis or treatment decisions."
)
INTENDED_USE_USER = (
    "A user's own model, imported for research and teaching: its data, accuracy and "
    "calibration are what its owners measured (see the card); not validated by this project; "
    "not for diagnosis or treatment decisions."
)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def software_versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("tensorflow-cpu", "tensorflow", "keras", "numpy", "scikit-learn", "shap",
                "tf-keras-vis", "pillow", "pydicom"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def shown_path(path: str | Path) -> str:
    """A model file as messages show it: folder/file, never the server's absolute path."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}"


def verify_file(model_dir: str | Path, name: str, expected: str | None) -> Path:
    """``model_dir/name`` must exist and match the sha256 its card gives; returns the path."""
    from .errors import ModelIntegrityError, ModelNotFoundError

    path = Path(model_dir) / name
    if Path(name).name != name:
        raise ModelIntegrityError(f"The model card names '{name}', which is not a file in the "
                                  "model folder; refusing to load it.")
    if not path.exists():
        raise ModelNotFoundError(f"'{shown_path(path)}', named by the model card, is missing.")
    if not expected:
        raise ModelIntegrityError(f"The model card gives no sha256 for '{shown_path(path)}'; "
                                  "refusing to load an unverified file.")
    digest = sha256_file(path)
    if digest != expected:
        raise ModelIntegrityError(
            f"'{shown_path(path)}' does not match its model card (sha256 {digest[:12]}… ≠ "
            f"{str(expected)[:12]}…). It was changed or corrupted; refusing to load it.")
    return path


def save_card(model_dir: str | Path, card: dict) -> Path:
    model_dir = Path(model_dir)
    path = model_dir / CARD_NAME
    path.write_text(json.dumps(card, indent=2, sort_keys=False, default=_json_default) + "\n")
    (model_dir / "MODEL_CARD.md").write_text(render_markdown(card))
    return path


def load_card(model_dir: str | Path) -> dict:
    from .errors import ModelError, ModelNotFoundError

    path = Path(model_dir) / CARD_NAME
    shown = shown_path(path)
    if not path.exists():
        raise ModelNotFoundError(f"No model card at '{shown}'. Train a model or point to a model folder.")
    try:
        card = json.loads(path.read_text())
    except (ValueError, OSError) as e:
        raise ModelError(f"The model card '{shown}' is not valid JSON ({e}); refusing to load the model.") from e
    if not isinstance(card, dict):
        raise ModelError(f"The model card '{shown}' is not a JSON object; refusing to load the model.")
    return card


def _json_default(o):
    import numpy as np

    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, float) for x in v):
        return f"[{v[0]:.3f}, {v[1]:.3f}]"
    return str(v)


def _pct(v) -> str:
    return "—" if v is None else f"{v:.0%}"


def render_markdown(card: dict) -> str:
    lines = [f"# Model card: {card.get('name', 'model')} v{card.get('version', '?')}", ""]
    lines += [f"> **{card.get('intended_use', INTENDED_USE)}**", ""]
    for key in ("task", "architecture", "parameters", "input", "classes", "calibration",
                "threshold", "training_data", "split", "training"):
        if key in card:
            lines.append(f"- **{key.replace('_', ' ')}**: {_fmt(card[key]) if not isinstance(card[key], dict) else ''}")
            if isinstance(card[key], dict):
                for k, v in card[key].items():
                    lines.append(f"  - {k}: {_fmt(v)}")
    if "evaluation" in card:
        ev = card["evaluation"]
        lines += ["", "## Evaluation on a fresh set", "", f"Data: {ev.get('data', '')}", ""]
        lines += [f"- {k}: {_fmt(ev[k])}" for k in ("n", "roc_auc", "roc_auc_ci95", "accuracy",
                                                    "sensitivity", "specificity", "ece", "brier")
                  if k in ev]
    faith = card.get("faithfulness")
    if faith and faith.get("methods"):
        lines += ["", "## Heatmap faithfulness per sign", "",
                  f"{faith.get('data', '')}, n = {faith.get('n_cases')}; peak within "
                  f"{faith.get('tolerance_px')} px of the sign's mask (pointing game).", "",
                  "| method | any sign | erosion | narrowing | osteopenia | swelling |",
                  "|---|---:|---:|---:|---:|---:|"]
        for m, v in faith["methods"].items():
            by = v.get("by_sign", {})
            cells = [_pct(v.get("pointing_game"))] + [
                _pct(by.get(sign, {}).get("pointing_game")) for sign in
                ("erosion", "narrowing", "osteopenia", "swelling")]
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    ns = card.get("nuisance_sensitivity")
    if ns:
        lines += ["", "## Robustness to film nuisances", "", ns.get("data", ""), "",
                  "| nuisance | films | median abs ΔP(RA) | max abs ΔP(RA) | flips | goal |",
                  "|---|---|---:|---:|---:|---|"]
        for name, row in ns["table"].items():
            for cls in ("Normal", "RA"):
                r = row[cls]
                goal = (("met" if row["goal_met"] else "NOT met") + f": {row['goal']}") if "goal" in row else ""
                lines.append(f"| {name} | {cls} (n = {r['n']}) | {r['median_abs_delta']:.3f} | "
                             f"{r['max_abs_delta']:.3f} | {r['flips']} | {goal} |")
    for section in ("metrics", "faithfulness", "cam_reference", "comparison", "global_importance"):
        if section in card:
            lines += ["", f"## {section.replace('_', ' ').title()}", "", "```json",
                      json.dumps(card[section], indent=2, default=_json_default), "```"]
    lines += ["", "## Limitations", ""]
    lines += [f"- {x}" for x in card.get("limitations", [])]
    lines += ["", "## Software", ""]
    lines += [f"- {k}: {v}" for k, v in card.get("software", {}).items()]
    lines += ["", f"sha256 of `{card.get('file', '')}`: `{card.get('sha256', '')}`", ""]
    return "\n".join(lines)
