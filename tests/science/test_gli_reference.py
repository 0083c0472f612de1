"""GLI-2012 and GLI Global reference values: the published worked examples, the LMS
invariants (Hypothesis), an independent decimal implementation, range handling."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from respira.science.spirometry import (
    ETHNICITIES,
    OutOfRangeError,
    SpirometryInputError,
    age_range,
    equations_version,
    parameters_for,
    prepare_reference,
    reference_values,
)

pytestmark = pytest.mark.usefixtures("spirometry_backend")


FIELDS = ("pred", "lln", "uln", "z", "pctpred")
SETS = {"gli-2012": "gli2012", "gli-global": "gliglobal"}


def _example_ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize("equations", ["gli-2012", "gli-global"])
def test_every_worked_example_matches_to_1e9(
    equations: str, gli_examples: list[dict[str, Any]]
) -> None:
    """Every row, parameter and field of examples.csv: pred/LLN/ULN/%pred to 1e-9
    relative, z to 1e-9 absolute, through both the array and the scalar path."""
    prefix = SETS[equations]
    rows = gli_examples
    assert len(rows) == 60
    sex = np.array([r["sex"] for r in rows])
    eth = np.array([r["ethnicity"] for r in rows])
    age = np.array([float(r["age"]) for r in rows])
    height = np.array([float(r["height_cm"]) for r in rows])
    prep = prepare_reference(equations, sex=sex, age=age, height_cm=height, ethnicity=eth)
    checked = 0
    for parameter in parameters_for(equations):
        measured = np.array([float(r[parameter]) for r in rows])
        result = prep.values(parameter, measured)
        assert (result.reason_code == 0).all()
        for i, row in enumerate(rows):
            scalar = reference_values(
                equations,
                parameter,
                sex=row["sex"],
                age=float(row["age"]),
                height_cm=float(row["height_cm"]),
                ethnicity=row["ethnicity"],
                measured=float(row[parameter]),
            )
            for field in FIELDS:
                expected = float(row[f"{prefix}_{parameter}_{field}"])
                got = getattr(result, field)[i]
                where = f"{equations} {parameter} {field} example {row['id']}"
                if field == "z":
                    assert abs(got - expected) <= 1e-9, where
                else:
                    assert abs(got / expected - 1) <= 1e-9, where
                assert getattr(scalar, field) == got, f"scalar path differs: {where}"
                checked += 1
    assert checked == 60 * 5 * len(parameters_for(equations))


def test_gli_global_defines_only_fev1_fvc_and_ratio() -> None:
    assert parameters_for("gli-global") == ("fev1", "fvc", "fev1fvc")
    assert parameters_for("gli-2012") == ("fev1", "fvc", "fev1fvc", "fef2575", "fef75")
    with pytest.raises(ValueError, match="no reference equation for fef2575"):
        reference_values("gli-global", "fef2575", sex="M", age=40.0, height_cm=175.0)


def test_equations_version_names_the_paper_and_hashes_the_tables() -> None:
    version = equations_version("gli-2012")
    assert "Quanjer 2012" in version and "sha256" in version
    assert "Bowerman 2023" in equations_version("gli-global")
    assert equations_version("gli-2012") != equations_version("gli-global")


# --------------------------------------------------------------------------- properties

_SEX = st.sampled_from(["M", "F"])
_ETH = st.sampled_from(ETHNICITIES)
_HEIGHT = st.floats(100.0, 210.0)
_SETS = st.sampled_from(["gli-2012", "gli-global"])


@st.composite
def _person(draw: st.DrawFn) -> dict[str, Any]:
    equations = draw(_SETS)
    parameter = draw(st.sampled_from(parameters_for(equations)))
    top = age_range(equations, parameter)[1]
    return {
        "equations": equations,
        "parameter": parameter,
        "sex": draw(_SEX),
        "age": draw(st.floats(3.0, top)),
        "height_cm": draw(_HEIGHT),
        "ethnicity": draw(_ETH),
    }


@settings(max_examples=300, deadline=None)
@given(person=_person(), fraction=st.floats(0.0, 1.0))
def test_results_equal_an_independent_40_digit_implementation(
    person: dict[str, Any], fraction: float, gli_decimal: Any
) -> None:
    low, high = (0.3, 1.1) if person["parameter"] == "fev1fvc" else (0.05, 12.0)
    measured = low + (high - low) * fraction
    r = reference_values(**person, measured=measured)
    exact = gli_decimal(**person, measured=measured)
    for field in ("pred", "lln", "uln", "pctpred"):
        assert abs(Decimal(getattr(r, field)) / exact[field] - 1) < Decimal("1e-12"), field
    assert abs(Decimal(r.z) - exact["z"]) < Decimal("1e-12") * max(1, abs(exact["z"]))


@settings(max_examples=300, deadline=None)
@given(person=_person())
def test_z_is_zero_and_pctpred_100_at_the_predicted_value(person: dict[str, Any]) -> None:
    pred = reference_values(**person).pred
    r = reference_values(**person, measured=pred)
    assert abs(r.z) < 1e-12
    assert abs(r.pctpred - 100.0) < 1e-12


@settings(max_examples=300, deadline=None)
@given(person=_person())
def test_lln_below_predicted_below_uln_and_limits_are_z_1645(person: dict[str, Any]) -> None:
    r = reference_values(**person)
    assert 0 < r.lln < r.pred < r.uln
    assert abs(reference_values(**person, measured=r.lln).z + 1.645) < 1e-9
    assert abs(reference_values(**person, measured=r.uln).z - 1.645) < 1e-9


@settings(max_examples=300, deadline=None)
@given(
    person=_person(),
    values=st.lists(st.floats(0.05, 12.0), min_size=2, max_size=20, unique=True),
)
def test_z_strictly_increases_with_the_measured_value(
    person: dict[str, Any], values: list[float]
) -> None:
    measured = np.sort(np.array(values))
    measured = measured[np.diff(measured, prepend=0) > 1e-9]  # distinct enough to order z
    z = reference_values(
        **{**person, "age": np.full(measured.size, person["age"])}, measured=measured
    ).z
    assert np.all(np.diff(z) > 0)


@settings(max_examples=100, deadline=None)
@given(
    records=st.lists(
        st.tuples(_SEX, st.floats(3.0, 95.0), _HEIGHT, _ETH, st.floats(0.1, 8.0)),
        min_size=1,
        max_size=40,
    ),
    equations=_SETS,
)
def test_scalar_and_array_paths_give_identical_results(
    records: list[tuple[str, float, float, str, float]], equations: str
) -> None:
    sex, age, height, eth, measured = (np.array(column) for column in zip(*records, strict=True))
    prep = prepare_reference(equations, sex=sex, age=age, height_cm=height, ethnicity=eth)
    for parameter in ("fev1", "fvc", "fev1fvc"):
        arrays = prep.values(parameter, measured)
        for i, (s, a, h, e, m) in enumerate(records):
            one = reference_values(
                equations, parameter, sex=s, age=a, height_cm=h, ethnicity=e, measured=m
            )
            for field in FIELDS:
                assert getattr(one, field) == getattr(arrays, field)[i]


# --------------------------------------------------------------------------- the splines


def test_spline_lookup_is_continuous_at_a_date_arithmetic_age_like_24_999999999() -> None:
    kwargs: dict[str, Any] = {"sex": "F", "height_cm": 165.0, "ethnicity": "other"}
    at = reference_values("gli-2012", "fev1", age=25.0, **kwargs)
    below = reference_values("gli-2012", "fev1", age=24.999999999, **kwargs)
    assert abs(below.pred / at.pred - 1) < 1e-9
    assert abs(below.lln / at.lln - 1) < 1e-9


@pytest.mark.parametrize(
    ("equations", "parameter", "age"),
    [("gli-2012", "fev1", 95.0), ("gli-global", "fvc", 95.0), ("gli-2012", "fef75", 90.0)],
)
def test_last_table_row_is_reached_exactly_without_reading_past_the_table(
    equations: str, parameter: str, age: float, gli_decimal: Any
) -> None:
    r = reference_values(
        equations,
        parameter,
        sex="M",
        age=age,
        height_cm=170.0,
        ethnicity="caucasian",
        measured=1.0,
    )
    exact = gli_decimal(equations, parameter, "M", age, 170.0, "caucasian", 1.0)
    assert abs(Decimal(r.pred) / exact["pred"] - 1) < Decimal("1e-13")


def test_fef75_stays_exact_where_l_crosses_zero(gli_decimal: Any, gli_lms: Any) -> None:
    """Female FEF75's L changes sign within 3–90 years: ((x/M)^L − 1)/(L·S) and
    (1 ∓ 1.645·L·S)^(1/L) are 0/0-prone there, so compare with 40-digit arithmetic at
    ages whose L is 1e-3 down to ~1e-16."""

    def lam(age: float) -> float:
        return float(gli_lms("gli-2012", "fef75", "F", age, "caucasian")[0])

    grid = np.linspace(3.0, 90.0, 349)
    signs = np.sign([lam(a) for a in grid])
    k = int(np.flatnonzero(np.diff(signs) != 0)[0])
    lo, hi = float(grid[k]), float(grid[k + 1])
    for _ in range(80):  # bisect to the last representable age
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if np.sign(lam(mid)) == signs[k] else (lo, mid)
    crossing = lo
    assert abs(lam(crossing)) < 1e-12
    for age in (crossing, hi, crossing - 1e-9, crossing + 1e-6, crossing - 1e-3, crossing + 0.5):
        for measured in (0.2, 0.6, 1.4):
            r = reference_values(
                "gli-2012",
                "fef75",
                sex="F",
                age=age,
                height_cm=160.0,
                ethnicity="caucasian",
                measured=measured,
            )
            exact = gli_decimal("gli-2012", "fef75", "F", age, 160.0, "caucasian", measured)
            for field in ("pred", "lln", "uln"):
                assert abs(Decimal(getattr(r, field)) / exact[field] - 1) < Decimal("1e-12")
            assert abs(Decimal(r.z) - exact["z"]) < Decimal("1e-12"), age


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("age", "parameter", "valid"),
    [
        (3.0, "fev1", True),
        (2.999, "fev1", False),
        (95.0, "fev1", True),
        (95.001, "fev1", False),
        (90.0, "fef2575", True),
        (90.001, "fef2575", False),
        (92.0, "fef75", False),
    ],
)
def test_age_range_is_inclusive_and_never_extrapolated(
    age: float, parameter: str, valid: bool
) -> None:
    kwargs: dict[str, Any] = {
        "sex": "M",
        "height_cm": 170.0,
        "ethnicity": "caucasian",
        "measured": 1.0,
    }
    array = reference_values("gli-2012", parameter, age=np.array([age, 40.0]), **kwargs)
    assert math.isnan(array.pred[0]) != valid
    assert not math.isnan(array.pred[1])
    if valid:
        assert array.reason[0] == ""
        reference_values("gli-2012", parameter, age=age, **kwargs)
    else:
        assert "age outside the gli-2012 range" in array.reason[0]
        with pytest.raises(OutOfRangeError, match="age") as info:
            reference_values("gli-2012", parameter, age=age, **kwargs)
        assert info.value.field == "age"
        assert "no reference value is extrapolated" in str(info.value)


@pytest.mark.parametrize("height", [39.9, 250.1, float("nan")])
def test_height_outside_40_to_250_cm_has_no_reference_value(height: float) -> None:
    r = reference_values("gli-global", "fev1", sex="F", age=np.array([30.0]), height_cm=height)
    assert math.isnan(r.pred[0]) and "height_cm" in r.reason[0]
    if not math.isnan(height):
        with pytest.raises(OutOfRangeError, match="40–250 cm") as info:
            reference_values("gli-global", "fev1", sex="F", age=30.0, height_cm=height)
        assert info.value.field == "height_cm"


def test_bad_records_get_nan_and_a_reason_while_the_rest_are_computed() -> None:
    r = reference_values(
        "gli-2012",
        "fvc",
        sex=np.array(["M", "X", "F", "F", "M"]),
        age=np.array([40.0, 40.0, float("nan"), 40.0, 40.0]),
        height_cm=np.array([170.0, 170.0, 170.0, 170.0, 170.0]),
        ethnicity=np.array(["caucasian", "caucasian", "other", "martian", "ne_asian"]),
        measured=np.array([4.0, 4.0, 4.0, 4.0, -1.0]),
    )
    assert list(np.isnan(r.pred)) == [False, True, True, True, False]
    assert r.reason[0] == ""
    assert "sex" in r.reason[1]
    assert "age is missing" in r.reason[2]
    assert "ethnicity" in r.reason[3]
    assert "positive" in r.reason[4] and math.isnan(r.z[4]) and not math.isnan(r.pred[4])


def test_without_a_measured_value_z_and_pctpred_are_nan_but_limits_are_computed() -> None:
    r = reference_values("gli-global", "fev1", sex="M", age=50.0, height_cm=180.0)
    assert math.isnan(r.z) and math.isnan(r.pctpred)
    assert r.lln < r.pred < r.uln
    nan_measured = reference_values(
        "gli-global", "fev1", sex="M", age=50.0, height_cm=180.0, measured=float("nan")
    )
    assert math.isnan(nan_measured.z) and nan_measured.pred == r.pred


def test_scalar_errors_name_the_field() -> None:
    base: dict[str, Any] = {"age": 40.0, "height_cm": 170.0}
    with pytest.raises(SpirometryInputError) as info:
        reference_values("gli-global", "fev1", sex="male", **base)
    assert info.value.field == "sex"
    with pytest.raises(SpirometryInputError) as info:
        reference_values("gli-2012", "fev1", sex="M", **base)
    assert info.value.field == "ethnicity"
    with pytest.raises(SpirometryInputError) as info:
        reference_values("gli-global", "fev1", sex="M", measured=0.0, **base)
    assert info.value.field == "fev1"
    with pytest.raises(ValueError, match="equations must be one of"):
        reference_values("gli-1993", "fev1", sex="M", **base)
    with pytest.raises(ValueError, match="parameter must be one of"):
        reference_values("gli-global", "pef", sex="M", **base)


def test_gli_global_ignores_ethnicity() -> None:
    base: dict[str, Any] = {"sex": "M", "age": 40.0, "height_cm": 170.0, "measured": 3.5}
    plain = reference_values("gli-global", "fev1", **base)
    for group in ETHNICITIES:
        assert reference_values("gli-global", "fev1", ethnicity=group, **base) == plain


def test_arrays_of_any_shape_broadcast_with_scalars() -> None:
    age = np.linspace(10, 80, 12).reshape(3, 4)
    r = reference_values("gli-global", "fvc", sex="F", age=age, height_cm=160.0, measured=3.0)
    assert r.pred.shape == (3, 4) and r.reason.shape == (3, 4)
    flat = reference_values(
        "gli-global", "fvc", sex="F", age=age.ravel(), height_cm=160.0, measured=3.0
    )
    assert np.array_equal(r.z.ravel(), flat.z)
    empty = reference_values("gli-global", "fvc", sex="F", age=np.array([]), height_cm=160.0)
    assert empty.pred.shape == (0,)
