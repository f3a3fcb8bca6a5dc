"""Settings shared by both UIs: where the models are, intake limits. Read from ``RA_*`` env vars."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .imaging import IntakeLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS = PROJECT_ROOT / "assets"
DEFAULT_XRAY_DIR = ASSETS / "models" / "xray"
DEFAULT_CLINICAL_DIR = ASSETS / "models" / "clinical"
DEFAULT_SVH_DIR = ASSETS / "models" / "svh"
SAMPLES_DIR = ASSETS / "samples"
REPORTS_DIR = ASSETS / "reports"

DISCLAIMER = (
    "Decision support and teaching only — not a diagnosis. The demo models were trained on "
    "synthetic data (procedural hand-radiograph phantoms and a synthetic lab cohort); every "
    "figure shown was measured on synthetic data."
)


@dataclass(frozen=True)
class Settings:
    xray_model_dir: Path = DEFAULT_XRAY_DIR
    clinical_model_dir: Path = DEFAULT_CLINICAL_DIR
    svh_model_dir: Path = DEFAULT_SVH_DIR  # the joint-level damage scorer (optional)
    limits: IntakeLimits = field(default_factory=IntakeLimits)
    xray_models_root: Path | None = None  # a folder of X-ray model folders (model picker)
    quiz_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "ra-quiz")

    def xray_model_choices(self) -> list[Path]:
        """The configured X-ray model first, then every other X-ray model folder (one with a
        card of kind "xray") directly under ``xray_models_root``."""
        import json

        out = [self.xray_model_dir]
        root = self.xray_models_root
        if root and Path(root).is_dir():
            for d in sorted(Path(root).iterdir()):
                card = d / "model_card.json"
                if not card.is_file() or d.resolve() == self.xray_model_dir.resolve():
                    continue
                try:
                    if json.loads(card.read_text()).get("kind") == "xray":
                        out.append(d)
                except (OSError, ValueError):
                    continue  # an unreadable card is not offered; loading it would say why
        return out

    @classmethod
    def from_env(cls, environ=None) -> Settings:
        env = os.environ if environ is None else environ
        lim = IntakeLimits()
        return cls(
            xray_model_dir=Path(env.get("RA_XRAY_MODEL_DIR", DEFAULT_XRAY_DIR)),
            clinical_model_dir=Path(env.get("RA_CLINICAL_MODEL_DIR", DEFAULT_CLINICAL_DIR)),
            svh_model_dir=Path(env.get("RA_SVH_MODEL_DIR", DEFAULT_SVH_DIR)),
            xray_models_root=Path(env["RA_XRAY_MODELS"]) if env.get("RA_XRAY_MODELS") else None,
            quiz_dir=Path(env["RA_QUIZ_DIR"]) if env.get("RA_QUIZ_DIR")
            else Path(tempfile.gettempdir()) / "ra-quiz",
            limits=IntakeLimits(
                max_bytes=int(env.get("RA_MAX_UPLOAD_BYTES", lim.max_bytes)),
                max_pixels=int(env.get("RA_MAX_PIXELS", lim.max_pixels)),
                min_side=int(env.get("RA_MIN_SIDE", lim.min_side)),
            ),
        )
