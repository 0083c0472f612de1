"""Kaplan–Meier against lifelines' ``KaplanMeierFitter``: survival, the exponential
Greenwood band, numbers at risk and the median, with ties, censoring at event times,
events at time 0, all censored and all events."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from respira.science.outcomes import KaplanMeier, OutcomeInputError, kaplan_meier


def _compare(durations: np.ndarray, observed: np.ndarray) -> KaplanMeier:
    ours = kaplan_meier(durations, observed)
    fitter = KaplanMeierFitter().fit(durations, observed.astype(bool))
    survival = fitter.survival_function_.iloc[:, 0]
    band = fitter.confidence_interval_
    table = fitter.event_table
    np.testing.assert_allclose(ours.survival, survival.loc[ours.times].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(ours.ci_low, band.iloc[:, 0].loc[ours.times].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(ours.ci_high, band.iloc[:, 1].loc[ours.times].to_numpy(), atol=1e-9)
    np.testing.assert_array_equal(ours.at_risk, table["at_risk"].loc[ours.times].to_numpy())
    np.testing.assert_array_equal(ours.events_at, table["observed"].loc[ours.times].to_numpy())
    # Between event times the curve is flat: lifelines' other time points add nothing.
    steps = np.searchsorted(ours.times, survival.index.to_numpy(), side="right") - 1
    np.testing.assert_allclose(ours.survival[steps], survival.to_numpy(), atol=1e-9)
    # lifelines' median is the first time with S <= 0.5 on its S = exp(sum log(1 - d/n)),
    # where an exact 1/2 can come out as 0.5000000000000001 and lose the median; read its
    # curve with a tolerance of 1e-12 (our definition) instead of median_survival_time_.
    reached = survival.index[survival.to_numpy() <= 0.5 + 1e-12]
    assert ours.median == (pytest.approx(reached[0]) if len(reached) else None)
    if not np.any(np.abs(survival.to_numpy() - 0.5) < 1e-12):
        median = fitter.median_survival_time_
        assert ours.median == (None if np.isinf(median) else pytest.approx(median))
    assert ours.n == len(durations)
    assert ours.events == int(observed.sum())
    assert ours.censored == ours.n - ours.events
    np.testing.assert_array_equal(ours.censor_times, np.unique(durations[observed == 0]))
    assert ours.times[0] == 0.0 and np.all(np.diff(ours.times) > 0)
    return ours


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_lifelines_with_ties_and_censoring(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    event_day = np.ceil(rng.exponential(220, n))
    censor_day = rng.choice([30, 90, 180, 365], n)  # ties with event days
    durations = np.minimum(event_day, censor_day)
    observed = (event_day <= censor_day).astype(float)
    result = _compare(durations, observed)
    assert result.median is not None


def test_censoring_at_the_time_of_an_event_is_at_risk() -> None:
    durations = np.array([5, 5, 5, 8, 8, 10, 12, 12, 15, 20], dtype=float)
    observed = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0], dtype=float)
    result = _compare(durations, observed)
    np.testing.assert_array_equal(result.times, [0, 5, 8, 12, 15])
    np.testing.assert_array_equal(result.at_risk, [10, 10, 7, 4, 2])
    assert result.survival[1] == pytest.approx(0.8)
    assert result.survival[2] == pytest.approx(0.8 * 6 / 7)


def test_events_at_time_zero() -> None:
    durations = np.array([0, 0, 3, 4, 4, 9], dtype=float)
    observed = np.array([1, 0, 1, 1, 0, 1], dtype=float)
    result = _compare(durations, observed)
    assert result.survival[0] == pytest.approx(5 / 6)


def test_all_censored() -> None:
    durations = np.array([10, 20, 20, 30], dtype=float)
    observed = np.zeros(4)
    result = _compare(durations, observed)
    np.testing.assert_array_equal(result.times, [0.0])
    np.testing.assert_array_equal(result.survival, [1.0])
    assert (result.ci_low[0], result.ci_high[0]) == (1.0, 1.0)
    assert result.median is None and result.events == 0


def test_all_events_reach_zero() -> None:
    durations = np.array([1, 2, 2, 3], dtype=float)
    result = _compare(durations, np.ones(4))
    assert result.survival[-1] == 0.0
    assert (result.ci_low[-1], result.ci_high[-1]) == (0.0, 0.0)
    assert result.median == 2.0


def test_median_exactly_at_one_half() -> None:
    result = _compare(np.array([1, 2, 3, 4], dtype=float), np.ones(4))
    assert result.median == 2.0


def test_median_when_the_curve_is_one_half_exactly() -> None:
    # lifelines' S(0) here is 0.5000000000000001 and its median infinite; S(0) is 1/2.
    result = kaplan_meier([0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1])
    assert result.survival[0] == 0.5 and result.median == 0.0


def test_empty_and_missing() -> None:
    empty = kaplan_meier([], [])
    assert (empty.n, empty.events, empty.median) == (0, 0, None)
    np.testing.assert_array_equal(empty.times, [0.0])
    np.testing.assert_array_equal(empty.survival, [1.0])
    with_missing = kaplan_meier([5, None, 7, 9], [1, 1, None, 0])
    assert (with_missing.n, with_missing.events, with_missing.censored) == (2, 1, 1)


@pytest.mark.parametrize(
    ("durations", "observed", "field"),
    [
        ([1, -2], [1, 1], "durations"),
        ([1, 2], [1, 2], "observed"),
        ([1, 2], [1], "observed"),
    ],
)
def test_bad_input_names_the_argument(
    durations: list[float], observed: list[float], field: str
) -> None:
    with pytest.raises(OutcomeInputError) as raised:
        kaplan_meier(durations, observed)
    assert raised.value.field == field


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=40))
def test_matches_lifelines_on_random_small_samples(cases: list[tuple[int, bool]]) -> None:
    durations = np.array([c[0] for c in cases], dtype=float)
    observed = np.array([c[1] for c in cases], dtype=float)
    result = _compare(durations, observed)
    assert np.all(np.diff(result.survival) <= 0)
    assert np.all(result.ci_low <= result.survival + 1e-12)
    assert np.all(result.survival <= result.ci_high + 1e-12)
