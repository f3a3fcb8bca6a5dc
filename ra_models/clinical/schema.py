"""Lab features: names, units, plausible ranges and reference ranges (one source for all UIs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabFeature:
    name: str  # canonical column name (Dataverse schema)
    label: str
    unit: str
    min: float  # physiologically plausible range accepted by the loader and forms
    max: float
    reference: str  # shown beside the input
    default: float
    help: str = ""


#: The paper's six features (Age and Gender are demographics; Gender is categorical).
LAB_FEATURES: tuple[LabFeature, ...] = (
    LabFeature("Age", "Age", "years", 16, 110, "adults", 55, "Age at the time of the blood test."),
    LabFeature("ESR", "ESR", "mm/h", 0, 150, "≤ age/2 (men), ≤ (age+10)/2 (women)", 20,
               "Westergren erythrocyte sedimentation rate."),
    LabFeature("CRP", "CRP", "mg/L", 0, 500, "< 10 mg/L", 4, "C-reactive protein."),
    LabFeature("RF", "Rheumatoid factor (IgM)", "IU/mL", 0, 5000, "< 20 IU/mL", 10,
               "IgM rheumatoid factor."),
    LabFeature("Anti-CCP", "Anti-CCP (ACPA)", "U/mL", 0, 5000, "< 20 U/mL", 5,
               "Anti-cyclic citrullinated peptide antibodies (assay-specific cut-off)."),
)
NUMERIC_FEATURES = tuple(f.name for f in LAB_FEATURES)
FEATURES = ("Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP")
#: The lab markers proper: a prediction needs at least one of them (age and sex alone give none).
LAB_MARKERS = ("ESR", "CRP", "RF", "Anti-CCP")
GENDER_VALUES = ("Female", "Male")
FEATURE_BY_NAME = {f.name: f for f in LAB_FEATURES}

#: Column-name aliases accepted by the loader (compared lower-case without spaces, _ or -).
ALIASES = {
    "age": "Age", "ageyears": "Age",
    "gender": "Gender", "sex": "Gender",
    "esr": "ESR", "esrmmh": "ESR", "sedrate": "ESR",
    "crp": "CRP", "crpmgl": "CRP",
    "rf": "RF", "rheumatoidfactor": "RF", "rfiuml": "RF", "igmrf": "RF",
    "anticcp": "Anti-CCP", "acpa": "Anti-CCP", "ccp": "Anti-CCP", "anticcpuml": "Anti-CCP",
    "disease": "Disease", "diagnosis": "Disease", "label": "Disease",
}

RA_NAME = "Rheumatoid Arthritis"
NORMAL_NAME = "Normal"
DISEASES = {
    # name: share in the synthetic cohort 2.0. The first seven are the Dataverse data set's
    # classes (clinical-facts.md §1.2: RA 23.6%, AS 17.6%, SS 15.3%, PsA 14.8%, Normal 13.3%,
    # SLE 11.2%, ReA 4.3%), scaled down to make room for the differentials a rheumatologist
    # meets in an arthritis clinic and that the Dataverse set lacks.
    RA_NAME: 0.20,
    "Ankylosing Spondylitis": 0.12,
    "Sjögren's Syndrome": 0.10,
    "Psoriatic Arthritis": 0.10,
    NORMAL_NAME: 0.10,
    "Systemic Lupus Erythematosus": 0.08,
    "Reactive Arthritis": 0.03,
    "Osteoarthritis": 0.10,
    "Gout/CPPD": 0.07,
    "Polymyalgia Rheumatica": 0.05,
    "Viral Arthritis": 0.03,
    "Undifferentiated Arthritis": 0.02,
}
DATAVERSE_COLUMNS = ("Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP", "C3", "C4", "HLA-B27",
                     "ANA", "Anti-Ro", "Anti-La", "Anti-dsDNA", "Anti-Sm", "Disease")
