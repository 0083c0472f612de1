"""ATS/ERS 2022 interpretation: patterns, severity, bronchodilator responsiveness,
quality checks, the session API and the array API."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from respira.science.spirometry import (  # the names the web app and the CLI import
    PATTERNS,
    SEVERITIES,
    OutOfRangeError,
    SpirometryInputError,
    bdr_2005,
    bdr_2022,
    classify_pattern,
    grade_severity,
    interpret_arrays,
    interpret_session,
)

pytestmark = pytest.mark.usefixtures("spirometry_backend")


LOW = -1.6450000001  # just below the LLN
AT_LLN = -1.645  # exactly at the LLN: not below it


def _pattern(fev1: float, fvc: float, ratio: float) -> str:
    return PATTERNS[classify_pattern(fev1, fvc, ratio)]


# --------------------------------------------------------------------------- pattern


def test_pattern_normal_when_every_z_is_at_or_above_minus_1645() -> None:
    assert _pattern(0.0, 0.0, 0.0) == "normal"
    assert _pattern(AT_LLN, AT_LLN, AT_LLN) == "normal"


def test_obstruction_when_fev1_fvc_z_is_below_minus_1645_and_fvc_normal() -> None:
    assert _pattern(-1.0, 0.0, LOW) == "obstruction"
    assert _pattern(-3.0, AT_LLN, -2.0) == "obstruction"


def test_mixed_when_ratio_and_fvc_are_both_low() -> None:
    assert _pattern(-3.0, LOW, LOW) == "mixed"


def test_possible_restriction_when_fvc_low_with_normal_ratio() -> None:
    assert _pattern(0.0, LOW, 0.0) == "possible_restriction"


def test_possible_restriction_not_prism_when_fev1_and_fvc_are_both_low_with_normal_ratio() -> None:
    """Documented choice: a low FVC with a normal ratio needs lung volumes either way."""
    assert _pattern(-2.5, -2.4, 0.3) == "possible_restriction"


def test_prism_when_fev1_low_with_normal_ratio_and_normal_fvc() -> None:
    assert _pattern(LOW, AT_LLN, AT_LLN) == "prism"
    assert _pattern(LOW, -1.0, -1.0) == "prism"


def test_pattern_undetermined_when_a_z_score_is_missing() -> None:
    codes = classify_pattern([0.0, np.nan], [0.0, 0.0], [np.nan, 0.0])
    assert list(codes) == [-1, -1]


# --------------------------------------------------------------------------- severity


@pytest.mark.parametrize(
    ("z", "severity"),
    [
        (-1.0, "mild"),  # abnormal pattern with FEV1 itself within normal limits
        (LOW, "mild"),
        (-2.5, "mild"),
        (-2.5000001, "moderate"),
        (-4.0, "moderate"),
        (-4.0000001, "severe"),
        (-7.0, "severe"),
    ],
)
def test_severity_bands_from_fev1_z_with_inclusive_upper_edges(z: float, severity: str) -> None:
    assert SEVERITIES[grade_severity(z, PATTERNS.index("obstruction"))] == severity


def test_normal_pattern_has_no_severity() -> None:
    assert grade_severity(-3.0, PATTERNS.index("normal")) == -1
    assert grade_severity(np.nan, PATTERNS.index("obstruction")) == -1


# --------------------------------------------------------------------------- BDR


def test_bdr_positive_when_fev1_rises_more_than_10_percent_of_predicted() -> None:
    fev1_change, _, code = bdr_2022(2.0, 2.31, 3.0, 3.0, 3.0, 4.0)
    assert fev1_change == pytest.approx(10.333333333)
    assert code == 1


def test_bdr_negative_at_exactly_10_percent_of_predicted_despite_binary_rounding() -> None:
    # 100·(2.3 − 2.0)/3.0 evaluates to 9.999999999999996 or 10.000000000000002.
    for pre, post, pred in ((2.0, 2.3, 3.0), (1.1, 1.4, 3.0), (0.7, 1.0, 3.0)):
        assert bdr_2022(pre, post, pred, 3.0, 3.0, 4.0)[2] == 0


def test_bdr_positive_when_only_fvc_rises_more_than_10_percent_of_predicted() -> None:
    _, fvc_change, code = bdr_2022(2.0, 2.05, 3.0, 3.0, 3.45, 4.0)
    assert fvc_change == pytest.approx(11.25)
    assert code == 1


def test_bdr_not_assessable_without_post_values() -> None:
    assert bdr_2022(2.0, np.nan, 3.0, 3.0, np.nan, 4.0)[2] == -1
    assert bdr_2005(2.0, np.nan, 3.0, np.nan) == -1


@pytest.mark.parametrize(
    ("pre", "post", "positive"),
    [
        (2.50, 2.80, True),  # exactly 12 % and 300 mL
        (2.00, 2.24, True),  # exactly 12 % and 240 mL
        (1.0, 1.2, True),  # 20 % and exactly 200 mL
        (1.0, 1.19, False),  # 19 % but 190 mL
        (3.0, 3.35, False),  # 350 mL but 11.7 %
        (2.5, 2.79, False),  # 11.6 %
    ],
)
def test_bdr_2005_needs_12_percent_and_200_ml_from_baseline(
    pre: float, post: float, positive: bool
) -> None:
    assert bdr_2005(pre, post, 4.0, 4.0) == int(positive)
    assert bdr_2005(4.0, 4.0, pre, post) == int(positive)  # the same rule for FVC


# --------------------------------------------------------------------------- the session


def _session(**overrides: Any) -> Any:
    kwargs: dict[str, Any] = {
        "equations": "gli-global",
        "sex": "M",
        "age": 45.0,
        "height_cm": 178.0,
        "fev1_pre_l": 2.5,
        "fvc_pre_l": 4.2,
    }
    kwargs.update(overrides)
    return interpret_session(**kwargs)


def test_session_results_have_pre_keys_and_post_keys_only_with_post_values() -> None:
    s = _session()
    assert set(s.results) == {"fev1_pre", "fvc_pre", "fev1fvc_pre"}
    assert s.bdr is None and s.bdr_2005 is None and s.bdr_fev1_pct_pred_change is None
    s = _session(fev1_post_l=2.95, fvc_post_l=4.4)
    assert set(s.results) == {
        "fev1_pre",
        "fvc_pre",
        "fev1fvc_pre",
        "fev1_post",
        "fvc_post",
        "fev1fvc_post",
    }
    assert s.results["fev1fvc_post"].measured == pytest.approx(2.95 / 4.4)
    assert s.results["fev1_post"].pred == s.results["fev1_pre"].pred


def test_session_pattern_and_severity_come_from_pre_bronchodilator_values() -> None:
    s = _session(fev1_post_l=3.9, fvc_post_l=4.6)  # post values would be normal
    assert s.pattern == "obstruction" and s.severity == "mild"
    assert s.results["fev1fvc_pre"].below_lln and not s.results["fev1fvc_post"].below_lln
    assert s.bdr is True and s.bdr_2005 is True
    assert s.bdr_fev1_pct_pred_change == pytest.approx(100 * 1.4 / s.results["fev1_pre"].pred)


def test_session_fef2575_with_gli_global_is_a_note_not_a_result() -> None:
    s = _session(fef2575_pre_l_s=2.0)
    assert "fef2575_pre" not in s.results
    assert any("no reference equation for fef2575" in note for note in s.notes)
    s = _session(equations="gli-2012", ethnicity="caucasian", fef2575_pre_l_s=2.0)
    assert s.results["fef2575_pre"].pred > 0 and s.notes == ()


def test_session_fef_above_90_years_is_noted_and_the_rest_interpreted() -> None:
    s = _session(equations="gli-2012", ethnicity="other", age=92.0, fef75_pre_l_s=0.3)
    assert "fef75_pre" not in s.results
    assert any("above 90 years" in note for note in s.notes)
    assert s.pattern in PATTERNS


def test_session_records_the_equations_version() -> None:
    s = _session(equations="gli-2012", ethnicity="ne_asian")
    assert s.equations == "gli-2012" and "Quanjer 2012" in s.equations_version


@pytest.mark.parametrize(
    ("overrides", "field", "error", "text"),
    [
        ({"sex": "X"}, "sex", SpirometryInputError, "M or F"),
        ({"sex": None}, "sex", SpirometryInputError, "M or F"),
        ({"age": 2.5}, "age", OutOfRangeError, "3–95"),
        ({"age": "40"}, "age", SpirometryInputError, "number"),
        ({"age": True}, "age", SpirometryInputError, "number"),
        ({"height_cm": 39.0}, "height_cm", OutOfRangeError, "40–250"),
        ({"fev1_pre_l": 0.0}, "fev1_pre_l", SpirometryInputError, "positive"),
        ({"fvc_pre_l": -1.0}, "fvc_pre_l", SpirometryInputError, "positive"),
        ({"fvc_pre_l": float("nan")}, "fvc_pre_l", SpirometryInputError, "missing"),
        ({"fvc_pre_l": 4200.0}, "fvc_pre_l", SpirometryInputError, "millilitres"),
        ({"fev1_pre_l": 4.36}, "fev1_pre_l", SpirometryInputError, "exceeds"),
        ({"fev1_post_l": 2.9}, "fvc_post_l", SpirometryInputError, "pairs"),
        ({"fev1_post_l": 3.0, "fvc_post_l": 2.5}, "fev1_post_l", SpirometryInputError, "0.15"),
        ({"fef2575_pre_l_s": 25.0}, "fef2575_pre_l_s", SpirometryInputError, "L/s"),
        ({"equations": "gli-2012"}, "ethnicity", SpirometryInputError, "required"),
        (
            {"equations": "gli-2012", "ethnicity": "martian"},
            "ethnicity",
            SpirometryInputError,
            "one of",
        ),
    ],
)
def test_session_rejects_impossible_input_naming_the_field(
    overrides: dict[str, Any], field: str, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text) as info:
        _session(**overrides)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field  # type: ignore[attr-defined]
    assert field in str(info.value)


@pytest.mark.parametrize(("fev1", "fvc"), [(4.35, 4.2), (3.45, 3.30), (2.45, 2.30), (1.15, 1.0)])
def test_fev1_may_exceed_fvc_by_exactly_150_ml_despite_binary_rounding(
    fev1: float, fvc: float
) -> None:
    s = _session(fev1_pre_l=fev1, fvc_pre_l=fvc, fev1_post_l=fev1, fvc_post_l=fvc)
    assert s.pattern in PATTERNS
    b = interpret_arrays(
        "gli-global", sex="M", age=45.0, height_cm=178.0, fev1_pre_l=[fev1], fvc_pre_l=[fvc]
    )
    assert b.error[0] == ""


def test_fev1_more_than_150_ml_above_fvc_is_refused() -> None:
    with pytest.raises(SpirometryInputError, match="exceeds"):
        _session(fev1_pre_l=3.46, fvc_pre_l=3.30)


# --------------------------------------------------------------------------- arrays


def test_array_interpretation_keeps_good_records_and_reports_bad_ones() -> None:
    b = interpret_arrays(
        "gli-2012",
        sex=["M", "F", "X", "F"],
        age=[45.0, 30.0, 50.0, 40.0],
        height_cm=[178.0, 165.0, 170.0, 160.0],
        ethnicity=["caucasian", "other", "ne_asian", "se_asian"],
        fev1_pre_l=[2.5, 3.0, 3.0, 2.0],
        fvc_pre_l=[4.2, 3.5, 3.4, 2.6],
        fev1_post_l=[2.9, np.nan, 3.3, 2.5],
        fvc_post_l=[4.4, np.nan, np.nan, 2.0],
        fef2575_pre_l_s=[1.0, -2.0, 3.0, 2.0],
    )
    assert list(b.failed) == [False, False, True, False]
    assert b.error[0] == ""
    assert "fef2575_pre_l_s must be a positive" in b.error[1]
    assert not math.isnan(b.results["fev1"].z[1]) and math.isnan(b.results["fef2575"].z[1])
    assert "sex must be M or F" in b.error[2] and math.isnan(b.results["fev1"].pred[2])
    assert b.pattern[2] is None and b.bdr[2] is None
    assert "fev1_post_l 2.5 L exceeds fvc_post_l 2 L" in b.error[3]
    assert b.pattern[3] in PATTERNS and b.bdr[3] is None  # pre values still interpreted
    assert b.errors()[0][0] == 1


def test_array_bdr_rule_2005_puts_the_2005_rule_in_the_bdr_column() -> None:
    kwargs: dict[str, Any] = {
        "sex": "M",
        "age": [40.0, 40.0],
        "height_cm": 175.0,
        "fev1_pre_l": [2.5, 3.5],
        "fvc_pre_l": [4.0, 4.5],
        "fev1_post_l": [2.8, 3.9],
        "fvc_post_l": [4.0, 4.5],
    }
    b2022 = interpret_arrays("gli-global", **kwargs)
    b2005 = interpret_arrays("gli-global", bdr_rule="2005", **kwargs)
    # Record 0: +300 mL = 12 % of baseline but < 10 % of predicted (~3.9 L).
    # Record 1: +400 mL = 11.4 % of baseline but > 10 % of predicted.
    assert b2022.bdr_fev1_pct_pred_change[0] < 10 < b2022.bdr_fev1_pct_pred_change[1]
    assert list(b2022.bdr_code) == [0, 1]
    assert list(b2005.bdr_code) == [1, 0]
    assert list(b2022.bdr_2005_code) == list(b2005.bdr_2005_code) == [1, 0]


_RECORD = st.fixed_dictionaries(
    {
        "sex": st.sampled_from(["M", "F"]),
        "age": st.floats(3.0, 95.0),
        "height_cm": st.floats(100.0, 200.0),
        "fvc_pre_l": st.floats(0.8, 6.0),
        "ratio": st.floats(0.4, 1.0),
        "gain": st.floats(0.9, 1.3),
    }
)


@settings(max_examples=60, deadline=None)
@given(records=st.lists(_RECORD, min_size=1, max_size=12))
def test_session_and_array_interpretations_agree(records: list[dict[str, Any]]) -> None:
    columns = {key: np.array([r[key] for r in records]) for key in records[0]}
    fev1 = columns["fvc_pre_l"] * columns["ratio"]
    fvc_post = np.maximum(columns["fvc_pre_l"], fev1 * columns["gain"])
    b = interpret_arrays(
        "gli-global",
        sex=columns["sex"],
        age=columns["age"],
        height_cm=columns["height_cm"],
        fev1_pre_l=fev1,
        fvc_pre_l=columns["fvc_pre_l"],
        fev1_post_l=fev1 * columns["gain"],
        fvc_post_l=fvc_post,
    )
    for i, r in enumerate(records):
        s = interpret_session(
            "gli-global",
            sex=r["sex"],
            age=r["age"],
            height_cm=r["height_cm"],
            fev1_pre_l=float(fev1[i]),
            fvc_pre_l=r["fvc_pre_l"],
            fev1_post_l=float(fev1[i] * r["gain"]),
            fvc_post_l=float(fvc_post[i]),
        )
        assert b.pattern[i] == s.pattern and b.severity[i] == s.severity
        assert b.bdr[i] == s.bdr and b.bdr_2005[i] == s.bdr_2005
        assert b.results["fev1"].z[i] == s.results["fev1_pre"].z
        assert b.bdr_fev1_pct_pred_change[i] == s.bdr_fev1_pct_pred_change


@pytest.mark.parametrize(
    "overrides",
    [
        {"sex": "X", "age": 2.5},
        {"height_cm": 39.0, "fev1_pre_l": 0.0},
        {"fvc_pre_l": 4200.0},
        {"fev1_pre_l": 4.36},
        {"fev1_post_l": 2.9},
        {"fef2575_pre_l_s": 25.0},
        {"equations": "gli-2012", "ethnicity": "martian"},
    ],
)
def test_session_raises_the_first_problem_its_one_row_batch_reports(
    overrides: dict[str, Any],
) -> None:
    """One code path: a session is a one-row batch, and its error is that row's first."""
    kwargs: dict[str, Any] = {
        "equations": "gli-global",
        "sex": "M",
        "age": 45.0,
        "height_cm": 178.0,
        "fev1_pre_l": 2.5,
        "fvc_pre_l": 4.2,
    }
    kwargs.update(overrides)
    with pytest.raises(SpirometryInputError) as info:
        interpret_session(**kwargs)
    batch = interpret_arrays(**{k: v if k == "equations" else [v] for k, v in kwargs.items()})
    assert batch.error[0].startswith(str(info.value))
