"""Responder definitions (``reference/clinical.md`` §6, "Responder definitions commonly
used") and responder rates with Wilson intervals and a worst-case sensitivity.

Every definition is reported side by side; none is "the" success rate. A patient is

* *eligible* when the baseline value is known and the definition can apply (a fall in
  exacerbations needs at least one exacerbation before; a fall in oral corticosteroid
  dose needs a dose above zero);
* *evaluable* when eligible and the follow-up value is known (a completer);
* a *responder* when evaluable and the change reaches the threshold.

The completers' rate is the primary figure; the worst case counts every eligible
patient without a follow-up value as a non-responder (denominator: all eligible).

Thresholds are compared with a tolerance of 1e-9 so that binary rounding of a
difference (ACQ 1.2 → 0.7 gives 0.49999999999999994) cannot decide a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from ..control import CONTROL_MCID
from ._common import Interval, OutcomeInputError, Values, as_float_array, same_length
from .proportions import wilson

__all__ = [
    "FEV1_RESPONSE_L",
    "RELATIVE_FALL_50PCT",
    "RESPONDER_DEFINITIONS",
    "ResponderDefinition",
    "Responders",
    "WorstCase",
    "is_responder",
    "responders",
]

_TOLERANCE: Final = 1e-9

#: FEV1 responder threshold: a rise of at least 100 mL (clinical.md §6, responder
#: definitions; some protocols use 200 mL or 12 %). This is the responder threshold,
#: not the MCID of ``respira.science.control.FEV1_MCID_L`` (0.2 L).
FEV1_RESPONSE_L: Final = 0.100
#: Relative fall that counts as a response for exacerbations and oral corticosteroids
#: (clinical.md §6: "≥50 % reduction").
RELATIVE_FALL_50PCT: Final = 0.5

Kind = Literal["rise", "fall", "relative_fall"]


@dataclass(frozen=True)
class ResponderDefinition:
    """One responder rule on one measure.

    ``kind``: ``rise`` (follow-up − baseline ≥ threshold), ``fall`` (baseline −
    follow-up ≥ threshold) or ``relative_fall`` ((baseline − follow-up) / baseline ≥
    threshold, eligible only when baseline > 0). ``unit`` is the threshold's unit.
    """

    key: str
    measure: str
    label: str
    threshold: float
    source: str
    kind: Kind = "rise"
    unit: str = ""


_ACT_MCID, _ACT_DIRECTION = CONTROL_MCID["act"]
_ACQ_MCID, _ACQ_DIRECTION = CONTROL_MCID["acq5"]
if (_ACT_DIRECTION, _ACQ_DIRECTION) != (1, -1):  # the rules below assume these directions
    raise RuntimeError("respira.science.control.CONTROL_MCID changed its directions")

RESPONDER_DEFINITIONS: Final[dict[str, ResponderDefinition]] = {
    "act_3": ResponderDefinition(
        key="act_3",
        measure="act",
        label=f"ACT rise ≥ {_ACT_MCID:g} points",
        threshold=float(_ACT_MCID),
        source="clinical.md §6 (ACT Δ ≥3, Schatz 2009)",
        kind="rise",
        unit="points",
    ),
    "acq_0_5": ResponderDefinition(
        key="acq_0_5",
        measure="acq",
        label=f"ACQ fall ≥ {_ACQ_MCID:g}",
        threshold=float(_ACQ_MCID),
        source="clinical.md §6 (ACQ Δ ≥0.5, Juniper 2005)",
        kind="fall",
        unit="points",
    ),
    "fev1_100ml": ResponderDefinition(
        key="fev1_100ml",
        measure="fev1_l",
        label="FEV1 rise ≥ 100 mL",
        threshold=FEV1_RESPONSE_L,
        source="clinical.md §6 (responder definitions: FEV1 rise ≥100 mL)",
        kind="rise",
        unit="L",
    ),
    "exacerbations_50pct": ResponderDefinition(
        key="exacerbations_50pct",
        measure="exacerbation_rate",
        label="Severe exacerbations ≥ 50 % fewer than in the 12 months before",
        threshold=RELATIVE_FALL_50PCT,
        source="clinical.md §6 (exacerbations: ≥50 % fall in annualised severe "
        "exacerbations vs the 12 months before)",
        kind="relative_fall",
        unit="fraction",
    ),
    "ocs_50pct": ResponderDefinition(
        key="ocs_50pct",
        measure="ocs_mg_per_day",
        label="Maintenance oral corticosteroid dose ≥ 50 % lower",
        threshold=RELATIVE_FALL_50PCT,
        source="clinical.md §6 (OCS: ≥50 % fall in prednisone-equivalent mg/day; "
        "Bel 2014, Nair 2017)",
        kind="relative_fall",
        unit="fraction",
    ),
}


@dataclass(frozen=True)
class WorstCase:
    """Responder rate counting every eligible patient without follow-up as a
    non-responder."""

    n: int
    responders: int
    rate: float | None
    ci95: Interval | None


@dataclass(frozen=True)
class Responders:
    """Responders by one definition among the completers, with the worst case."""

    key: str
    n: int
    responders: int
    rate: float | None
    ci95: Interval | None
    n_eligible: int
    worst_case: WorstCase

    @property
    def n_missing(self) -> int:
        """Eligible patients without a follow-up value."""
        return self.n_eligible - self.n


def _definition(key: str) -> ResponderDefinition:
    try:
        return RESPONDER_DEFINITIONS[key]
    except KeyError:
        known = ", ".join(RESPONDER_DEFINITIONS)
        message = f"unknown definition {key!r} (known: {known})"
        raise OutcomeInputError(message, field="key") from None


def _evaluate(
    key: str, baseline: Values, follow_up: Values
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Masks (eligible, evaluable, responder)."""
    definition = _definition(key)
    before = as_float_array(baseline, "baseline")
    after = as_float_array(follow_up, "follow_up")
    same_length({"baseline": before, "follow_up": after})
    known_before = np.isfinite(before)
    known_after = np.isfinite(after)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if definition.kind == "relative_fall":
            for name, values, known in (
                ("baseline", before, known_before),
                ("follow_up", after, known_after),
            ):
                if np.any(values[known] < 0):
                    raise OutcomeInputError(f"{definition.measure} cannot be negative", field=name)
            eligible = known_before & (before > 0)
            evaluable = eligible & known_after
            fall = (before - after) / before
            responder = evaluable & (fall >= definition.threshold - _TOLERANCE)
        else:
            eligible = known_before
            evaluable = eligible & known_after
            change = after - before if definition.kind == "rise" else before - after
            responder = evaluable & (change >= definition.threshold - _TOLERANCE)
    return eligible, evaluable, responder


def is_responder(key: str, baseline: Values, follow_up: Values) -> npt.NDArray[np.float64]:
    """Per patient: 1.0 responder, 0.0 not, NaN not evaluable (a missing value, or not
    eligible for the definition)."""
    _, evaluable, responder = _evaluate(key, baseline, follow_up)
    result = np.where(responder, 1.0, 0.0)
    result[~evaluable] = np.nan
    return result


def responders(key: str, baseline: Values, follow_up: Values) -> Responders:
    """Responder rate by ``key`` among completers (Wilson 95 % interval) and the worst
    case over all eligible patients (missing = no response)."""
    eligible, evaluable, responder = _evaluate(key, baseline, follow_up)
    n_eligible = int(np.count_nonzero(eligible))
    n = int(np.count_nonzero(evaluable))
    k = int(np.count_nonzero(responder))
    worst = WorstCase(
        n=n_eligible,
        responders=k,
        rate=k / n_eligible if n_eligible else None,
        ci95=wilson(k, n_eligible),
    )
    return Responders(
        key=key,
        n=n,
        responders=k,
        rate=k / n if n else None,
        ci95=wilson(k, n),
        n_eligible=n_eligible,
        worst_case=worst,
    )
