"""Clinical path: cohort realism, loader, JSON preprocessing, ACR/EULAR, DNN vs chance."""

import json

import numpy as np
import pandas as pd
import pytest

from ra_models.clinical.acr_eular import ULN, acr_eular_2010, esr_uln
from ra_models.clinical.cohort import generate_cohort
from ra_models.clinical.loader import labels_for, load_lab_table, validate_lab_values
from ra_models.clinical.preprocessing import LabPreprocessor
from ra_models.clinical.schema import DATAVERSE_COLUMNS, RA_NAME
from ra_models.errors import InvalidDataError, InvalidLabValuesError


@pytest.fixture(scope="module")
def cohort():
    return generate_cohort(20000, seed=3)


@pytest.mark.parametrize(("col", "sens", "spec"), [("Anti-CCP", 0.67, 0.95), ("RF", 0.69, 0.85)])
def test_marker_accuracy_matches_literature(cohort, col, sens, spec):
    ra = cohort["Disease"] == RA_NAME
    v = cohort[col]
    ok = v.notna()
    s = ((v > 20) & ra & ok).sum() / (ra & ok).sum()
    c = ((v <= 20) & ~ra & ok).sum() / (~ra & ok).sum()
    assert abs(s - sens) <= 0.03, s
    assert abs(c - spec) <= 0.03, c


def test_cohort_schema_mix_and_determinism(cohort):
    assert tuple(cohort.columns) == DATAVERSE_COLUMNS
    share = (cohort["Disease"] == RA_NAME).mean()
    assert abs(share - 0.20) < 0.015
    # the differentials of an arthritis clinic are there (cohort 2.0)
    assert {"Osteoarthritis", "Gout/CPPD", "Polymyalgia Rheumatica", "Viral Arthritis",
            "Undifferentiated Arthritis"} <= set(cohort["Disease"])
    pmr = cohort[cohort["Disease"] == "Polymyalgia Rheumatica"]
    assert pmr["Age"].min() >= 50 and pmr["ESR"].median() > ra_median_esr(cohort)
    ra = cohort[cohort["Disease"] == RA_NAME]
    assert 0.65 < (ra["Gender"] == "Female").mean() < 0.75
    assert abs(ra["Age"].mean() - 56) < 2
    # right-skewed titres in RA: mean well above median
    assert ra["Anti-CCP"].mean() > 1.3 * ra["Anti-CCP"].median()
    # ESR rises with age in healthy people
    n = cohort[cohort["Disease"] == "Normal"]
    assert n[n["Age"] > 65]["ESR"].median() > n[n["Age"] < 35]["ESR"].median()
    # disease-dependent missingness: anti-dsDNA is ordered for suspected lupus
    sle = cohort["Disease"] == "Systemic Lupus Erythematosus"
    assert cohort.loc[sle, "Anti-dsDNA"].isna().mean() < cohort.loc[~sle, "Anti-dsDNA"].isna().mean() / 2
    pd.testing.assert_frame_equal(generate_cohort(300, 1), generate_cohort(300, 1))


def ra_median_esr(cohort):
    return cohort[cohort["Disease"] == RA_NAME]["ESR"].median()


def _lr(cohort, positive):
    ra = cohort["Disease"] == RA_NAME
    return positive[ra].mean() / positive[~ra].mean()


def test_likelihood_ratios_match_published_ranges():
    """Issue 11 §4: double-positive LR+ 10–20 (published 13.8), high-titre anti-CCP LR+
    15–50, RF false positives rising with age; so labs alone cannot reach certainty."""
    big = generate_cohort(40000, 3).dropna(subset=["RF", "Anti-CCP"])
    both = (big["RF"] > 20) & (big["Anti-CCP"] > 20)
    assert 10 <= _lr(big, both) <= 20
    assert 15 <= _lr(big, big["Anti-CCP"] > 60) <= 50
    assert 3.5 <= _lr(big, big["RF"] > 20) <= 6.5  # published 4.86
    normal = big[big["Disease"] == "Normal"]
    young = (normal[normal["Age"] < 40]["RF"] > 20).mean()
    old = (normal[normal["Age"] >= 65]["RF"] > 20).mean()
    assert old > 1.8 * young


def test_loader_accepts_dataverse_csv_as_is(cohort):
    df = load_lab_table(cohort.head(500).to_csv(index=False).encode(), require_label=True)
    assert {"Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP", "Disease"} <= set(df.columns)
    x, y = labels_for(df)
    assert len(x) == 500 and set(np.unique(y)) == {0, 1}
    x2, y2 = labels_for(df, "ra_vs_normal")
    assert set(x2["Disease"]) <= {RA_NAME, "Normal"}


def test_loader_aliases_and_units_in_names():
    csv = "age,SEX,esr_mm_h,CRP (mg/L),Rheumatoid factor,ACPA\n50,f,20,3,10,5\n61,Male,,12,80,300\n"
    df = load_lab_table(csv.encode())
    assert list(df[["Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP"]].iloc[0]) == [50, "Female", 20, 3, 10, 5]
    assert np.isnan(df["ESR"].iloc[1])


def test_loader_reports_every_bad_cell():
    csv = ("Age,Gender,ESR,CRP,RF,Anti-CCP,Disease\n"
           "50,Female,20,3,10,5,Normal\n"
           "abc,Female,20,3,10,5,Normal\n"        # row 3: Age not a number
           "40,Robot,900,3,-5,5,Normal\n"         # row 4: gender, ESR range, RF range
           "40,Male,20,3,10,lots,Normal\n")       # row 5: Anti-CCP not a number
    with pytest.raises(InvalidDataError) as e:
        load_lab_table(csv.encode(), require_label=True)
    msg = str(e.value)
    problems = e.value.problems
    assert len(problems) >= 5
    for needle in ("row 3, column Age: 'abc' is not a number",
                   "row 4, column Gender: 'Robot'",
                   "row 4, column ESR: 900 is outside the allowed range 0–150 mm/h",
                   "row 4, column RF: -5 is outside",
                   "row 5, column Anti-CCP: 'lots' is not a number"):
        assert needle in msg, needle


