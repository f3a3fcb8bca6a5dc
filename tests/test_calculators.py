"""Issue 11 §2–3: the ACR/EULAR panel complete (joint picker, entry gate, erosive pathway, lab
domains) and the disease-activity calculators against hand-worked examples."""

import math

import pytest

from ra_models.clinical.acr_eular import acr_eular_2010
from ra_models.clinical.activity import (
    CDAI_BANDS,
    DAS28_BANDS,
    SDAI_BANDS,
    band,
    boolean_remission_2022,
    cdai,
    das28_crp,
    das28_esr,
    disease_activity,
    sdai,
)
from ra_models.clinical.joints import DAS28_JOINTS, acr_counts, check_joints, das28_count
from ra_models.errors import InvalidLabValuesError

# --- worked examples (arithmetic written out; formulas as published, see activity.py) --------

def test_das28_esr_worked_example():
    # TJC 4, SJC 2, ESR 30 mm/h, PtGA 50 mm:
    # 0.56·2 + 0.28·1.41421 + 0.70·3.40120 + 0.014·50 = 1.12 + 0.39598 + 2.38084 + 0.70 = 4.5968
    assert das28_esr(4, 2, 30, 50) == pytest.approx(4.5968, abs=1e-4)
    assert band(4.5968, DAS28_BANDS) == "moderate"


def test_das28_crp_worked_example_takes_mg_per_litre():
    # TJC 4, SJC 2, CRP 20 mg/L, PtGA 50 mm:
    # 1.12 + 0.39598 + 0.36·ln(21) + 0.70 + 0.96 = 1.12 + 0.39598 + 1.09604 + 0.70 + 0.96 = 4.2720
    assert das28_crp(4, 2, 20, 50) == pytest.approx(4.2720, abs=1e-4)
    # entered as 2 (mg/dL by mistake) it would read 3.7... : the unit matters
    assert das28_crp(4, 2, 2, 50) < 3.8


def test_cdai_sdai_and_boolean_worked_examples():
    # TJC 4, SJC 2, PtGA 5/10, EGA 4/10 -> CDAI 15 (moderate); CRP 2.0 mg/dL -> SDAI 17 (moderate)
    assert cdai(4, 2, 5, 4) == 15 and band(15, CDAI_BANDS) == "moderate"
    assert sdai(4, 2, 5, 4, 2.0) == 17 and band(17, SDAI_BANDS) == "moderate"
    assert boolean_remission_2022(1, 1, 1.0, 2) and not boolean_remission_2022(1, 2, 0.5, 1)
    assert not boolean_remission_2022(0, 0, 1.1, 0)


@pytest.mark.parametrize("value,bands,expected", [
    (2.59, DAS28_BANDS, "remission"), (2.6, DAS28_BANDS, "low"), (3.2, DAS28_BANDS, "low"),
    (3.21, DAS28_BANDS, "moderate"), (5.1, DAS28_BANDS, "moderate"), (5.11, DAS28_BANDS, "high"),
    (2.8, CDAI_BANDS, "remission"), (10, CDAI_BANDS, "low"), (22, CDAI_BANDS, "moderate"),
    (22.1, CDAI_BANDS, "high"), (3.3, SDAI_BANDS, "remission"), (11, SDAI_BANDS, "low"),
    (26, SDAI_BANDS, "moderate"), (26.1, SDAI_BANDS, "high"),
])
def test_band_boundaries(value, bands, expected):
    assert band(value, bands) == expected


def test_activity_units_and_completeness():
    a = disease_activity(esr=30, crp=20, tjc28=4, sjc28=2, patient_global_mm=50, evaluator_global=4)
    s = {x.name: x for x in a.scores}
    assert s["DAS28-ESR"].value == pytest.approx(das28_esr(4, 2, 30, 50))
    assert s["DAS28-CRP"].value == pytest.approx(das28_crp(4, 2, 20, 50))  # mg/L as given
    assert s["SDAI"].value == pytest.approx(4 + 2 + 5 + 4 + 2.0)  # CRP 20 mg/L = 2 mg/dL
    assert s["CDAI"].value == 15 and s["Boolean remission (2022)"].value is False
    # without an evaluator global: no CDAI/SDAI, and it says what is missing
    b = disease_activity(esr=30, crp=20, tjc28=4, sjc28=2, patient_global_mm=50)
    assert {x.name for x in b.scores} == {"DAS28-ESR", "DAS28-CRP", "Boolean remission (2022)"}
    assert b.missing["CDAI"] == ["evaluator global"]
    assert disease_activity(esr=30) is None  # no activity input at all: no section
    with pytest.raises(InvalidLabValuesError) as e:
        disease_activity(tjc28=29, sjc28="x", patient_global_mm=101)
    assert set(e.value.problems) == {"tjc28", "sjc28", "patient_global_mm"}


# --- ACR/EULAR 2010: joint picker, entry gate, erosive pathway, lab domains --------------------

def test_joint_picker_counts_and_exclusions():
    codes = check_joints(["r_mcp2", "R_MCP3", "L_PIP3", "R_WRIST", "L_KNEE", "R_DIP2", "L_CMC1",
                          "R_MTP1", "R_MCP2"], "joints")
    assert acr_counts(codes) == (4, 1, 3)  # DIP, 1st CMC and 1st MTP excluded
    assert len(DAS28_JOINTS) == 28 and das28_count(codes) == 5
    with pytest.raises(ValueError, match="R_TOE9"):
        check_joints(["R_TOE9"], "joints")


