"""Paired change from baseline: mean with a t interval, median with a distribution-free
interval, and the standardised response mean.

* Mean change: the one-sample t interval on the differences ``follow_up - baseline``
  with ``n - 1`` degrees of freedom (Student 1908; what
  ``statsmodels.stats.weightstats.DescrStatsW.tconfint_mean`` gives).
* Median change: the distribution-free interval from order statistics. The number of
  differences below the population median is binomial(n, 1/2), so
  ``[x(j+1), x(n-j)]`` covers the median with probability ``1 - 2 P(B <= j)`` for any
  continuous distribution; ``j`` is the largest count with ``P(B <= j) <= 0.025``, which
  makes the interval conservative (coverage >= 95 %). It needs ``0.5**n <= 0.025``,
  that is n >= 6 (Conover WJ. Practical Nonparametric Statistics, 3rd ed. Wiley 1999,
  §3.2; Hollander M, Wolfe DA, Chicken E. Nonparametric Statistical Methods, 3rd ed.
  Wiley 2014, §3.6).
* Standardised response mean: mean change / SD of change (Liang MH et al. Med Care
  1990;28:632–42).

Pairs with a missing (None/NaN) or infinite value on either side are dropped; ``n``
counts the pairs used. Nothing here says whether a change is clinically important:
:mod:`respira.science.outcomes.responders` does that.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._common import Interval, Values, as_float_array, interval, same_length

__all__ = ["PairedChange", "median_interval_ranks", "paired_change"]

_TAIL = 0.025


@dataclass(frozen=True)
class PairedChange:
    """Change from baseline over the complete pairs."""

    n: int
    mean_change: float | None
    ci95: Interval | None
    median_change: float | None
    median_ci95: Interval | None
    sd_change: float | None
    standardised_response_mean: float | None
    #: Exact coverage of ``median_ci95`` for a continuous distribution (>= 0.95).
    median_ci_coverage: float | None = None


@functools.lru_cache(maxsize=4096)
def median_interval_ranks(n: int) -> tuple[int, int, float] | None:
    """1-based ranks ``(low, high)`` of the order statistics bounding the distribution-
    free 95 % interval for the median of ``n`` values, and its exact coverage; None when
    no pair of order statistics reaches 95 % (n < 6)."""
    if n < 1 or 0.5**n > _TAIL:
        return None
    # Largest j with P(B <= j) <= 0.025; ppf gives the smallest k with cdf(k) >= 0.025.
    j = int(stats.binom.ppf(_TAIL, n, 0.5))
    while j >= 0 and stats.binom.cdf(j, n, 0.5) > _TAIL:
        j -= 1
    while stats.binom.cdf(j + 1, n, 0.5) <= _TAIL:
        j += 1
    coverage = 1.0 - 2.0 * float(stats.binom.cdf(j, n, 0.5))
    return j + 1, n - j, coverage


def paired_change(baseline: Values, follow_up: Values) -> PairedChange:
    """Change ``follow_up - baseline`` over the pairs where both values are finite."""
    before = as_float_array(baseline, "baseline")
    after = as_float_array(follow_up, "follow_up")
    same_length({"baseline": before, "follow_up": after})
    keep = np.isfinite(before) & np.isfinite(after)
    change = after[keep] - before[keep]
    n = int(change.size)
    if n == 0:
        return PairedChange(0, None, None, None, None, None, None)
    ranks = median_interval_ranks(n)
    # Only a few order statistics are needed: partition (O(n)) instead of sorting.
    middle = ((n - 1) // 2, n // 2)
    wanted = {*middle} if ranks is None else {*middle, ranks[0] - 1, ranks[1] - 1}
    ordered = np.partition(change, sorted(wanted))
    mean = float(change.mean())
    median = 0.5 * (float(ordered[middle[0]]) + float(ordered[middle[1]]))
    median_ci = None
    coverage = None
    if ranks is not None:
        low, high, coverage = ranks
        median_ci = interval(ordered[low - 1], ordered[high - 1])
    if n < 2:
        return PairedChange(1, mean, None, median, median_ci, None, None, coverage)
    sd = float(change.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    srm = mean / sd if sd > 0 else None
    return PairedChange(
        n=n,
        mean_change=mean,
        ci95=interval(mean - half, mean + half),
        median_change=median,
        median_ci95=median_ci,
        sd_change=sd,
        standardised_response_mean=srm,
        median_ci_coverage=coverage,
    )
