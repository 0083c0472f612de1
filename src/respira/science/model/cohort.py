"""Virtual cohorts: :func:`simulate_cohort` on NumPy, Numba or JAX.

Every engine walks the same :class:`~respira.science.model.scenario.Stops` (a fixed-step
grid for ``"rk4"``, the schedule's breakpoints for ``"adaptive"`` Dormand–Prince 5(4))
and runs the right-hand side generated from :mod:`~respira.science.model.definition`.
Without ``y0`` each patient starts from their chronic state: 10 years of perennial
exposure from the default initial state (spec §7), integrated in the same engine and
method (RK4 at the run's step, at most 0.25 d; or adaptive at rtol 1e-10). The burn-in
is ten patient-years per patient: the fast modes (allergen clearance ``k_A``, epithelial
repair) bound even an adaptive explicit step to well under a day.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from respira.science.model.batched import AdaptiveFailed, Batched, stopped_short
from respira.science.model.namespaces import numpy_functions
from respira.science.model.scenario import (
    PERENNIAL,
    Scenario,
    ScenarioError,
    Schedule,
    Stops,
    apply_changes,
    schedule,
    stops,
)
from respira.science.model.spec import (
    BURN_IN_YEARS,
    DAYS_PER_YEAR,
    DEFAULT_INITIAL,
    PARAMETER_NAMES,
    STATES,
)
from respira.science.model.tableau import FIRST_STEP

BACKENDS = ("numpy", "numba", "jax")
METHODS = ("rk4", "adaptive")
DEVICES = ("cpu", "gpu")
DTYPES = ("float32", "float64")

#: Tolerances of the burn-in (adaptive, per dtype).
BURN_IN_TOLERANCE = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-7)}
#: The tightest tolerances each dtype can meet (float32 carries ~7 digits): tighter
#: requests are raised to these.
TOLERANCE_FLOOR = {"float64": (1e-13, 1e-15), "float32": (1e-5, 1e-7)}
#: Tolerances of patients solved again after an unstable fixed step.
RERUN_TOLERANCE = {"float64": (1e-9, 1e-12), "float32": (1e-5, 1e-7)}
#: No state of a sound solution comes near this (they are O(1)-O(100)).
STATE_CEILING = 1e6
#: The longest RK4 step of a burn-in (0.25 d agrees with LSODA to ~5e-7 after 10 years).
BURN_IN_MAX_STEP = 0.25

N_STATES = len(STATES)
N_PARAMETERS = len(PARAMETER_NAMES)


class UnknownBackend(ValueError):
    """A backend, method, device or dtype that does not exist (the message names it)."""


class Engine(Protocol):
    def simulate(
        self, P: np.ndarray, Y0: np.ndarray, walk: Stops, plan: Schedule, job: Job
    ) -> np.ndarray:
        """States (n, n_out, 14) at ``plan.output_days``, walking ``walk``."""


class Job:
    """How to integrate: method, step, dtype, device and tolerances."""

    def __init__(
        self, method: str, step: float, dtype: str, device: str, rtol: float, atol: float
    ) -> None:
        self.method, self.step, self.dtype, self.device = method, step, dtype, device
        floor_rtol, floor_atol = TOLERANCE_FLOOR[dtype]
        self.rtol, self.atol = max(rtol, floor_rtol), max(atol, floor_atol)

    @property
    def adaptive(self) -> bool:
        return self.method == "adaptive"


def _check_choice(kind: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise UnknownBackend(f"unknown {kind} {value!r} (one of {', '.join(allowed)})")


def engine(backend: str) -> Engine:
    """The engine module of ``backend``; BackendUnavailable when its library is missing."""
    _check_choice("backend", backend, BACKENDS)
    if backend == "numpy":
        return NumpyEngine()
    module: ModuleType = importlib.import_module(f"respira.science.model.engine_{backend}")
    result: Engine = module.load()
    return result


def check_matrix(param_matrix: np.ndarray) -> np.ndarray:
    P = np.asarray(param_matrix, dtype=np.float64)
    if P.ndim == 1:
        P = P[None, :]
    if P.ndim != 2 or P.shape[1] != N_PARAMETERS:
        raise ScenarioError(f"parameters must have shape (n, {N_PARAMETERS}), not {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        rows = np.flatnonzero(~np.all(np.isfinite(P) & (P >= 0), axis=1))
        raise ScenarioError(f"parameters must be finite and ≥ 0 (patient rows {rows[:5]})")
    return P


def simulate_cohort(
    param_matrix: np.ndarray,
    scenario: Scenario,
    *,
    days: float,
    output_days: Sequence[float],
    backend: str = "numba",
    method: str = "rk4",
    step_days: float = 0.25,
    device: str = "cpu",
    dtype: str = "float64",
    y0: np.ndarray | None = None,
    rtol: float = 1e-9,
    atol: float = 1e-12,
) -> np.ndarray:
    """States ``(n, n_out, 14)`` (float64) of each patient (rows of ``param_matrix``, in
    PARAMETERS order, untreated) at the output days under ``scenario``.

    ``y0``: ``(14,)`` for everyone or ``(n, 14)``; None: each patient's chronic state.
    ``rtol``/``atol`` apply to ``method="adaptive"`` (in float32 at least 1e-5/1e-7);
    ``step_days`` to ``"rk4"``."""
    _check_choice("method", method, METHODS)
    _check_choice("device", device, DEVICES)
    _check_choice("dtype", dtype, DTYPES)
    chosen = engine(backend)
    base = check_matrix(param_matrix)
    requested = schedule(scenario, days=days, output_days=output_days).output_days
    # The last day is always computed, so that a blow-up before it is always seen.
    plan = schedule(scenario, days=days, output_days=[*requested, days])
    job = Job(method, step_days, dtype, device, rtol, atol)
    n = base.shape[0]
    if n == 0:
        return np.empty((0, requested.size, N_STATES))
    if y0 is None:
        start = burn_in(chosen, base, job)
    else:
        start = np.broadcast_to(np.asarray(y0, dtype=np.float64), (n, N_STATES)).copy()
        if not np.all(np.isfinite(start)) or np.any(start < 0):
            raise ScenarioError("initial states must be finite and not negative")
    states = solve(chosen, apply_changes(base, scenario), start, plan, job)
    result: np.ndarray = states[:, np.searchsorted(plan.output_days, requested), :]
    return result


def out_of_range(states: np.ndarray) -> np.ndarray:
    """Per patient (``states``: (n, n_out, 14)): whether any state is negative, not
    finite or above :data:`STATE_CEILING` — the sign of an unstable fixed step, or of a
    patient whose states run away under the model's own equations: Th2 and Treg
    expansion have no saturation, so T2 grows without bound when
    pi_T·hD/(1 + R/K_R + th_T·Φ) > d_T, and R when pi_R·hD > d_R (spec §2 asks for
    pi_R < d_R; independent cohort draws do not keep to it)."""
    ok = np.isfinite(states) & (states >= 0) & (states <= STATE_CEILING)
    result: np.ndarray = ~np.all(ok, axis=tuple(range(1, states.ndim)))
    return result


def solve(chosen: Engine, P: np.ndarray, Y0: np.ndarray, plan: Schedule, job: Job) -> np.ndarray:
    """Run ``chosen``. Patients out of range after a fixed-step run (at an output day or
    the last day) are solved again with the adaptive method: RK4 amplifies a mode with
    λh < −2.79 (a warning says how many were fixed this way). Patients still out of range
    then have run away under the model itself; their rows keep what was computed (NaN
    once a state passed 1e100) and a second warning says how many."""
    walk = stops(plan, job.step if not job.adaptive else None)
    out = chosen.simulate(P, Y0, walk, plan, job)
    bad = out_of_range(out)
    if bad.any() and not job.adaptive:
        rtol, atol = RERUN_TOLERANCE[job.dtype]
        again = Job("adaptive", job.step, job.dtype, job.device, rtol, atol)
        out[bad] = chosen.simulate(P[bad], Y0[bad], stops(plan), plan, again)
        still = out_of_range(out)
        if (bad & ~still).any():
            warnings.warn(
                f"RK4 at a step of {job.step:g} d was unstable for {int((bad & ~still).sum())}"
                " patient(s); they were solved again with the adaptive method",
                RuntimeWarning,
                stacklevel=3,
            )
        bad = still
    if bad.any():
        warnings.warn(
            f"the states of {int(bad.sum())} patient(s) ran away under the model's equations "
            "(Th2 grows without bound when pi_T·hD/(1 + R/K_R + th_T·Φ) > d_T, Tregs when "
            "pi_R·hD > d_R); their rows hold what was computed, NaN after a state passed 1e100",
            RuntimeWarning,
            stacklevel=3,
        )
    return out


def burn_in(chosen: Engine, base: np.ndarray, job: Job) -> np.ndarray:
    """Each patient's chronic state (spec §7) in ``chosen``: with RK4 at the run's step
    (at most :data:`BURN_IN_MAX_STEP`), or adaptively at :data:`BURN_IN_TOLERANCE`."""
    days = BURN_IN_YEARS * DAYS_PER_YEAR
    plan = schedule(PERENNIAL, days=days, output_days=[days])
    if job.adaptive:
        rtol, atol = BURN_IN_TOLERANCE[job.dtype]
        burn = Job("adaptive", job.step, job.dtype, job.device, rtol, atol)
    else:
        burn = Job("rk4", min(job.step, BURN_IN_MAX_STEP), job.dtype, job.device, 0, 0)
    start = np.broadcast_to(DEFAULT_INITIAL, (base.shape[0], N_STATES)).copy()
    states = solve(chosen, apply_changes(base, PERENNIAL), start, plan, burn)
    result: np.ndarray = states[:, -1, :]
    return result


def dose_arrays(plan: Schedule, dtype: Any) -> tuple[Any, Any, Any]:
    return (
        plan.dose_days.astype(dtype),
        plan.dose_amounts.astype(dtype),
        plan.dose_routes.astype(np.int64),
    )


class NumpyEngine:
    """Batched NumPy: one Python loop over the steps, array operations over patients
    (blocks of :attr:`block` patients)."""

    block = 16384

    def simulate(
        self, P: np.ndarray, Y0: np.ndarray, walk: Stops, plan: Schedule, job: Job
    ) -> np.ndarray:
        if job.device != "cpu":
            raise UnknownBackend("device 'gpu' needs backend 'jax'")
        dtype = np.dtype(job.dtype)
        batched = Batched(numpy_functions(), np)
        doses = dose_arrays(plan, dtype)
        out = np.empty((P.shape[0], plan.output_days.size, N_STATES))
        for lo in range(0, P.shape[0], self.block):
            p = P[lo : lo + self.block].T.astype(dtype)
            y = Y0[lo : lo + self.block].T.astype(dtype)
            rows = out[lo : lo + self.block]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                self._walk(batched, p, y, walk, job, doses, rows)
        return out

    def _walk(
        self,
        batched: Batched,
        p: np.ndarray,
        y: np.ndarray,
        walk: Stops,
        job: Job,
        doses: tuple[Any, Any, Any],
        rows: np.ndarray,
    ) -> None:
        h = np.asarray(FIRST_STEP, dtype=y.dtype)
        times = walk.times.astype(y.dtype)  # so that float32 runs stay in float32
        for k, t in enumerate(times):
            y[0] += walk.bolus[k]
            if walk.output_index[k] >= 0:
                rows[:, walk.output_index[k]] = y.T
            if k == walk.steps:
                break
            t1 = times[k + 1]
            if not job.adaptive:
                y = batched.rk4_step(t, t1 - t, y, p, doses)
                continue
            cond, body = batched.adaptive_loop(p, doses, t1, job.rtol, job.atol)
            carry = (t, y, batched.derivative(t, y, p, doses), h, 0)
            while cond(carry):
                carry = body(carry)
            if stopped_short(float(carry[0]), float(t1), y.dtype):
                raise AdaptiveFailed(float(carry[0]))
            y, h = carry[1], carry[3]
