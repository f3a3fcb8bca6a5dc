"""Issue 11 bugs: exactly 3 × ULN is low positive for any decimal ULN; NaN is "not measured"."""

import math

import pytest

from ra_models.clinical.acr_eular import ULN, acr_eular_2010


def serology(r):
    return next(i for i in r.items if i.domain.startswith("B."))


@pytest.mark.parametrize(("value", "uln", "points"), [
    (3.6, 1.2, 2), (3.6000001, 1.2, 3), (1.2, 1.2, 0), (60, 20, 2), (60.1, 20, 3),
    (0.3, 0.1, 2), (0.9, 0.3, 2), (2.1, 0.7, 2),
])
def test_three_times_uln_is_low_positive(value, uln, points):
    assert serology(acr_eular_2010(rf=value, uln=ULN(rf=uln))).points == points
    assert serology(acr_eular_2010(anti_ccp=value, uln=ULN(anti_ccp=uln))).points == points


def test_nan_is_not_measured():
    r = acr_eular_2010(rf=math.nan, anti_ccp=math.nan, crp=math.nan, esr=math.nan, age=50,
                       gender="Female")
    assert "RF or anti-CCP" in r.missing and any("CRP or ESR" in m for m in r.missing)
    assert r.score == 0
    r2 = acr_eular_2010(rf=math.nan, anti_ccp=5)
    assert serology(r2).points == 0 and "RF not measured" in serology(r2).reason

