"""Synthetic rheumatology lab cohort in the Harvard Dataverse schema.

The Dataverse "Diagnosis of rheumatic and autoimmune diseases" CSV (Mahdi et al., Data in
Brief 2025; doi:10.7910/DVN/VM4OR3) has 15 columns: Age, Gender, ESR, CRP, RF, Anti-CCP, C3,
C4, HLA-B27, ANA, Anti-Ro, Anti-La, Anti-dsDNA, Anti-Sm, Disease. We draw a cohort with that
schema so that the same loader, training and evaluation run on real data unchanged.

Published anchors (``shared/research/clinical-facts.md``):

* Class mix (version 2.0): the Dataverse classes (RA 23.6%, AS 17.6%, Sjögren 15.3%, PsA
  14.8%, Normal 13.3%, SLE 11.2%, ReA 4.3%; third-party README) scaled down to make room for
  the differentials of an arthritis clinic: osteoarthritis 10%, gout/CPPD 7%, polymyalgia
  rheumatica 5%, viral arthritis 3%, undifferentiated arthritis 2% (RA 20%); see
  :data:`~ra_models.clinical.schema.DISEASES`. Their profiles: OA older, normal acute phase,
  RF only as often as at that age; gout/CPPD men, high CRP in flares, seronegative; PMR ≥ 50
  years with ESR/CRP the highest of all, seronegative (RF at the age-related rate); viral
  (parvovirus B19, hepatitis C) arthritis with transient RF in about a quarter; undifferentiated
  arthritis with anti-CCP in about a quarter (many progress to RA).
* Anti-CCP sensitivity 67%, specificity 95%; IgM-RF sensitivity 69%, specificity 85%
  (Nishimura et al., Ann Intern Med 2007;146:797). Both positive in RA ≈ 57–58%, either
  positive ≈ 78% (meta-analysis of 24 studies), so the RA joint distribution is
  RF+CCP+ 58%, RF+ only 11%, CCP+ only 9%, double negative 22%. Specificities are
  measured against every non-RA class together, at the default cut-offs RF 20 IU/mL and
  anti-CCP 20 U/mL (the ACR/EULAR calculator's defaults).
* **Likelihood ratios as published** (version 2.0). In version 1.0 RF and anti-CCP false
  positives were independent and anti-CCP titres in non-RA were low, so a double-positive or
  a high-titre anti-CCP had a likelihood ratio above 100 and labs alone reached P(RA) 99.9%.
  Now false-positive serology is correlated (80% of anti-CCP-positive non-RA patients are also
  RF positive, so both positive in ≈ 3.5% of non-RA: specificity 96%, LR+ ≈ 14–17 against
  the published 13.8) and false-positive anti-CCP titres reach high values (≈ 50% above
  3 × ULN: high-titre anti-CCP LR+ ≈ 20–30; published high-titre ACPA LR+ are 15–50, e.g.
  Bizzaro et al., Clin Chem 2001;47:1089; van Gaalen et al., Arthritis Rheum 2004;50:709).
* RF false positives rise with age (healthy older adults are RF-positive more often; 8.1% RF+
  in an Italian adult cohort with higher rates at older ages, clinical-facts.md §2.1): the
  non-RA RF-positive rate is scaled by 0.4 at 18 years up to 1.9 at 85.
* Titres are right-skewed (SD ≥ mean in RA cohorts, PMC3132041, PMC6231015): log-normal
  above the cut-off for positives, lower titres for false positives.
* ESR (Westergren) rises with age and is higher in women; the upper limit of normal is
  age/2 (men) and (age+10)/2 (women) (Miller et al., BMJ 1983); RA mean ≈ 42 ± 25 mm/h
  (J Rheumatol, n=93); capped at 140 mm/h (tube length). CRP in RA ≈ 12 ± 13.5 mg/L.
* RA: ≈ 70% women, age at onset ≈ Normal(56, 14) (Olmsted County cohorts).
* Missingness is large and disease-dependent (a test is ordered when a disease is suspected),
  with overall rates close to the Dataverse README (ESR 9%, CRP 20%, RF 11%, Anti-CCP 27%…).

Every number produced from this cohort is synthetic and says nothing about real patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import DATAVERSE_COLUMNS, DISEASES, NORMAL_NAME, RA_NAME

COHORT_VERSION = "2.0.0"
RF_ULN, CCP_ULN = 20.0, 20.0

AS, SS, PSA, SLE, REA = ("Ankylosing Spondylitis", "Sjögren's Syndrome", "Psoriatic Arthritis",
                         "Systemic Lupus Erythematosus", "Reactive Arthritis")
OA, GOUT, PMR, VIRAL, UA = ("Osteoarthritis", "Gout/CPPD", "Polymyalgia Rheumatica",
                            "Viral Arthritis", "Undifferentiated Arthritis")

# Per disease: (age mean, age sd, P(female), ESR median, CRP median mg/L)
_DEMO = {
    RA_NAME: (56, 14, 0.70, 31, 9.0),
    AS: (36, 11, 0.30, 26, 11.0),
    SS: (52, 13, 0.92, 30, 3.5),
    PSA: (46, 12, 0.50, 24, 7.0),
    NORMAL_NAME: (48, 17, 0.50, None, 1.5),
    SLE: (36, 12, 0.90, 38, 4.5),
    REA: (32, 10, 0.40, 32, 18.0),
    OA: (64, 10, 0.65, 16, 2.5),
    GOUT: (60, 13, 0.25, 32, 20.0),
    PMR: (72, 7, 0.65, 55, 30.0),
    VIRAL: (40, 12, 0.60, 25, 8.0),
    UA: (50, 14, 0.60, 26, 6.0),
}
# P(RF positive), P(anti-CCP positive) in non-RA classes; weighted by class shares they give
# overall specificities of 85% (RF) and 95% (anti-CCP).
_FALSE_POS = {AS: (0.05, 0.01), SS: (0.40, 0.10), PSA: (0.08, 0.08), NORMAL_NAME: (0.06, 0.01),
              SLE: (0.20, 0.06), REA: (0.05, 0.02), OA: (0.10, 0.01), GOUT: (0.08, 0.01),
              PMR: (0.10, 0.01), VIRAL: (0.25, 0.02), UA: (0.20, 0.30)}
#: P(RF positive | anti-CCP positive) in non-RA: false-positive serology is correlated.
_RF_GIVEN_CCP_FP = 0.8
# RA serology (RF, CCP) joint distribution.
_RA_SERO = {(1, 1): 0.58, (1, 0): 0.11, (0, 1): 0.09, (0, 0): 0.22}
# Binary markers: P(positive) per disease.
_BINARY = {
    "HLA-B27": {AS: 0.90, REA: 0.70, PSA: 0.30, "_": 0.07},
    "ANA": {SLE: 0.97, SS: 0.80, RA_NAME: 0.40, PSA: 0.15, "_": 0.10},
    "Anti-Ro": {SS: 0.70, SLE: 0.40, RA_NAME: 0.05, "_": 0.02},
    "Anti-La": {SS: 0.45, SLE: 0.15, "_": 0.01},
    "Anti-dsDNA": {SLE: 0.70, "_": 0.02},
    "Anti-Sm": {SLE: 0.25, "_": 0.01},
}
# Missingness: overall base rate and the diseases for which the test is usually ordered.
_MISSING = {
    "ESR": (0.09, ()), "CRP": (0.20, ()), "RF": (0.11, (RA_NAME, SS)),
    "Anti-CCP": (0.27, (RA_NAME,)), "HLA-B27": (0.16, (AS, REA, PSA)),
    "ANA": (0.31, (SLE, SS)), "Anti-Ro": (0.24, (SS, SLE)), "Anti-La": (0.25, (SS, SLE)),
    "Anti-dsDNA": (0.39, (SLE,)), "Anti-Sm": (0.43, (SLE,)), "C3": (0.14, (SLE,)),
    "C4": (0.17, (SLE,)),
}


def esr_uln(age, female) -> np.ndarray:
    """Age/sex-adjusted ESR upper limit of normal (Miller 1983): men age/2, women (age+10)/2."""
    age = np.asarray(age, float)
    return np.where(np.asarray(female, bool), (age + 10) / 2, age / 2)


def _rf_age_factor(age) -> np.ndarray:
    """Non-RA RF-positive rate multiplier: 0.4 at 18 years, rising to 1.9 at 85."""
    return np.clip(0.4 + (np.asarray(age, float) - 18) / 45, 0.4, 2.0)


def _titre(rng, n, uln, positive, pos_median_x, pos_sd, neg=False):
    """Positive: ULN * (1 + lognormal); negative: a value below ULN."""
    pos = uln * (1.0 + np.exp(rng.normal(np.log(pos_median_x), pos_sd, n)))
    negv = uln * 0.97 * rng.beta(1.6, 3.0, n)
    return np.where(positive, np.minimum(pos, 4000.0), negv)


def generate_cohort(n: int, seed: int = 0) -> pd.DataFrame:
    """Draw ``n`` synthetic patients in the Dataverse schema (deterministic for a seed)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x434F48]))
    names = list(DISEASES)
    probs = np.array([DISEASES[k] for k in names])
    disease = rng.choice(names, size=n, p=probs / probs.sum())
    df = pd.DataFrame({"Disease": disease})
    age = np.empty(n)
    female = np.empty(n, bool)
    esr = np.empty(n)
    crp = np.empty(n)
    rf = np.empty(n)
    ccp = np.empty(n)
    for d in names:
        m = disease == d
        k = int(m.sum())
        if not k:
            continue
        a_mu, a_sd, p_f, esr_med, crp_med = _DEMO[d]
        if d == NORMAL_NAME:
            a = rng.uniform(18, 85, k)
        elif d == PMR:  # PMR is (almost) never diagnosed before 50
            a = np.clip(rng.normal(a_mu, a_sd, k), 50, 92)
        else:
            a = np.clip(rng.normal(a_mu, a_sd, k), 18, 90)
        f = rng.random(k) < p_f
        age[m], female[m] = a, f
        uln = esr_uln(a, f)
        if esr_med is None:  # healthy: centred well below the age/sex ULN
            e = np.exp(rng.normal(np.log(0.4 * uln), 0.5, k))
        else:
            e = np.exp(rng.normal(np.log(esr_med * np.where(f, 1.1, 0.9)), 0.6, k))
            e = e + 0.15 * (a - 50).clip(0)  # ESR rises with age
        esr[m] = np.clip(e, 1, 140)
        crp[m] = np.clip(np.exp(rng.normal(np.log(crp_med), 1.0, k)), 0.1, 300)
        if d == RA_NAME:
            keys = list(_RA_SERO)
            pick = rng.choice(len(keys), size=k, p=[_RA_SERO[x] for x in keys])
            rf_pos = np.array([keys[i][0] for i in pick], bool)
            ccp_pos = np.array([keys[i][1] for i in pick], bool)
            rf[m] = _titre(rng, k, RF_ULN, rf_pos, 3.0, 1.0)
            ccp[m] = _titre(rng, k, CCP_ULN, ccp_pos, 4.5, 1.0)
        else:
            p_rf, p_ccp = _FALSE_POS[d]
            ccp_pos = rng.random(k) < p_ccp
            p_rf_age = np.clip(p_rf * _rf_age_factor(a), 0, 0.9)
            q = np.clip((p_rf_age - _RF_GIVEN_CCP_FP * p_ccp) / (1 - p_ccp), 0, 1)
            rf_pos = rng.random(k) < np.where(ccp_pos, _RF_GIVEN_CCP_FP, q)
            # false-positive titres are lower but overlap RA's (heavy tails), so a very high
            # titre alone is strong evidence, not proof
            rf[m] = _titre(rng, k, RF_ULN, rf_pos, 1.5, 1.1)
            ccp[m] = _titre(rng, k, CCP_ULN, ccp_pos, 2.0, 1.3)
    df["Age"] = np.round(age).astype(int)
    df["Gender"] = np.where(female, "Female", "Male")
    df["ESR"] = np.round(esr, 0)
    df["CRP"] = np.round(crp, 1)
    df["RF"] = np.round(rf, 1)
    df["Anti-CCP"] = np.round(ccp, 1)
    c3 = np.where(disease == SLE, rng.normal(75, 20, n), rng.normal(120, 20, n))
    c4 = np.where(disease == SLE, rng.normal(12, 5, n), rng.normal(25, 6, n))
    df["C3"] = np.round(np.clip(c3, 20, 250), 0)
    df["C4"] = np.round(np.clip(c4, 2, 70), 0)
    for col, table in _BINARY.items():
        p = np.array([table.get(d, table["_"]) for d in disease])
        df[col] = np.where(rng.random(n) < p, "Positive", "Negative")
    # Disease-dependent missingness: tests ordered for a suspected disease are rarely missing.
    for col, (base, ordered_for) in _MISSING.items():
        factor = np.array([0.35 if d in ordered_for else 1.0 for d in disease])
        miss = rng.random(n) < np.clip(factor * base / factor.mean(), 0, 0.95)
        df[col] = df[col].astype(object).where(~miss, None) if df[col].dtype == object else \
            df[col].where(~miss)
    return df[list(DATAVERSE_COLUMNS)]