def test_loader_missing_columns():
    with pytest.raises(InvalidDataError, match="Missing column.*Anti-CCP"):
        load_lab_table(b"Age,Gender,ESR,CRP,RF\n50,F,1,1,1\n")


def test_validate_single_patient():
    clean = validate_lab_values({"age": "55", "sex": "m", "ESR": "", "CRP": 4, "RF": None,
                                 "anti_ccp": 300})
    assert clean == {"Gender": "Male", "Age": 55.0, "ESR": None, "CRP": 4.0, "RF": None,
                     "Anti-CCP": 300.0}
    with pytest.raises(InvalidLabValuesError) as e:
        validate_lab_values({"Age": 300, "Gender": "x", "CRP": "high"})
    assert set(e.value.problems) == {"Age", "Gender", "CRP"}


def test_preprocessing_round_trips_as_json_without_pickle(tmp_path, cohort):
    pre = LabPreprocessor(missing_indicators=True).fit(cohort.head(3000))
    path = tmp_path / "pre.json"
    pre.save(path)
    text = path.read_text()
    json.loads(text)  # plain JSON
    assert "pickle" not in text and "__reduce__" not in text
    back = LabPreprocessor.load(path)
    a, b = pre.transform(cohort.tail(500)), back.transform(cohort.tail(500))
    assert np.array_equal(a, b)
    assert a.shape[1] == 10 and np.isfinite(a).all()


# --- ACR/EULAR 2010 on hand-worked cases ---------------------------------------------

def test_acr_eular_boundary_at_three_times_uln():
    at = acr_eular_2010(rf=60, anti_ccp=None, crp=None, esr=None)
    above = acr_eular_2010(rf=60.1, anti_ccp=None, crp=None, esr=None)
    at_uln = acr_eular_2010(rf=20, anti_ccp=5)
    assert [i.points for i in at.items if i.domain.startswith("B")] == [2]
    assert [i.points for i in above.items if i.domain.startswith("B")] == [3]
    assert [i.points for i in at_uln.items if i.domain.startswith("B")] == [0]


def test_acr_eular_classic_case_scores_seven():
    # 6 small joints (3) + high-positive ACPA (3) + raised CRP (1) + 3 weeks (0) = 7
    r = acr_eular_2010(rf=10, anti_ccp=150, crp=25, esr=10, age=50, gender="Female",
                       small_joints=6, large_joints=0, symptom_weeks=3, entry_gate=True)
    assert r.score == 7 and r.total == 7 and r.classifiable and r.complete
    assert [i.points for i in r.items] == [3, 3, 1, 0]


def test_acr_eular_threshold_at_six():
    five = acr_eular_2010(rf=30, anti_ccp=5, crp=3, esr=10, age=50, gender="Male",
                          small_joints=2, large_joints=0, symptom_weeks=8, entry_gate=True)  # 2+2+0+1
    six = acr_eular_2010(rf=30, anti_ccp=5, crp=12, esr=10, age=50, gender="Male",
                         small_joints=2, large_joints=0, symptom_weeks=8, entry_gate=True)  # 2+2+1+1
    assert five.score == 5 and not five.classifiable
    assert six.score == 6 and six.classifiable


def test_acr_eular_joint_categories():
    def a(small, large):
        return acr_eular_2010(small_joints=small, large_joints=large).items[0].points

    assert [a(0, 1), a(0, 2), a(0, 10), a(1, 0), a(3, 5), a(4, 0), a(10, 0), a(8, 3), a(11, 0)] == \
        [0, 1, 1, 2, 2, 3, 3, 5, 5]


def test_esr_age_sex_limit_and_incomplete_result():
    assert esr_uln(60, "Male") == 30 and esr_uln(60, "Female") == 35
    r = acr_eular_2010(rf=5, anti_ccp=5, esr=33, age=60, gender="Male")
    c = [i for i in r.items if i.domain.startswith("C")][0]
    assert c.points == 1 and "33 mm/h > 30" in c.reason
    assert not r.complete and r.max_possible == r.score + 6
    assert "joint count" in r.missing
    r2 = acr_eular_2010(rf=5, anti_ccp=5, esr=33, age=60, gender="Male", uln=ULN(esr=40))
    assert [i.points for i in r2.items if i.domain.startswith("C")] == [0]


def test_dnn_clearly_beats_chance(tiny_clinical_dir):
    card = json.loads((tiny_clinical_dir / "model_card.json").read_text())
    assert card["metrics"]["roc_auc"] > 0.8
    assert card["metrics"]["roc_auc_ci95"][0] > 0.7
    assert card["training_data"]["source"] == "synthetic cohort"


def test_fast_record_path_equals_pipeline(cohort):
    pre = LabPreprocessor(missing_indicators=True).fit(cohort.head(3000))
    sample = cohort.tail(300)[["Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP"]]
    records = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in sample.to_dict("records")]
    assert np.allclose(pre.transform_records(records), pre.transform(sample), atol=1e-6)
    # the NumPy serving path equals the scikit-learn Pipeline the numbers were fitted with
    from ra_models.clinical.preprocessing import encode_frame

    pipe = pre.make_pipeline().fit(encode_frame(cohort.head(3000), True))
    ref = pipe.transform(encode_frame(sample, True))
    assert np.abs(pre.transform(sample) - ref).max() < 1e-5
