"""One virtual patient at a time: ``respira model run`` and the page's scenario panel.

``run_patient`` is the command's contract: from the default initial state (or, asked,
the patient's own chronic state), the phenotype's nominal parameters changed by each
``--set``, MSC doses at the given days, SciPy's LSODA at rtol 1e-9, the states and the
observables at the output days.

``explain`` is the page: a patient of a phenotype at the chronic state of spec §7 (a
10-year perennial run, computed once per phenotype and kept), one year of the scenario
against the same patient untreated (kept per phenotype and exposure), so that a page
view runs at most one year of one patient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from respira.mechanism.schemas import (
    PAGE_DAYS,
    TABLE_DAYS,
    ModelInputError,
    Problem,
    ScenarioForm,
    check_day,
    check_dose,
    number_text,
)
from respira.science import model

PAGE_OUTPUT_DAYS = tuple(float(d) for d in range(PAGE_DAYS + 1))
#: The tolerance of single runs, the command's and the page's (the issue's contract: an
#: adaptive solver at tight tolerance; a year of one patient takes well under 0.2 s).
RUN_RTOL = 1e-9
RUN_ATOL = 1e-12

UNKNOWN_PARAMETER = "unknown parameter %(name)s: not one of the model's 76 (see --help)"
NEGATIVE_PARAMETER = "parameter %(name)s must be a number of 0 or more, not %(value)s"


def scenario_of(
    *,
    exposure: str,
    doses: Sequence[tuple[float, float]],
    route: str,
    comparison: str | None,
    challenge_day: float | None = None,
) -> model.Scenario:
    return model.Scenario(
        exposure=exposure,
        doses=tuple(model.Dose(day, amount, route) for day, amount in doses),
        comparison=None if comparison in (None, "none") else comparison,
        challenge_day=challenge_day,
    )


def override_problems(overrides: Mapping[str, float]) -> dict[str, Problem]:
    """Every ``--set`` names one of the 76 parameters and sets it to a number ≥ 0."""
    problems: dict[str, Problem] = {}
    for name, value in overrides.items():
        if name not in model.PARAMETERS:
            problems[f"--set {name}"] = Problem(UNKNOWN_PARAMETER, {"name": name})
        elif not np.isfinite(value) or value < 0:
            problems[f"--set {name}"] = Problem(
                NEGATIVE_PARAMETER, {"name": name, "value": number_text(value)}
            )
    return problems


def run_problems(
    *,
    days: float,
    doses: Sequence[tuple[float, float]],
    output_days: Sequence[float],
    max_dose: float | None = None,
) -> dict[str, Problem]:
    """Doses of 0 or more on days inside the run, output days inside the run."""
    problems: dict[str, Problem] = {}
    if not np.isfinite(days) or days <= 0:
        problems["--days"] = Problem(
            "the run must last more than 0 days, not %(days)s", {"days": number_text(days)}
        )
    for day, amount in doses:
        problem = check_dose(amount, max_dose) or check_day(day, days)
        if problem:
            problems.setdefault(f"--dose {number_text(day)}:{number_text(amount)}", problem)
    if not output_days:
        problems["--output-days"] = Problem("give at least one output day")
    for day in output_days:
        problem = check_day(day, days)
        if problem:
            problems.setdefault("--output-days", problem)
    return problems


def check_run(**run: Any) -> None:
    """``run_problems`` as a refusal."""
    problems = run_problems(**run)
    if problems:
        raise ModelInputError(problems)


@dataclass(frozen=True)
class RunResult:
    """States and observables at the output days, with the model's label."""

    days: list[float]
    states: dict[str, list[float]]
    observables: dict[str, list[float]]
    label: str = model.HEURISTIC_LABEL

    def as_json(self) -> dict[str, Any]:
        return {
            "days": [_plain(d) for d in self.days],
            "states": self.states,
            "observables": self.observables,
            "label": self.label,
        }


def _plain(day: float) -> float | int:
    return int(day) if float(day).is_integer() else float(day)


