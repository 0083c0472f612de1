"""One home per clinical rule: the limits of normal, the FEV1-versus-FVC tolerance, the
pairing of post-bronchodilator values, the session's cross-field checks, which equations
take an ethnicity, and the sex code. Each is checked at its cut-offs."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from respira.science.spirometry import (
    FEV1_OVER_FVC_TOLERANCE_L,
    SEXES,
    TOLERANCE_FEV1_OVER_FVC_L,
    Z_LIMIT,
    Z_LLN,
    Z_ULN,
    above_uln,
    below_lln,
    classify_pattern,
    fev1_exceeds_fvc,
    interpret_arrays,
    interpret_session,
    missing_pair_partner,
    normal_limit_flag,
    requires_ethnicity,
    session_problems,
    sex_code,
    takes_ethnicity,
)

JUST_BELOW = -1.6450000001
JUST_ABOVE = 1.6450000001

# --------------------------------------------------------------------------- limits of normal


def test_lln_is_z_minus_1645_and_uln_z_plus_1645() -> None:
    assert Z_LLN == -1.645 == -Z_LIMIT
    assert Z_ULN == 1.645 == Z_LIMIT


def test_below_lln_only_when_z_is_strictly_below_minus_1645() -> None:
    assert below_lln(JUST_BELOW)
    assert below_lln(-4.0)
    assert not below_lln(-1.645)  # at the LLN: normal
    assert not below_lln(0.0)
    assert not below_lln(None)
    assert not below_lln(math.nan)


def test_above_uln_only_when_z_is_strictly_above_1645() -> None:
    assert above_uln(JUST_ABOVE)
    assert not above_uln(1.645)  # at the ULN: normal
    assert not above_uln(0.0)
    assert not above_uln(-3.0)
    assert not above_uln(None)
    assert not above_uln(math.nan)


@pytest.mark.parametrize(
    ("z", "flag"),
    [
        (JUST_BELOW, "below_lln"),
        (-1.645, "within"),
        (0.0, "within"),
        (1.645, "within"),
        (JUST_ABOVE, "above_uln"),
        (None, None),
        (math.nan, None),
    ],
)
def test_normal_limit_flag_is_within_at_both_limits_and_none_without_a_z_score(
    z: float | None, flag: str | None
) -> None:
    assert normal_limit_flag(z) == flag


def test_lln_rule_is_the_one_the_pattern_and_the_session_results_use() -> None:
    for z in (JUST_BELOW, -1.645, -1.0):
        low = classify_pattern(0.0, 0.0, z) != 0  # only the ratio varies
        assert low == below_lln(z)
    s = interpret_session(
        "gli-global", sex="M", age=45.0, height_cm=178.0, fev1_pre_l=2.5, fvc_pre_l=4.2
    )
    for result in s.results.values():
        assert result.below_lln == below_lln(result.z)


# --------------------------------------------------------------------------- FEV1 vs FVC


def test_fev1_over_fvc_tolerance_is_150_ml_under_both_names() -> None:
    assert FEV1_OVER_FVC_TOLERANCE_L == TOLERANCE_FEV1_OVER_FVC_L == 0.15


@pytest.mark.parametrize(
    ("fev1", "fvc", "exceeds"),
    [
        (3.45, 3.30, False),  # exactly 150 mL; binary difference 0.15000000000000036
        (4.35, 4.20, False),
        (1.15, 1.00, False),
        (3.30, 3.30, False),
        (3.451, 3.30, True),  # 151 mL
        (4.351, 4.20, True),
        (3.46, 3.30, True),
        (math.nan, 3.30, False),  # not measured never exceeds
    ],
)
def test_fev1_may_exceed_fvc_by_exactly_150_ml_but_not_151(
    fev1: float, fvc: float, exceeds: bool
) -> None:
    assert fev1_exceeds_fvc(fev1, fvc) is exceeds
    arrays = fev1_exceeds_fvc(np.array([fev1, 2.0]), np.array([fvc, 3.0]))
    assert list(arrays) == [exceeds, False]


@settings(max_examples=200, deadline=None)
@given(
    fvc=st.decimals("0.20", "9.00", places=2),
    excess=st.decimals("0.140", "0.160", places=3),
)
def test_fev1_over_fvc_rule_is_the_same_for_the_form_and_the_interpretation(
    fvc: Decimal, excess: Decimal
) -> None:
    fev1 = float(fvc + excess)
    form = session_problems(
        fev1_pre_l=fev1, fvc_pre_l=float(fvc), equations="gli-global", ethnicity=None
    )
    batch = interpret_arrays(
        "gli-global", sex="M", age=45.0, height_cm=178.0, fev1_pre_l=[fev1], fvc_pre_l=[float(fvc)]
    )
    refused = excess > Decimal("0.150")  # exact decimal arithmetic
    assert ("fev1_pre_l" in form) is refused
    assert ("exceeds" in batch.error[0]) is refused


# --------------------------------------------------------------------------- pairs


def test_post_bronchodilator_values_come_in_pairs() -> None:
    assert missing_pair_partner(True, False)  # this one missing, its partner given
    assert not missing_pair_partner(False, True)
    assert not missing_pair_partner(True, True)  # neither given: no post test
    assert not missing_pair_partner(False, False)
    missing = np.array([True, False, True, False])
    partner = np.array([False, True, True, False])
    assert list(missing_pair_partner(missing, partner)) == [True, False, False, False]


# --------------------------------------------------------------------------- the form checks


def _problems(**overrides: Any) -> dict[str, str]:
    kwargs: dict[str, Any] = {
        "fev1_pre_l": 2.5,
        "fvc_pre_l": 4.2,
        "fev1_post_l": None,
        "fvc_post_l": None,
        "equations": "gli-global",
        "ethnicity": None,
    }
    kwargs.update(overrides)
    return session_problems(**kwargs)


def test_session_problems_none_for_a_complete_session() -> None:
    assert _problems() == {}
    assert _problems(fev1_post_l=2.9, fvc_post_l=4.4) == {}
    assert _problems(equations="gli-2012", ethnicity="ne_asian") == {}


def test_pre_bronchodilator_fev1_and_fvc_are_required() -> None:
    assert _problems(fev1_pre_l=None, fvc_pre_l=None) == {
        "fev1_pre_l": "FEV1 before the bronchodilator is required (L)",
        "fvc_pre_l": "FVC before the bronchodilator is required (L)",
    }


def test_post_bronchodilator_values_need_the_pre_bronchodilator_values() -> None:
    msg = (
        "post-bronchodilator values need the pre-bronchodilator values; enter "
        "FEV1 and FVC before the bronchodilator (L)"
    )
    assert _problems(fev1_pre_l=None, fev1_post_l=2.9, fvc_post_l=4.4) == {"fev1_pre_l": msg}
    assert _problems(fev1_pre_l=None, fvc_pre_l=None, fvc_post_l=4.4) == {
        "fev1_pre_l": msg,
        "fvc_pre_l": msg,
        "fev1_post_l": "FEV1 after the bronchodilator is missing but FVC is given (L)",
    }


def test_session_post_values_come_in_pairs() -> None:
    assert _problems(fev1_post_l=2.9) == {
        "fvc_post_l": "FVC after the bronchodilator is missing but FEV1 is given (L)"
    }
    assert _problems(fvc_post_l=4.4) == {
        "fev1_post_l": "FEV1 after the bronchodilator is missing but FVC is given (L)"
    }


def test_session_fev1_exactly_150_ml_above_fvc_passes_and_151_ml_fails() -> None:
    assert _problems(fev1_pre_l=3.45, fvc_pre_l=3.30) == {}
    assert _problems(fev1_post_l=4.35, fvc_post_l=4.2) == {}
    msg = (
        "FEV1 3.451 L exceeds FVC 3.3 L before the bronchodilator by more than 0.15 L; "
        "check both values (FEV1 cannot be larger than FVC)"
    )
    assert _problems(fev1_pre_l=3.451, fvc_pre_l=3.30) == {"fev1_pre_l": msg, "fvc_pre_l": msg}
    post = _problems(fev1_post_l=4.351, fvc_post_l=4.2)
    assert list(post) == ["fev1_post_l", "fvc_post_l"]
    assert post["fvc_post_l"].startswith("FEV1 4.351 L exceeds FVC 4.2 L after the")


def test_session_fev1_over_fvc_message_writes_numbers_as_a_person_would() -> None:
    msg = _problems(fev1_pre_l=1500.0, fvc_pre_l=4.0)["fev1_pre_l"]
    assert msg.startswith("FEV1 1,500 L exceeds FVC 4 L before")
    msg = _problems(fev1_pre_l=0.9123456, fvc_pre_l=0.5)["fev1_pre_l"]
    assert msg.startswith("FEV1 0.9123 L exceeds FVC 0.5 L before")
    msg = _problems(fev1_pre_l=4.1234567, fvc_pre_l=2.25)["fev1_pre_l"]
    assert msg.startswith("FEV1 4.12346 L exceeds FVC 2.25 L before")


def test_gli_2012_needs_an_ethnicity_and_gli_global_takes_none() -> None:
    assert _problems(equations="gli-2012") == {
        "ethnicity": "GLI-2012 needs the reference group (ethnicity)"
    }
    assert _problems(ethnicity="caucasian") == {
        "ethnicity": (
            "GLI Global is race-neutral and takes no ethnicity; leave it empty or choose GLI-2012"
        )
    }


def test_session_problems_keep_the_rules_order() -> None:
    problems = _problems(fev1_pre_l=None, fvc_pre_l=None, fvc_post_l=4.4, equations="gli-2012")
    assert list(problems) == ["fev1_pre_l", "fvc_pre_l", "fev1_post_l", "ethnicity"]


# --------------------------------------------------------------------------- ethnicity, sex


def test_only_gli_2012_requires_and_takes_an_ethnicity() -> None:
    assert requires_ethnicity("gli-2012") and takes_ethnicity("gli-2012")
    assert not requires_ethnicity("gli-global") and not takes_ethnicity("gli-global")
    with pytest.raises(ValueError, match="equations must be one of"):
        requires_ethnicity("gli-2021")
    with pytest.raises(ValueError, match="equations must be one of"):
        takes_ethnicity("GLI-2012")


def test_sex_code_maps_female_to_f_and_male_to_m() -> None:
    assert sex_code("female") == "F"
    assert sex_code("male") == "M"
    assert {sex_code("female"), sex_code("male")} == set(SEXES)


@pytest.mark.parametrize("value", ["Female", "MALE", " male", "F", "M", "", "other"])
def test_sex_code_refuses_anything_but_female_or_male(value: str) -> None:
    with pytest.raises(ValueError, match="sex_at_birth"):
        sex_code(value)
