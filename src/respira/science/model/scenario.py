"""Scenarios (exposure, MSC doses, allergen challenge, non-MSC comparisons), parameter
sets and virtual cohorts (spec §2, §4, §7), and the integration schedule that every
engine follows.

Definitions this module adds where the specification only names a thing:

- **Exposure** ``"perennial"`` sets ``u_seas = 0`` for the run (spec §7's burn-in
  exposure), ``"seasonal"`` keeps the parameter ``u_seas`` (spec §3), ``"none"`` sets
  ``u0 = 0`` (allergen avoidance).
- **Allergen challenge** on ``challenge_day``: a bolus of ``challenge_amount`` a.u. added
  to the airway allergen ``A`` at that instant (a bronchial allergen challenge is
  inhaled within minutes, far faster than the clearance ``k_A``). The default, 1 a.u.,
  is one day's nominal perennial inhalation. The state reported on the challenge day is
  the one just after the bolus.
- **Comparisons** (applied from day 0 of the run, not during the burn-in):
  ``"anti-il5"`` multiplies ``a_5`` by 0.2 — spec §2 notes "anti-IL-5 ~ −80%" on the
  IL-5 amplification of eosinophilopoiesis (mepolizumab-like); ``"anti-ige"`` multiplies
  ``k_on`` by 0.05: an anti-IgE antibody (omalizumab-like) leaves ~5% of serum IgE free
  to load FcεRI, while the model's ``E`` stays *total* IgE (complexed IgE is still
  measured), so the change acts on the loading, not on ``E``. Both are assumptions of
  this model, documented here and in :data:`COMPARISONS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from respira.science.model.spec import (
    COHORT_LOG_SD,
    HIGH,
    INDEX,
    LOW,
    PARAMETER_NAMES,
    PARAMETERS,
    PHENOTYPES,
    UnknownParameter,
)

ROUTES = ("iv", "inhaled")
EXPOSURES = ("perennial", "seasonal", "none")

#: Non-MSC comparisons: parameter -> multiplier, with what each stands for.
COMPARISONS: dict[str, dict[str, float]] = {
    "anti-il5": {"a_5": 0.2},
    "anti-ige": {"k_on": 0.05},
}
COMPARISON_MEANINGS: dict[str, str] = {
    "anti-il5": "anti-IL-5-like (mepolizumab-like): IL-5 amplification of "
    "eosinophilopoiesis a_5 lowered by 80% (spec §2)",
    "anti-ige": "anti-IgE-like (omalizumab-like): FcεRI loading by IgE k_on lowered by 95%, "
    "as ~5% of IgE stays free; total IgE E is unchanged (an assumption of this model)",
}

#: Default allergen-challenge bolus (a.u.): one day's nominal perennial inhalation.
CHALLENGE_AMOUNT = 1.0


class ScenarioError(ValueError):
    """A scenario or run request that cannot be simulated (the message names why)."""


@dataclass(frozen=True)
class Dose:
    """An MSC dose: ``amount`` ×10^6 cells/kg on ``day`` (days from the run's start),
    ``route`` "iv" (f_trap of the patient) or "inhaled" (f_trap = 1, spec §4)."""

    day: float
    amount: float
    route: str = "iv"

    def __post_init__(self) -> None:
        if not math.isfinite(self.amount) or self.amount < 0:
            raise ScenarioError(f"dose amount must be 0 or more ×10^6 cells/kg, not {self.amount}")
        if not math.isfinite(self.day) or self.day < 0:
            raise ScenarioError(f"dose day must be 0 or later, not {self.day}")
        if self.route not in ROUTES:
            raise ScenarioError(f"dose route must be 'iv' or 'inhaled', not {self.route!r}")


@dataclass(frozen=True)
class Scenario:
    """What happens during a run (see the module's docstring for the definitions)."""

    exposure: str = "perennial"
    doses: tuple[Dose, ...] = ()
    comparison: str | None = None
    challenge_day: float | None = None
    challenge_amount: float = CHALLENGE_AMOUNT

    def __post_init__(self) -> None:
        if self.exposure not in EXPOSURES:
            raise ScenarioError(f"unknown exposure {self.exposure!r} (perennial, seasonal or none)")
        if self.comparison is not None and self.comparison not in COMPARISONS:
            raise ScenarioError(
                f"unknown comparison {self.comparison!r} (anti-il5, anti-ige or none)"
            )
        if self.challenge_day is not None and (
            not math.isfinite(self.challenge_day) or self.challenge_day < 0
        ):
            raise ScenarioError(f"challenge day must be 0 or later, not {self.challenge_day}")
        if not math.isfinite(self.challenge_amount) or self.challenge_amount < 0:
            raise ScenarioError(f"challenge amount must be 0 or more, not {self.challenge_amount}")
        object.__setattr__(self, "doses", tuple(self.doses))
        for dose in self.doses:
            if not isinstance(dose, Dose):
                raise ScenarioError(f"doses must be Dose values, not {dose!r}")

    def run_changes(self) -> dict[str, tuple[str, float]]:
        """Parameter changes for the run: name -> ("set" | "times", value)."""
        changes: dict[str, tuple[str, float]] = {}
        if self.exposure == "perennial":
            changes["u_seas"] = ("set", 0.0)
        elif self.exposure == "none":
            changes["u0"] = ("set", 0.0)
        for name, factor in COMPARISONS.get(self.comparison or "", {}).items():
            changes[name] = ("times", factor)
        return changes


PERENNIAL = Scenario()


def check_name(name: str) -> int:
    if name not in INDEX:
        raise UnknownParameter(name)
    return INDEX[name]


def parameters(phenotype: str = "t2-high", **overrides: float) -> dict[str, float]:
    """The nominal parameters of ``phenotype`` (spec §7) with ``overrides`` applied."""
    if phenotype not in PHENOTYPES:
        raise ScenarioError(f"unknown phenotype {phenotype!r} (one of {', '.join(PHENOTYPES)})")
    values = {name: p.nominal for name, p in PARAMETERS.items()}
    values.update(PHENOTYPES[phenotype])
    for name, value in overrides.items():
        check_name(name)
        values[name] = _finite(name, value)
    return values


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"parameter {name!r} must be a number, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ScenarioError(f"parameter {name!r} must be a finite number ≥ 0, not {value!r}")
    return number


def vector(params: Mapping[str, float]) -> np.ndarray:
    """A parameter dict (all 76 names) as a vector in PARAMETERS order."""
    for name in params:
        check_name(name)
    missing = [name for name in PARAMETER_NAMES if name not in params]
    if missing:
        raise ScenarioError(f"parameters missing: {', '.join(missing)}")
    return np.array([_finite(name, params[name]) for name in PARAMETER_NAMES])


def as_dict(values: np.ndarray) -> dict[str, float]:
    return {name: float(v) for name, v in zip(PARAMETER_NAMES, values, strict=True)}


def apply_changes(matrix: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Parameter rows (``(..., 76)``) changed for the run by ``scenario``."""
    out = np.array(matrix, dtype=np.float64, copy=True)
    for name, (how, value) in scenario.run_changes().items():
        i = INDEX[name]
        out[..., i] = value if how == "set" else out[..., i] * value
    return out


def sample_cohort(n: int, *, seed: int, phenotype: str = "t2-high") -> np.ndarray:
    """``n`` virtual patients (spec §7): every parameter of ``phenotype`` multiplied by
    exp(0.25·z), z standard normal per parameter and patient, clipped to [low, high].
    Shape ``(n, 76)`` in PARAMETERS order."""
    if n < 0:
        raise ScenarioError(f"number of patients must be 0 or more, not {n}")
    base = vector(parameters(phenotype))
    z = np.random.default_rng(seed).standard_normal((n, base.size))
    draws: np.ndarray = np.clip(base * np.exp(COHORT_LOG_SD * z), LOW, HIGH)
    return draws


@dataclass(frozen=True)
class Schedule:
    """When things happen in a run of ``days`` days: the output days, the doses and the
    challenge, and the breakpoints where every engine must stop and restart (outputs,
    doses — Q(t) has a kink there — and the challenge)."""

    days: float
    output_days: np.ndarray
    dose_days: np.ndarray
    dose_amounts: np.ndarray
    dose_routes: np.ndarray  # 1 = inhaled, 0 = intravenous
    challenge_day: float | None
    challenge_amount: float
    breakpoints: np.ndarray = field(repr=False)


_TIME_EPS = 1e-9


def schedule(scenario: Scenario, *, days: float, output_days: Sequence[float]) -> Schedule:
    """Validate a run request and lay out its schedule. Output days are sorted and
    de-duplicated; every day must lie in [0, days]."""
    if not math.isfinite(days) or days <= 0:
        raise ScenarioError(f"the run must last more than 0 days, not {days}")
    outputs = np.unique(np.asarray(list(output_days), dtype=np.float64))
    if outputs.size == 0:
        raise ScenarioError("give at least one output day")
    for day in outputs:
        if not (0 <= day <= days):
            raise ScenarioError(f"output day {day:g} is outside the run (0 to {days:g} days)")
    for dose in scenario.doses:
        if dose.day > days:
            raise ScenarioError(f"dose day {dose.day:g} is outside the run (0 to {days:g} days)")
    if scenario.challenge_day is not None and scenario.challenge_day > days:
        raise ScenarioError(
            f"challenge day {scenario.challenge_day:g} is outside the run (0 to {days:g} days)"
        )
    doses = [d for d in scenario.doses if d.amount > 0]
    points = [0.0, days, *outputs.tolist(), *(d.day for d in doses)]
    if scenario.challenge_day is not None:
        points.append(scenario.challenge_day)
    return Schedule(
        days=float(days),
        output_days=outputs,
        dose_days=np.array([d.day for d in doses], dtype=np.float64),
        dose_amounts=np.array([d.amount for d in doses], dtype=np.float64),
        dose_routes=np.array([1 if d.route == "inhaled" else 0 for d in doses], dtype=np.int64),
        challenge_day=scenario.challenge_day,
        challenge_amount=scenario.challenge_amount,
        breakpoints=merge_times(np.asarray(points)),
    )


def merge_times(points: np.ndarray) -> np.ndarray:
    """Sorted times with near-duplicates (within 1e-9 d) merged."""
    points = np.unique(points)
    keep = np.concatenate(([True], np.diff(points) > _TIME_EPS))
    return points[keep]


@dataclass(frozen=True)
class Stops:
    """The points an engine walks through: ``times`` (N+1,), ``output_index`` (N+1,) the
    output row stored at each point or −1, ``bolus`` (N+1,) the allergen added at each
    point (before the state there is stored and before the next step)."""

    times: np.ndarray
    output_index: np.ndarray
    bolus: np.ndarray

    @property
    def steps(self) -> int:
        return int(self.times.size - 1)


def stops(plan: Schedule, step: float | None = None) -> Stops:
    """The schedule's breakpoints (adaptive methods step between them), or with ``step``
    a fixed-step grid: uniform steps from day 0 with every breakpoint inserted."""
    times = plan.breakpoints
    if step is not None:
        if not math.isfinite(step) or step <= 0:
            raise ScenarioError(f"step must be more than 0 days, not {step}")
        times = merge_times(np.concatenate((np.arange(0.0, plan.days, step), times)))
    output_index = np.full(times.size, -1, dtype=np.int64)
    output_index[np.searchsorted(times, plan.output_days - _TIME_EPS)] = np.arange(
        plan.output_days.size
    )
    bolus = np.zeros(times.size)
    if plan.challenge_day is not None:
        bolus[np.abs(times - plan.challenge_day) <= _TIME_EPS] = plan.challenge_amount
    return Stops(times=times, output_index=output_index, bolus=bolus)
