"""Hand-built cohorts for the outcome report's tests: ``cohort(courses)`` makes the
``registry.CohortArrays`` that ``load_cohort`` would answer for a list of courses written
out as dicts, so that every figure of the report can be checked against numbers a reader
can compute by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from respira.outcomes.registry import (
    DUE_STATES,
    MEASURES,
    NO_WINDOW,
    STATES,
    CohortArrays,
    WindowArrays,
)

AS_OF = dt.date(2026, 12, 1)
MONTHS = (1, 3, 6, 12)


def course(
    *,
    patient: int | None = None,
    baseline: dict[str, float] | None = None,
    windows: dict[int, dict[str, Any]] | None = None,
    exacerbations_12m: float | None = None,
    exacerbations_after: int = 0,
    exposure_days_after: int = 0,
    first_exacerbation_day: int | None = None,
    exit_kind: str = "",
    synthetic: bool = False,
) -> dict[str, Any]:
    """One course: its baseline values, its windows ({month: {"state": ..., measure:
    value, "exacerbations": n}}; a month left out is upcoming), and its exposure."""
    return {
        "patient": patient,
        "baseline": baseline or {},
        "windows": windows or {},
        "exacerbations_12m": exacerbations_12m,
        "exacerbations_after": exacerbations_after,
        "exposure_days_after": exposure_days_after,
        "first_exacerbation_day": first_exacerbation_day,
        "exit_kind": exit_kind,
        "synthetic": synthetic,
    }


def _column(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def cohort(
    courses: list[dict[str, Any]],
    *,
    adverse_events: list[tuple[str, int, int, bool]] | None = None,
    as_of: dt.date = AS_OF,
    data_as_of: dt.datetime | None = dt.datetime(2026, 12, 1, 6, 30, tzinfo=dt.UTC),
) -> CohortArrays:
    patients = [c["patient"] if c["patient"] is not None else i for i, c in enumerate(courses)]
    baseline = {m: _column([c["baseline"].get(m) for c in courses]) for m in MEASURES}
    baseline["exacerbations_12m"] = _column([c["exacerbations_12m"] for c in courses])
    windows = {}
    for month in MONTHS:
        rows = [c["windows"].get(month, {"state": "upcoming"}) for c in courses]
        state = np.array(
            [NO_WINDOW if r["state"] is None else STATES.index(r["state"]) for r in rows],
            dtype=np.int64,
        )
        tally = np.bincount(state[state >= 0], minlength=len(STATES))
        counts = {name: int(tally[i]) for i, name in enumerate(STATES)}
        counts["due"] = sum(counts[s] for s in DUE_STATES)
        windows[month] = WindowArrays(
            month=month,
            counts=counts,
            state=state,
            values={m: _column([r.get(m) for r in rows]) for m in MEASURES},
            exacerbations=_column([r.get("exacerbations") for r in rows]),
        )
    first = _column([c["first_exacerbation_day"] for c in courses])
    exposure = _column([c["exposure_days_after"] for c in courses])
    observed = ~np.isnan(first)
    return CohortArrays(
        as_of=as_of,
        n_treated=len(courses),
        n_patients=len(set(patients)),
        n_synthetic=sum(1 for c in courses if c["synthetic"]),
        baseline=baseline,
        windows=windows,
        exacerbations_after=_column([c["exacerbations_after"] for c in courses]),
        exposure_days_after=exposure,
        first_exacerbation_day=first,
        followed_days=np.where(observed, first, exposure),
        exacerbation_observed=observed,
        exit_kind=np.array([c["exit_kind"] for c in courses], dtype=object),
        adverse_events=list(adverse_events or []),
        data_as_of=data_as_of,
    )


def act_courses(
    changes: list[float], *, base: float = 14.0, month: int = 12
) -> list[dict[str, Any]]:
    """Courses with an ACT baseline of ``base`` and the given changes at ``month``."""
    return [
        course(
            baseline={"act": base},
            windows={month: {"state": "completed", "act": base + change}},
        )
        for change in changes
    ]
