"""Wilson intervals against statsmodels' ``proportion_confint(method="wilson")``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from respira.science.outcomes import OutcomeInputError, wilson


@pytest.mark.parametrize("level", [0.95, 0.9, 0.99])
def test_matches_statsmodels_on_a_grid(level: float) -> None:
    for n in (1, 2, 3, 5, 10, 11, 37, 100, 1000, 100_000):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            if not 0 <= k <= n:
                continue
            low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
            ours = wilson(k, n, level)
            assert ours == pytest.approx((low, high), abs=1e-9), (k, n)


def test_no_trials_no_interval() -> None:
    assert wilson(0, 0) is None


def test_whole_floats_and_numpy_integers_are_counts() -> None:
    assert wilson(np.int64(3), np.int32(10)) == wilson(3.0, 10.0) == wilson(3, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("k", "n", "level", "field"),
    [
        (3, 2, 0.95, "k"),
        (-1, 2, 0.95, "k"),
        (1, -2, 0.95, "n"),
        (1.5, 2, 0.95, "k"),
        (True, 2, 0.95, "k"),
        (1, 2, 1.0, "level"),
        (1, 2, 0.0, "level"),
    ],
)
def test_bad_input_names_the_argument(k: object, n: object, level: float, field: str) -> None:
    with pytest.raises(OutcomeInputError) as raised:
        wilson(k, n, level)  # type: ignore[arg-type]
    assert raised.value.field == field


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_contains_the_estimate_and_stays_in_0_1(case: tuple[int, int]) -> None:
    k, n = case
    interval = wilson(k, n)
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= k / n <= high <= 1.0
    assert wilson(n - k, n) == pytest.approx((1 - high, 1 - low), abs=1e-12)
