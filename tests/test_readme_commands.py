"""Every `python -m ra_models …` command the README shows runs end to end (issue 11 §1).

Commands are read from the README itself, so a documented command can never break silently.
Each runs at toy size: counts and epochs are shrunk, placeholders (DIR, FILE, models/…) point
at small seeded data made here, and everything is written under a temporary folder.
"""

import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
ORDER = ("phantoms", "cohort", "import", "calibrate", "export", "train", "evaluate", "compare")


def readme_commands() -> list[str]:
    text = README.read_text()
    found = re.findall(r"python -m ra_models [^`\n#]+", text)
    return list(dict.fromkeys(c.strip().rstrip(".,;)") for c in found))


def _toy(cmd: str, tmp: Path, data: Path, csv: Path, user_model: Path,
         backbone_weights: Path) -> list[str]:
    args = shlex.split(cmd)[3:]  # after "python -m ra_models"
    out = []
    for prev, a in zip([None] + args, args):
        if a == "DIR":
            out.append(str(data))
        elif a == "FILE" and prev == "--weights":
            out.append(str(backbone_weights))
        elif a in ("FILE", "FILE.csv"):
            out.append(str(csv))
        elif a == "MODEL.keras":
            out.append(str(user_model))
        else:
            out.append(a)
    for i, a in enumerate(out[:-1]):
        if a == "--n":
            out[i + 1] = "40" if out[0] == "phantoms" else "400"
        if a in ("--out", "--report", "--model", "--contact-sheet", "--lesion-sheet") and \
                not Path(out[i + 1]).is_absolute():
            out[i + 1] = str(tmp / out[i + 1])
        if a == "--data" and out[i + 1].startswith("data/"):
            out[i + 1] = str(data)
        if a == "--nuisance":
            out[i + 1] = "2"
    if out[:2] == ["train", "xray"]:
        out += ["--epochs", "1", "--base-filters", "4"]
        if "mobilenetv2" in out:
            out += ["--alpha", "0.35"]
    if out[:2] == ["train", "scorer"]:
        out += ["--epochs", "1"]
    if out[:2] == ["train", "clinical"]:
        out += ["--epochs", "2", "--n", "600"]
    if out[:2] == ["compare", "xray"]:
        out += ["--archs", "paper", "--epochs", "1"]
    if out[:2] == ["compare", "clinical"]:
        out += ["--n", "400", "--folds", "2"]
    return out


def test_readme_documents_every_subcommand():
    cmds = readme_commands()
    for sub in ("phantoms", "cohort", "train xray", "train scorer", "evaluate scorer",
                "train clinical", "evaluate xray",
                "evaluate clinical", "compare xray", "compare clinical", "import xray",
                "calibrate xray", "export xray"):
        assert any(c.startswith(f"python -m ra_models {sub}") for c in cmds), sub


@pytest.mark.filterwarnings("ignore")
def test_every_readme_command_runs(tmp_path, monkeypatch):
    from ra_models.cli import main
    from ra_models.clinical.cohort import generate_cohort
    from ra_models.synthetic.dataset import generate_dataset

    monkeypatch.chdir(tmp_path)
    data = tmp_path / "DIR"
    generate_dataset(data, 24, seed=11, size=128, workers=1)
    csv = tmp_path / "labs.csv"
    generate_cohort(500, 4).to_csv(csv, index=False)
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    user_model = tmp_path / "user.keras"
    keras.Sequential([keras.Input((64, 64, 1)), layers.Conv2D(4, 3, activation="relu", name="c"),
                      layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")]
                     ).save(user_model)
    backbone_weights = tmp_path / "backbone.weights.h5"
    keras.applications.MobileNetV2(input_shape=(224, 224, 3), include_top=False, weights=None,
                                   alpha=0.35).save_weights(backbone_weights)
    # the model folders later commands name (models/mine, models/labs) come from earlier ones
    cmds = sorted(readme_commands(), key=lambda c: ORDER.index(c.split()[3]))
    ran = []
    for cmd in cmds:
        argv = _toy(cmd, tmp_path, data, csv, user_model, backbone_weights)
        if argv[0] == "evaluate" and not Path(argv[argv.index("--model") + 1]).exists():
            # a README example that evaluates a model folder named elsewhere: use the one
            # the README's own train command made
            kind = argv[1]
            made = tmp_path / {"xray": "models/mine", "scorer": "models/svh",
                               "clinical": "models/labs"}[kind]
            argv[argv.index("--model") + 1] = str(made)
        assert main(argv) == 0, f"README command failed: {cmd}\n(run as: {' '.join(argv)})"
        ran.append(cmd)
    assert len(ran) >= 10
