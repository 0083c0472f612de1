"""The Wilson score interval for a binomial proportion (Wilson EB. J Am Stat Assoc
1927;22:209–12), recommended over the Wald interval for small n and rates near 0 or 1
(Brown LD, Cai TT, DasGupta A. Stat Sci 2001;16:101–33)."""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
from scipy import stats

from ._common import Interval, OutcomeInputError

__all__ = ["wilson"]


def _count(value: object, field: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise OutcomeInputError("must be a whole number, not a yes/no", field=field)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(float(value))
    raise OutcomeInputError("must be a whole number", field=field)


@functools.lru_cache(maxsize=64)
def _quantile(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2.0))


def wilson(k: int, n: int, level: float = 0.95) -> Interval | None:
    """Wilson interval for ``k`` successes in ``n`` trials; None when ``n == 0``."""
    k = _count(k, "k")
    n = _count(n, "n")
    if n < 0:
        raise OutcomeInputError("must not be negative", field="n")
    if not 0 <= k <= n:
        raise OutcomeInputError(f"must lie between 0 and n ({n})", field="k")
    if not 0.0 < level < 1.0:
        raise OutcomeInputError("must lie strictly between 0 and 1", field="level")
    if n == 0:
        return None
    z = _quantile(level)
    z2 = z * z
    p = k / n
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)
