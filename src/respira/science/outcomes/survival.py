"""Kaplan–Meier estimate of time to an event (days), with the 95 % confidence band that
lifelines reports by default.

* Survival: ``S(t) = prod over event times u <= t of (1 - d_u / n_u)``; ``n_u`` counts
  those with duration >= u, so a censoring at the time of an event counts as at risk
  (Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457–81).
* Band: the exponential Greenwood interval, built on log(-log S(t)) with
  ``var = sum d/(n(n-d)) / log(S)**2`` (Kalbfleisch JD, Prentice RL. The Statistical
  Analysis of Failure Time Data, 2nd ed. Wiley 2002, §1.3; lifelines
  ``KaplanMeierFitter``). Where S(t) = 1 the band is (1, 1) and where S(t) = 0 it is
  (0, 0), as lifelines writes them.
* Median: the first time with S(t) <= 0.5 (to 1e-12, so that a product that is 1/2
  exactly is not pushed above it by rounding); None when the curve stays above 0.5.

``times`` holds 0 and every distinct event time, ascending; the curve is a right-
continuous step function on them. Censored durations are listed in ``censor_times``
(ticks on a plot). Pairs with a missing duration or event flag are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from ._common import Z95, OutcomeInputError, Values, as_float_array, same_length

__all__ = ["KaplanMeier", "kaplan_meier"]

Float = npt.NDArray[np.float64]

_HALF_TOLERANCE: Final = 1e-12


def _empty() -> Float:
    return np.zeros(0)


def _runs(ordered: Float) -> tuple[Float, npt.NDArray[np.int64]]:
    """Distinct values of a sorted array and how often each occurs."""
    if ordered.size == 0:
        return ordered, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, ordered.size))


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan–Meier curve with its 95 % band (arrays aligned with ``times``)."""

    n: int
    events: int
    censored: int
    times: Float
    survival: Float
    ci_low: Float
    ci_high: Float
    at_risk: Float
    median: float | None
    #: Events at each time of ``times`` (0 at time 0 unless events happened then).
    events_at: Float = field(default_factory=_empty)
    #: Distinct durations at which someone was censored, ascending.
    censor_times: Float = field(default_factory=_empty)


def kaplan_meier(durations: Values, observed: Values) -> KaplanMeier:
    """Kaplan–Meier estimate from ``durations`` (days, >= 0) and ``observed`` (1/True:
    the event happened at that duration; 0/False: censored then)."""
    time = as_float_array(durations, "durations")
    flag = as_float_array(observed, "observed")
    same_length({"durations": time, "observed": flag})
    keep = np.isfinite(time) & np.isfinite(flag)
    time, flag = time[keep], flag[keep]
    if np.any(time < 0):
        raise OutcomeInputError("durations cannot be negative", field="durations")
    if np.any((flag != 0) & (flag != 1)):
        raise OutcomeInputError("must be 1 (event) or 0 (censored)", field="observed")
    event = flag == 1
    n = int(time.size)
    n_events = int(np.count_nonzero(event))
    event_times, deaths = _runs(np.sort(time[event]))
    censor_times = _runs(np.sort(time[~event]))[0]
    # At risk at t: durations >= t (a censoring at an event time is still at risk).
    at_risk = (n - np.searchsorted(np.sort(time), event_times, side="left")).astype(np.float64)
    if event_times.size == 0 or event_times[0] > 0:
        event_times = np.concatenate(([0.0], event_times))
        deaths = np.concatenate(([0], deaths))
        at_risk = np.concatenate(([float(n)], at_risk))
    d = deaths.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival: Float = np.cumprod(
            1.0 - np.where(at_risk > 0, d / at_risk, 0.0), dtype=np.float64
        )
        greenwood = np.cumsum(np.where(at_risk > d, d / (at_risk * (at_risk - d)), 0.0))
        log_s = np.log(survival)
        spread = Z95 * np.sqrt(greenwood) / log_s
        log_minus_log = np.log(-log_s)
        ci_high = np.exp(-np.exp(log_minus_log + spread))
        ci_low = np.exp(-np.exp(log_minus_log - spread))
    top = survival >= 1.0
    ci_low[top] = ci_high[top] = 1.0
    bottom = survival <= 0.0
    ci_low[bottom] = ci_high[bottom] = 0.0
    below = np.flatnonzero(survival <= 0.5 + _HALF_TOLERANCE)
    median = float(event_times[below[0]]) if below.size else None
    return KaplanMeier(
        n=n,
        events=n_events,
        censored=n - n_events,
        times=event_times.astype(np.float64),
        survival=survival,
        ci_low=ci_low,
        ci_high=ci_high,
        at_risk=at_risk,
        median=median,
        events_at=d,
        censor_times=censor_times,
    )
