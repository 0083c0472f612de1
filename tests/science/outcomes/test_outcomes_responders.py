"""Responder definitions (clinical.md §6): thresholds at their exact edges, eligibility,
missing values, and the rates with Wilson intervals (statsmodels) and the worst case."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from respira.science.control import CONTROL_MCID
from respira.science.outcomes import (
    RESPONDER_DEFINITIONS,
    OutcomeInputError,
    is_responder,
    responders,
)


def test_definitions_in_order_citing_clinical_md() -> None:
    assert list(RESPONDER_DEFINITIONS) == [
        "act_3",
        "acq_0_5",
        "fev1_100ml",
        "exacerbations_50pct",
        "ocs_50pct",
    ]
    measures = {key: d.measure for key, d in RESPONDER_DEFINITIONS.items()}
    assert measures == {
        "act_3": "act",
        "acq_0_5": "acq",
        "fev1_100ml": "fev1_l",
        "exacerbations_50pct": "exacerbation_rate",
        "ocs_50pct": "ocs_mg_per_day",
    }
    for key, definition in RESPONDER_DEFINITIONS.items():
        assert definition.key == key
        assert "clinical.md §6" in definition.source
        assert definition.label
    assert RESPONDER_DEFINITIONS["act_3"].threshold == CONTROL_MCID["act"][0]
    assert RESPONDER_DEFINITIONS["acq_0_5"].threshold == CONTROL_MCID["acq5"][0]
    assert RESPONDER_DEFINITIONS["fev1_100ml"].threshold == 0.1


NAN = np.nan


@pytest.mark.parametrize(
    ("key", "baseline", "follow_up", "expected"),
    [
        ("act_3", [15, 15, 15, 15, None, 20], [18, 17, 25, 12, 20, None], [1, 0, 1, 0, NAN, NAN]),
        # ACQ 1.2 -> 0.7 is a fall of 0.49999999999999994 in binary: still a response.
        ("acq_0_5", [1.2, 2.0, 2.0, 3.0, 1.0], [0.7, 1.6, 1.5, 3.5, NAN], [1, 0, 1, 0, NAN]),
        # 0.3 -> 0.4 L is 0.10000000000000003; 2.2 -> 2.3 is 0.09999999999999964.
        ("fev1_100ml", [0.3, 2.2, 2.0, 2.5, 1.5], [0.4, 2.3, 2.09, 2.4, 1.9], [1, 1, 0, 0, 1]),
        # Eligible only with exacerbations before; half the rate or less responds.
        (
            "exacerbations_50pct",
            [2.0, 2.0, 2.0, 0.0, 3.0, 1.0, None],
            [1.0, 1.01, 0.0, 0.0, 1.5, NAN, 0.0],
            [1, 0, 1, NAN, 1, NAN, NAN],
        ),
        (
            "ocs_50pct",
            [10.0, 10.0, 0.0, 7.5, 5.0],
            [5.0, 5.5, 0.0, 3.75, 7.5],
            [1, 0, NAN, 1, 0],
        ),
    ],
)
def test_is_responder(
    key: str, baseline: list[float | None], follow_up: list[float | None], expected: list[float]
) -> None:
    result = is_responder(key, baseline, follow_up)
    np.testing.assert_array_equal(result, np.array(expected, dtype=float))


def test_rates_wilson_and_worst_case() -> None:
    rng = np.random.default_rng(8)
    n = 300
    baseline = rng.integers(8, 20, n).astype(float)
    follow_up = baseline + rng.integers(-4, 9, n)
    follow_up[rng.uniform(size=n) < 0.2] = np.nan
    baseline[:7] = np.nan  # never measured at baseline: not eligible
    result = responders("act_3", baseline, follow_up)
    change = follow_up - baseline
    eligible = np.isfinite(baseline)
    evaluable = eligible & np.isfinite(follow_up)
    k = int(np.sum(change[evaluable] >= 3))
    assert result.key == "act_3"
    assert (result.n, result.responders) == (int(evaluable.sum()), k)
    assert result.n_eligible == int(eligible.sum()) == n - 7
    assert result.n_missing == result.n_eligible - result.n
    assert result.rate == pytest.approx(k / result.n)
    assert result.ci95 == pytest.approx(
        proportion_confint(k, result.n, alpha=0.05, method="wilson"), abs=1e-9
    )
    worst = result.worst_case
    assert (worst.n, worst.responders) == (result.n_eligible, k)
    assert worst.rate == pytest.approx(k / result.n_eligible)
    assert worst.ci95 == pytest.approx(
        proportion_confint(k, result.n_eligible, alpha=0.05, method="wilson"), abs=1e-9
    )
    assert worst.rate is not None and result.rate is not None and worst.rate <= result.rate


def test_eligibility_counts_only_patients_the_definition_applies_to() -> None:
    result = responders("ocs_50pct", [0, 0, 10, 20, 5, None], [0, 5, 4, None, 5, 0])
    assert (result.n_eligible, result.n, result.responders) == (3, 2, 1)
    assert result.worst_case.n == 3


def test_nobody_evaluable() -> None:
    result = responders("fev1_100ml", [], [])
    assert (result.n, result.responders, result.rate, result.ci95) == (0, 0, None, None)
    assert result.worst_case.rate is None and result.worst_case.ci95 is None
    missing = responders("fev1_100ml", [2.0, 2.1], [None, None])
    assert (missing.n, missing.n_eligible, missing.rate) == (0, 2, None)
    assert missing.worst_case.rate == 0.0
    assert missing.worst_case.ci95 == pytest.approx(
        proportion_confint(0, 2, method="wilson"), abs=1e-9
    )


@pytest.mark.parametrize(
    ("key", "baseline", "follow_up", "field"),
    [
        ("act_4", [1], [1], "key"),
        ("ocs_50pct", [-5.0], [1.0], "baseline"),
        ("exacerbations_50pct", [2.0], [-1.0], "follow_up"),
        ("act_3", [1, 2], [1], "follow_up"),
    ],
)
def test_bad_input_names_the_argument(
    key: str, baseline: list[float], follow_up: list[float], field: str
) -> None:
    with pytest.raises(OutcomeInputError) as raised:
        responders(key, baseline, follow_up)
    assert raised.value.field == field


values = st.one_of(st.none(), st.floats(0, 50, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(list(RESPONDER_DEFINITIONS)), st.lists(st.tuples(values, values), max_size=30)
)
def test_counts_agree_with_the_per_patient_flags(
    key: str, pairs: list[tuple[float | None, float | None]]
) -> None:
    baseline = [p[0] for p in pairs]
    follow_up = [p[1] for p in pairs]
    flags = is_responder(key, baseline, follow_up)
    result = responders(key, baseline, follow_up)
    assert result.n == int(np.sum(np.isfinite(flags)))
    assert result.responders == int(np.nansum(flags))
    assert result.n <= result.n_eligible <= len(pairs)
    assert result.worst_case.responders == result.responders
