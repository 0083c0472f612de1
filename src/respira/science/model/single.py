"""One patient with SciPy's adaptive solvers: :func:`run`, :func:`chronic_state` and the
observables (spec §5-§7)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from respira.science.model import definition
from respira.science.model.namespaces import numpy_functions, scalar_functions
from respira.science.model.scenario import (
    PERENNIAL,
    Scenario,
    ScenarioError,
    Schedule,
    apply_changes,
    schedule,
    stops,
    vector,
)
from respira.science.model.spec import (
    BURN_IN_YEARS,
    DAYS_PER_YEAR,
    DEFAULT_INITIAL,
    HEURISTIC_LABEL,
    OBSERVABLES,
    STATES,
)

SOLVERS = ("LSODA", "DOP853", "RK45", "Radau", "BDF")


@dataclass(frozen=True)
class Trajectory:
    """A run's output: ``states`` (n_out, 14) at ``days``, the observables in clinical
    units, and the label that says the maps are heuristic."""

    days: np.ndarray
    states: np.ndarray
    observables: dict[str, np.ndarray]
    label: str = HEURISTIC_LABEL
    metadata: dict[str, Any] = field(default_factory=dict)

    def state(self, name: str) -> np.ndarray:
        return self.states[:, STATES.index(name)]


def check_initial(y0: np.ndarray | Sequence[float] | None, shape: tuple[int, ...]) -> np.ndarray:
    if y0 is None:
        raise ScenarioError("no initial state")
    array = np.asarray(y0, dtype=np.float64)
    if array.shape != shape:
        raise ScenarioError(f"initial state must have shape {shape}, not {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ScenarioError("initial state must be finite and not negative")
    return array


def integrate(
    p: np.ndarray,
    plan: Schedule,
    y0: np.ndarray,
    *,
    rtol: float,
    atol: float,
    method: str,
) -> np.ndarray:
    """States at ``plan.output_days`` from ``y0`` at day 0, solving between breakpoints."""
    if method not in SOLVERS:
        raise ScenarioError(f"unknown solver {method!r} (one of {', '.join(SOLVERS)})")
    from scipy.integrate import solve_ivp  # 0.5 s to import: only where it is used

    fn = scalar_functions()
    season, allergen, msc_level, rates = (
        fn["season"], fn["allergen"], fn["msc_level"], fn["rates"]
    )  # fmt: skip
    plist = p.tolist()
    days, amounts, routes = (
        plan.dose_days.tolist(), plan.dose_amounts.tolist(), plan.dose_routes.tolist()
    )  # fmt: skip

    def rhs(t: float, y: np.ndarray) -> tuple[float, ...]:
        u = allergen(plist, season(t))
        q = msc_level(t, plist, days, amounts, routes) if days else 0.0
        result: tuple[float, ...] = rates(y.tolist(), plist, u, q)
        return result

    out = np.empty((plan.output_days.size, len(STATES)))
    walk = stops(plan)
    y = y0.copy()
    for k, t in enumerate(walk.times):
        y[0] += walk.bolus[k]
        if walk.output_index[k] >= 0:
            out[walk.output_index[k]] = y
        if k == walk.steps:
            break
        solution = solve_ivp(
            rhs, (float(t), float(walk.times[k + 1])), y, method=method, rtol=rtol, atol=atol
        )
        if not solution.success:
            raise ArithmeticError(f"the solver failed: {solution.message}")
        y = solution.y[:, -1].copy()
    return out


@functools.lru_cache(maxsize=256)
def _chronic(key: tuple[float, ...], years: float) -> np.ndarray:
    p = apply_changes(np.array(key), PERENNIAL)
    days = years * DAYS_PER_YEAR
    plan = schedule(PERENNIAL, days=days, output_days=[days])
    state = integrate(p, plan, DEFAULT_INITIAL.copy(), rtol=1e-9, atol=1e-12, method="LSODA")
    result: np.ndarray = state[-1]
    result.setflags(write=False)
    return result


def chronic_state(params: Mapping[str, float], *, years: float = BURN_IN_YEARS) -> np.ndarray:
    """The patient's chronic state: ``years`` of perennial exposure from the default
    initial state (spec §7), LSODA at rtol 1e-9. Cached per parameter set."""
    if not years > 0:
        raise ScenarioError(f"burn-in must last more than 0 years, not {years}")
    return _chronic(tuple(vector(params).tolist()), float(years)).copy()


def run(
    params: Mapping[str, float],
    scenario: Scenario,
    *,
    days: float,
    output_days: Sequence[float],
    y0: np.ndarray | Sequence[float] | None = None,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    method: str = "LSODA",
) -> Trajectory:
    """One patient over ``days`` days from ``y0`` (default: the chronic state of the
    untreated ``params``), the scenario's parameter changes applied for the run."""
    base = vector(params)
    plan = schedule(scenario, days=days, output_days=output_days)
    start = chronic_state(params) if y0 is None else check_initial(y0, (len(STATES),))
    p = apply_changes(base, scenario)
    states = integrate(p, plan, start, rtol=rtol, atol=atol, method=method)
    return Trajectory(
        days=plan.output_days,
        states=states,
        observables=observables(states, p),
        metadata=result_metadata(scenario, method=method),
    )


def result_metadata(scenario: Scenario, **extra: Any) -> dict[str, Any]:
    return {
        "label": HEURISTIC_LABEL,
        "units": {name: o.unit for name, o in OBSERVABLES.items()},
        "exposure": scenario.exposure,
        "comparison": scenario.comparison,
        "doses": [(d.day, d.amount, d.route) for d in scenario.doses],
        "challenge_day": scenario.challenge_day,
        "source": definition.fingerprint(),
        **extra,
    }


def observables(
    states: np.ndarray, params: Mapping[str, float] | np.ndarray
) -> dict[str, np.ndarray]:
    """The observables in clinical units (spec §6) of ``states`` (``(..., 14)``).

    ``params``: a dict of the 76 parameters, a vector ``(76,)``, or a matrix ``(n, 76)``
    for states of shape ``(n, ..., 14)`` (one row per patient)."""
    y = np.asarray(states, dtype=np.float64)
    if y.shape[-1:] != (len(STATES),):
        raise ScenarioError(f"states must end in {len(STATES)} columns, not {y.shape}")
    p = vector(params) if isinstance(params, Mapping) else np.asarray(params, dtype=np.float64)
    if p.ndim == 2:
        if p.shape[0] != y.shape[0]:
            raise ScenarioError("one parameter row per patient is needed")
        p = p.reshape(p.shape[:1] + (1,) * (y.ndim - 2) + p.shape[1:])
    values = numpy_functions()["observables"](np.moveaxis(y, -1, 0), np.moveaxis(p, -1, 0))
    shape = y.shape[:-1]
    names = definition.observable_names()
    return {
        name: np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy()
        for name, v in zip(names, values, strict=True)
    }
