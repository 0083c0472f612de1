"""Paired change: the t interval against statsmodels, the distribution-free median
interval against SciPy's quantile test and the binomial definition, its coverage by
simulation, and the edge cases (empty, n = 1, SD 0, missing values)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.weightstats import DescrStatsW

from respira.science.outcomes import (
    OutcomeInputError,
    median_interval_ranks,
    paired_change,
)


@pytest.mark.parametrize("n", [2, 3, 6, 11, 40, 257])
def test_mean_interval_matches_statsmodels(n: int) -> None:
    rng = np.random.default_rng(n)
    baseline = rng.normal(15, 4, n)
    follow_up = baseline + rng.gamma(2.0, 1.5, n) - 1.0
    result = paired_change(baseline, follow_up)
    change = follow_up - baseline
    reference = DescrStatsW(change)
    low, high = reference.tconfint_mean(alpha=0.05)
    assert result.n == n
    assert result.mean_change == pytest.approx(reference.mean, rel=1e-9, abs=1e-12)
    assert result.ci95 == pytest.approx((low, high), rel=1e-9, abs=1e-12)
    assert result.sd_change == pytest.approx(reference.std_mean * math.sqrt(n), rel=1e-9)
    assert result.median_change == pytest.approx(float(np.median(change)), abs=1e-12)
    assert result.standardised_response_mean == pytest.approx(
        reference.mean / np.std(change, ddof=1), rel=1e-9
    )


@pytest.mark.parametrize("n", [6, 7, 8, 10, 17, 23, 40, 101, 1000])
def test_median_interval_matches_scipy_quantile_test(n: int) -> None:
    rng = np.random.default_rng(100 + n)
    change = rng.standard_cauchy(n)
    result = paired_change(np.zeros(n), change)
    reference = stats.quantile_test(change, q=0.0, p=0.5).confidence_interval(0.95)
    assert result.median_ci95 == pytest.approx((reference.low, reference.high), abs=0, rel=0)


@pytest.mark.parametrize("n", range(1, 80))
def test_median_ranks_are_the_tightest_with_95_percent_coverage(n: int) -> None:
    ranks = median_interval_ranks(n)
    # Brute force: j is the largest count whose lower binomial tail stays <= 2.5 %.
    tails = [stats.binom.cdf(j, n, 0.5) for j in range(n)]
    allowed = [j for j, tail in enumerate(tails) if tail <= 0.025]
    if not allowed:
        assert ranks is None
        assert n <= 5
        return
    j = max(allowed)
    assert ranks is not None
    low, high, coverage = ranks
    assert (low, high) == (j + 1, n - j)
    assert coverage == pytest.approx(1 - 2 * tails[j], abs=1e-12)
    assert coverage >= 0.95
    # One rank tighter would fall below 95 %.
    assert 1 - 2 * stats.binom.cdf(j + 1, n, 0.5) < 0.95


@pytest.mark.parametrize(("n", "draw"), [(9, "exponential"), (25, "lognormal")])
def test_median_interval_coverage_by_simulation(n: int, draw: str) -> None:
    rng = np.random.default_rng(20261208 + n)
    repeats = 1500
    if draw == "exponential":
        samples = rng.exponential(2.0, (repeats, n))
        true_median = 2.0 * math.log(2.0)
    else:
        samples = rng.lognormal(0.3, 1.0, (repeats, n))
        true_median = math.exp(0.3)
    covered = 0
    coverage = None
    for sample in samples:
        result = paired_change(np.zeros(n), sample)
        assert result.median_ci95 is not None
        low, high = result.median_ci95
        covered += low <= true_median <= high
        coverage = result.median_ci_coverage
    assert coverage is not None and coverage >= 0.95
    observed = covered / repeats
    standard_error = math.sqrt(coverage * (1 - coverage) / repeats)
    assert abs(observed - coverage) < 4 * standard_error


def test_pairs_with_a_missing_or_infinite_value_are_dropped() -> None:
    baseline = [10, None, 12, 14, float("nan"), 9, 11, float("inf")]
    follow_up = [13, 15, None, 17, 20, 9.5, 14, 12]
    result = paired_change(baseline, follow_up)
    assert result.n == 4
    assert result.mean_change == pytest.approx((3 + 3 + 0.5 + 3) / 4)
    assert result.median_change == pytest.approx(3.0)
    assert result.median_ci95 is None  # n = 4 < 6


def test_empty_input() -> None:
    for baseline, follow_up in (([], []), ([None, 1.0], [2.0, None])):
        result = paired_change(baseline, follow_up)
        assert result.n == 0
        assert result.mean_change is None and result.ci95 is None
        assert result.median_change is None and result.median_ci95 is None
        assert result.sd_change is None and result.standardised_response_mean is None


def test_one_pair_has_a_change_but_no_interval() -> None:
    result = paired_change([12], [16])
    assert (result.n, result.mean_change, result.median_change) == (1, 4.0, 4.0)
    assert result.ci95 is None and result.sd_change is None
    assert result.standardised_response_mean is None and result.median_ci95 is None


def test_all_changes_equal() -> None:
    result = paired_change([10, 11, 12, 13, 14, 15, 16], [12, 13, 14, 15, 16, 17, 18])
    reference = DescrStatsW(np.full(7, 2.0)).tconfint_mean()
    assert result.mean_change == 2.0 and result.sd_change == 0.0
    assert result.ci95 == pytest.approx(reference) and result.ci95 == (2.0, 2.0)
    assert result.standardised_response_mean is None
    assert result.median_ci95 == (2.0, 2.0)


@pytest.mark.parametrize(
    ("baseline", "follow_up", "field"),
    [
        ([1, 2], [1], "follow_up"),
        (["a", 2], [1, 2], "baseline"),
        ([1, 2], [[1, 2]], "follow_up"),
    ],
)
def test_bad_input_names_the_argument(baseline: object, follow_up: object, field: str) -> None:
    with pytest.raises(OutcomeInputError) as raised:
        paired_change(baseline, follow_up)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert field in str(raised.value)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=40))
def test_properties(pairs: list[tuple[float, float]]) -> None:
    baseline = np.array([p[0] for p in pairs])
    follow_up = np.array([p[1] for p in pairs])
    result = paired_change(baseline, follow_up)
    reverse = paired_change(follow_up, baseline)
    assert result.ci95 is not None and reverse.ci95 is not None
    assert result.mean_change is not None and reverse.mean_change is not None
    tolerance = 1e-9 * (1 + float(np.max(np.abs(follow_up - baseline))))
    low, high = result.ci95
    assert low - tolerance <= result.mean_change <= high + tolerance
    # Swapping the visits mirrors every estimate.
    assert reverse.mean_change == pytest.approx(-result.mean_change, abs=tolerance)
    assert reverse.ci95[0] == pytest.approx(-high, abs=tolerance)
    if result.median_ci95 is not None:
        assert reverse.median_ci95 is not None and result.median_change is not None
        assert result.median_ci95[0] <= result.median_change <= result.median_ci95[1]
        assert reverse.median_ci95 == pytest.approx(
            (-result.median_ci95[1], -result.median_ci95[0]), abs=tolerance
        )
