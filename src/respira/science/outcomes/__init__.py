"""Outcome statistics of the registry: paired change from baseline, responder rates
with Wilson intervals, exacerbation rate ratios (negative binomial, Poisson alongside)
and Kaplan–Meier curves. Pure and vectorised: arrays in, dataclasses out; no database.

Facts and thresholds: ``reference/clinical.md`` §6. Every function is checked against
statsmodels and lifelines in ``tests/science/outcomes``.
"""

from __future__ import annotations

from ._common import Interval, OutcomeInputError, Values
from .paired import PairedChange, median_interval_ranks, paired_change
from .proportions import wilson
from .rates import PoissonFit, RateRatio, rate_ratio
from .responders import (
    FEV1_RESPONSE_L,
    RELATIVE_FALL_50PCT,
    RESPONDER_DEFINITIONS,
    ResponderDefinition,
    Responders,
    WorstCase,
    is_responder,
    responders,
)
from .survival import KaplanMeier, kaplan_meier

__all__ = [
    "FEV1_RESPONSE_L",
    "RELATIVE_FALL_50PCT",
    "RESPONDER_DEFINITIONS",
    "Interval",
    "KaplanMeier",
    "OutcomeInputError",
    "PairedChange",
    "PoissonFit",
    "RateRatio",
    "ResponderDefinition",
    "Responders",
    "Values",
    "WorstCase",
    "is_responder",
    "kaplan_meier",
    "median_interval_ranks",
    "paired_change",
    "rate_ratio",
    "responders",
    "wilson",
]