def run_patient(
    *,
    phenotype: str = "t2-high",
    overrides: Mapping[str, float] | None = None,
    days: float = 365.0,
    doses: Sequence[tuple[float, float]] = (),
    route: str = "iv",
    output_days: Sequence[float] = (0.0, 365.0),
    exposure: str = "perennial",
    comparison: str | None = None,
    challenge_day: float | None = None,
    start: str = "default",
) -> RunResult:
    """One patient, LSODA at rtol 1e-9 (``respira model run``)."""
    overrides = dict(overrides or {})
    problems = override_problems(overrides)
    problems.update(run_problems(days=days, doses=doses, output_days=output_days))
    challenge = check_day(challenge_day, days) if challenge_day is not None else None
    if challenge:
        problems["--challenge-day"] = challenge
    if problems:
        raise ModelInputError(problems)
    params = model.parameters(phenotype, **overrides)
    scenario = scenario_of(
        exposure=exposure,
        doses=doses,
        route=route,
        comparison=comparison,
        challenge_day=challenge_day,
    )
    # The core starts at the chronic state unless told; the contract says the default.
    y0 = model.chronic_state(params) if start == "chronic" else model.DEFAULT_INITIAL
    trajectory = model.run(
        params,
        scenario,
        days=days,
        output_days=sorted(set(output_days)),
        y0=y0,
        rtol=RUN_RTOL,
        atol=RUN_ATOL,
        method="LSODA",
    )
    states = np.asarray(trajectory.states)
    return RunResult(
        days=[float(d) for d in trajectory.days],
        states={name: states[:, i].tolist() for i, name in enumerate(model.STATES)},
        observables={k: np.asarray(v).tolist() for k, v in trajectory.observables.items()},
        label=trajectory.label,
    )


# --- the page --------------------------------------------------------------------------


@lru_cache(maxsize=8)
def chronic_start(phenotype: str) -> np.ndarray:
    """The phenotype's chronic state (spec §7: 10 years of perennial exposure from the
    default initial state), computed once per process."""
    state = np.array(model.chronic_state(model.parameters(phenotype)), dtype=np.float64)
    state.setflags(write=False)
    return state


@lru_cache(maxsize=64)
def _page_run(
    phenotype: str,
    exposure: str,
    route: str,
    doses: tuple[tuple[float, float], ...],
    comparison: str,
) -> dict[str, np.ndarray]:
    trajectory = model.run(
        model.parameters(phenotype),
        scenario_of(exposure=exposure, doses=doses, route=route, comparison=comparison),
        days=float(PAGE_DAYS),
        output_days=PAGE_OUTPUT_DAYS,
        y0=chronic_start(phenotype),
        rtol=RUN_RTOL,
        atol=RUN_ATOL,
        method="LSODA",
    )
    return {name: np.asarray(values) for name, values in trajectory.observables.items()}


@dataclass(frozen=True)
class ObservableSeries:
    name: str
    untreated: np.ndarray
    treated: np.ndarray

    def at(self, days: Sequence[int]) -> list[tuple[int, float, float]]:
        return [(d, float(self.untreated[d]), float(self.treated[d])) for d in days]


@dataclass(frozen=True)
class ScenarioView:
    """What the page shows: daily values of every observable for the scenario and for
    the untreated same patient, and the days of the table."""

    form: ScenarioForm
    days: np.ndarray
    series: tuple[ObservableSeries, ...]
    table_days: tuple[int, ...] = TABLE_DAYS
    label: str = model.HEURISTIC_LABEL


def explain(form: ScenarioForm) -> ScenarioView:
    """One year of ``form``'s scenario against the untreated same patient."""
    untreated = _page_run(form.phenotype, form.exposure, "iv", (), "none")
    treated = (
        _page_run(form.phenotype, form.exposure, form.route, form.doses, form.comparison)
        if form.treated
        else untreated
    )
    return ScenarioView(
        form=form,
        days=np.asarray(PAGE_OUTPUT_DAYS),
        series=tuple(
            ObservableSeries(name, untreated[name], treated[name]) for name in model.OBSERVABLES
        ),
    )