def test_no_total_without_entry_gate_and_lab_domains_when_incomplete():
    labs = dict(rf=100, anti_ccp=5, crp=25, esr=10, age=50, gender="Female")
    r = acr_eular_2010(**labs)
    assert r.total is None and not r.classifiable
    assert "lab domains B + C = 4 / 4" in r.verdict and "0/10" not in r.verdict
    gated = acr_eular_2010(**labs, entry_gate=True)
    assert gated.total is None and "lab domains B + C = 4 / 4" in gated.verdict
    assert "joint count" in gated.verdict
    out = acr_eular_2010(**labs, entry_gate=False, joints=["R_MCP2"], symptom_weeks=10)
    assert out.total is None and out.verdict.startswith("criteria not applicable")
    full = acr_eular_2010(**labs, entry_gate=True, joints=["R_MCP2", "R_MCP3"], symptom_weeks=10)
    assert full.total == 2 + 3 + 1 + 1 and full.classifiable
    assert full.to_dict()["lab_domains"] == {"points": 4, "max": 4}


def test_erosive_pathway_classifies_whatever_the_score():
    r = acr_eular_2010(rf=5, anti_ccp=5, crp=3, esr=5, age=40, gender="Male", entry_gate=True,
                       joints=["R_KNEE"], symptom_weeks=3, erosive=True)
    assert r.total == 0 and r.classifiable and "erosive-disease pathway" in r.verdict
    assert not acr_eular_2010(rf=5, entry_gate=False, erosive=True).classifiable


def test_nan_lab_domains_are_not_assessed():
    r = acr_eular_2010(rf=math.nan, anti_ccp=math.nan, crp=math.nan, esr=math.nan)
    assert r.lab_points is None and "not assessed" in r.verdict


# --- the same through the Flask form and the JSON API -------------------------------------------

def test_api_clinical_carries_prior_units_joints_and_activity(client, lab_values):
    base = client.post("/api/v1/clinical", json=lab_values).get_json()
    assert base["label"] in ("RA", "not RA") and base["activity"] is None
    assert base["prior"] == base["cohort_prior"] and base["not_measured"] == []
    assert base["acr_eular"]["total"] is None and "lab domains B + C" in base["acr_eular"]["verdict"]
    body = {**lab_values, "CRP": lab_values["CRP"] / 10, "crp_unit": "mg/dL", "prior": "2%",
            "entry_gate": True, "joints": ["R_MCP2", "R_MCP3", "L_MCP2", "L_PIP3"],
            "symptom_weeks": 10, "tender": ["R_MCP2", "R_MCP3", "L_MCP2", "L_PIP3"],
            "swollen": ["R_MCP2", "L_MCP2"], "patient_global_mm": 50, "evaluator_global": 4}
    j = client.post("/api/v1/clinical", json=body).get_json()
    assert j["prior"] == 0.02 and j["probability_ra"] < base["probability_ra"]
    # the unit switch: CRP in mg/dL gives the patient the model saw in mg/L
    assert abs(j["probability_ra_at_cohort_prior"] - base["probability_ra"]) < 1e-4
    assert j["acr_eular"]["total"] is not None and j["acr_eular"]["applicable"]
    scores = {s["name"]: s for s in j["activity"]["scores"]}
    assert scores["CDAI"]["value"] == 4 + 2 + 5 + 4
    assert scores["SDAI"]["value"] == round(15 + lab_values["CRP"] / 10, 2)


def test_api_names_every_bad_optional_field(client, lab_values):
    r = client.post("/api/v1/clinical", json={**lab_values, "prior": 1.5, "crp_unit": "g/L",
                                              "tjc28": 40, "joints": ["R_TOE9"]})
    assert r.status_code == 400
    fields = r.get_json()["error"]["fields"]
    assert set(fields) >= {"crp_unit"}  # the unit decides how CRP reads, so it is checked first
    r = client.post("/api/v1/clinical", json={**lab_values, "prior": 1.5, "tjc28": 40,
                                              "joints": ["R_TOE9"]})
    assert set(r.get_json()["error"]["fields"]) >= {"prior", "tjc28", "joints"}


def test_flask_labs_form_full_workup(client, csrf_token):
    form = {"csrf_token": csrf_token(client, "/labs"), "Gender": "Female", "Age": "54",
            "ESR": "38", "CRP": "1.4", "crp_unit": "mg/dL", "RF": "65", "Anti-CCP": "",
            "prior": "30", "entry_gate": "yes", "small_joints": "4", "large_joints": "0",
            "symptom_weeks": "10", "tjc28": "4", "sjc28": "2", "patient_global_mm": "50",
            "evaluator_global": "4"}
    html = client.post("/labs", data=form).get_data(as_text=True)
    assert "Predicted class" in html and "Disease activity" in html and "DAS28-ESR" in html
    assert "CRP 14 mg/L" in html  # 1.4 mg/dL stored and shown in mg/L
    assert "Not measured: Anti-CCP" in html and "30%" in html
    assert "Normal" not in html.split("Predicted class")[1].split("</p>")[0]
    bad = client.post("/labs", data={**form, "tjc28": "40"})
    assert bad.status_code == 400 and "tjc28" in bad.get_data(as_text=True)
