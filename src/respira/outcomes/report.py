"""The outcome report: the registry's cohort (``registry.load_cohort``) turned into
every figure the report, its PDF, the JSON API, the command line and the public page
show, with its n, its missing data, its 95 % confidence interval and the design's
limits (issue 8; clinical.md §6).

``build_report(cohort, min_cell=...)`` is pure over the cohort's arrays and answers one
JSON-ready dict (the contract for other programs: ``n_treated``; ``windows`` keyed "1",
"3", "6", "12" with every state's count and ``measures`` with ``{n, mean_change,
ci95, median_change}``; ``responders`` keyed by definition with ``{n, responders,
rate, ci95}``; ``exacerbations`` with ``{rate_before, rate_after, rate_ratio, ci95}``;
and more fields beside them). Decisions it makes, stated in the dict as well:

- **Completers.** Changes and responder rates are over the courses that have both the
  baseline and the window's value (``basis: "completers"``); the responder rates are
  shown beside a worst case in which every eligible course whose window has come due
  and has no value counts as no response (a window still upcoming or open is not
  missing). ACT and ACQ are separate measures: a course has the one its baseline
  questionnaire used.
- **The responders' window** is the 12-month check-in, the programme's pre-specified
  time point, as soon as any 12-month window has come due; before that the latest
  window that has (``responders.window``). ``responders_by_window`` has every window.
  The exacerbation responder compares the annualised rate over all follow-up with the
  12 months before, whatever the window.
- **Exacerbations**: the 12 months before treatment (1 year of exposure) against the
  time observed after it (days / 365.25), negative binomial with Poisson alongside
  (``respira.science.outcomes.rate_ratio``). The time to the first severe exacerbation
  is over courses with any follow-up time, censored at the last check-in or the exit.
- **Small cells**: a figure computed from fewer than ``min_cell`` courses (its own n:
  the pairs of a change, the completers of a responder rate, the eligible courses of
  its worst case, the courses of a rate ratio or a curve, the treated courses of the
  completeness counts and of the adverse events, the due windows of a completeness
  rate) is suppressed: its numbers are null, with ``"suppressed": true`` and the
  reason; its n stays.

Reading the report is not audited: it holds aggregate figures only (no name, record
number or date of a patient; small cells suppressed). The de-identified export, which
holds rows per patient, is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from respira.kit.actors import Role
from respira.kit.clinic_time import clinic_today
from respira.kit.config import get_settings
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.outcomes.registry import (
    DUE_STATES,
    MEASURES,
    STATES,
    CohortArrays,
    CohortFilter,
    load_cohort,
)
from respira.science.control import CONTROL_MCID, RESCUE_MCID_PUFFS_PER_DAY
from respira.science.outcomes import (
    RESPONDER_DEFINITIONS,
    kaplan_meier,
    paired_change,
    rate_ratio,
    responders,
    wilson,
)

WINDOWS = (1, 3, 6, 12)
RESPONDERS_WINDOW = 12
DAYS_PER_YEAR = 365.25
# The waterfall's individual changes in the JSON: all of them up to this many, else this
# many evenly spaced order statistics (a sorted list of 100,000 numbers says no more).
WATERFALL_POINTS = 2000
# The measures of the headline table and the contract; the rest follow them.
CONTRACT_MEASURES = ("act", "acq", "rescue_puffs_per_week", "fev1_l")
STATE_COUNTS = ("due", *STATES)

# The line each chart draws: the responder threshold in the better direction (signed),
# from the definitions (clinical.md §6) and, for rescue use, the MCID (puffs/day × 7).
_ACT = RESPONDER_DEFINITIONS["act_3"].threshold * CONTROL_MCID["act"][1]
_ACQ = RESPONDER_DEFINITIONS["acq_0_5"].threshold * CONTROL_MCID["acq5"][1]
THRESHOLDS: dict[str, float | None] = {
    "act": _ACT,
    "acq": _ACQ,
    "fev1_l": RESPONDER_DEFINITIONS["fev1_100ml"].threshold,
    "rescue_puffs_per_week": -RESCUE_MCID_PUFFS_PER_DAY * 7,
}

# "What this cannot show": (key, message id); pages and the PDF translate the text.
LIMITS: tuple[tuple[str, str], ...] = (
    (
        "no_comparison_group",
        N_(
            "There is no comparison group: nobody with the same asthma went untreated, so a "
            "change after treatment cannot be attributed to the treatment."
        ),
    ),
    (
        "regression_to_the_mean",
        N_(
            "Regression to the mean: patients are treated when their asthma is at its worst, "
            "and such patients improve on average whatever is done."
        ),
    ),
    (
        "selection",
        N_(
            "Selection: the clinic chose whom to treat, and patients chose to come; they are "
            "not a random sample of people with severe asthma."
        ),
    ),
    (
        "loss_to_follow_up",
        N_(
            "Loss to follow-up: patients who missed check-ins, withdrew or died may have fared "
            "differently from those who answered; the worst case beside each responder rate "
            "counts every missing answer as no response."
        ),
    ),
    (
        "concurrent_medication",
        N_(
            "Concurrent medication changes: other asthma treatment started, stopped or "
            "changed during follow-up is not accounted for."
        ),
    ),
    (
        "periods_independent",
        N_(
            "The exacerbation rate model treats the year before and the time after "
            "treatment of the same patient as independent, which makes its interval "
            "narrower than it should be."
        ),
    ),
)


def _num(value: Any) -> float | None:
    """A JSON number: None for nothing, NaN or infinity."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _pair(interval: Iterable[float] | None) -> list[float | None] | None:
    return None if interval is None else [_num(v) for v in interval]


def _cell(entry: dict[str, Any], n: int, min_cell: int, figures: Iterable[str]) -> dict[str, Any]:
    """``entry`` with its ``figures`` nulled when ``n`` is below ``min_cell``."""
    if n < min_cell:
        for name in figures:
            entry[name] = None
        entry["suppressed"] = True
        entry["reason"] = f"fewer than {min_cell} patients"
    else:
        entry["suppressed"] = False
    return entry


# --- change from baseline -----------------------------------------------------------------

_CHANGE_FIGURES = (
    "mean_change",
    "ci95",
    "median_change",
    "median_ci95",
    "sd",
    "standardised_response_mean",
)


def _change(
    baseline: np.ndarray, follow_up: np.ndarray, due: np.ndarray, min_cell: int
) -> dict[str, Any]:
    found = paired_change(baseline, follow_up)
    entry = {
        "n": found.n,
        # Courses whose window was due and that have this baseline: the completers'
        # denominator (their difference to n is the missing data).
        "n_due_with_baseline": int(np.count_nonzero(due & np.isfinite(baseline))),
        "mean_change": _num(found.mean_change),
        "ci95": _pair(found.ci95),
        "median_change": _num(found.median_change),
        "median_ci95": _pair(found.median_ci95),
        "sd": _num(found.sd_change),
        "standardised_response_mean": _num(found.standardised_response_mean),
        "basis": "completers",
    }
    return _cell(entry, found.n, min_cell, _CHANGE_FIGURES)


# --- responders --------------------------------------------------------------------------


def _annual_rate_after(cohort: CohortArrays) -> np.ndarray:
    years = cohort.exposure_days_after / DAYS_PER_YEAR
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(years > 0, cohort.exacerbations_after / years, np.nan)


def _due(cohort: CohortArrays, month: int) -> np.ndarray:
    """The courses whose window ``month`` has come due (answered, missed, or left)."""
    return np.isin(cohort.windows[month].state, [STATES.index(s) for s in DUE_STATES])


def _responder_pairs(cohort: CohortArrays, key: str, month: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and follow-up values for a responder definition at ``month``. Only the
    courses whose window has come due are eligible: a window still upcoming or open is
    not missing data, and the worst case must not count it as no response."""
    measure = RESPONDER_DEFINITIONS[key].measure
    if measure == "exacerbation_rate":
        # The 12 months before are one year: the count is the annual rate; over all
        # follow-up, so a course is eligible once its first window has come due.
        baseline, after = cohort.baseline["exacerbations_12m"], _annual_rate_after(cohort)
        due = np.logical_or.reduce([_due(cohort, m) for m in cohort.windows])
    else:
        baseline, after = cohort.baseline[measure], cohort.windows[month].values[measure]
        due = _due(cohort, month)
    return np.where(due, baseline, np.nan), after


def _responders(cohort: CohortArrays, month: int, min_cell: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, definition in RESPONDER_DEFINITIONS.items():
        found = responders(key, *_responder_pairs(cohort, key, month))
        worst = found.worst_case
        worst_entry = _cell(
            {
                "n": worst.n,
                "responders": worst.responders,
                "rate": _num(worst.rate),
                "ci95": _pair(worst.ci95),
            },
            worst.n,
            min_cell,
            ("responders", "rate", "ci95"),
        )
        entry = {
            "n": found.n,
            "responders": found.responders,
            "rate": _num(found.rate),
            "ci95": _pair(found.ci95),
            "n_eligible": found.n_eligible,
            "worst_case": worst_entry,
            "window": "all follow-up" if definition.measure == "exacerbation_rate" else month,
            "measure": definition.measure,
            "threshold": definition.threshold,
            "kind": definition.kind,
            "definition": definition.label,
            "source": definition.source,
            "basis": "completers",
        }
        out[key] = _cell(entry, found.n, min_cell, ("responders", "rate", "ci95"))
    return out


def responders_window(cohort: CohortArrays) -> int:
    """The window of the headline responder rates: 12 months as soon as any 12-month
    window came due, else the latest window that did (12 when none has)."""
    due = [m for m in WINDOWS if cohort.windows[m].counts.get("due", 0) > 0]
    if not due or RESPONDERS_WINDOW in due:
        return RESPONDERS_WINDOW
    return max(due)


# --- windows ---------------------------------------------------------------------------


def _window(cohort: CohortArrays, month: int, min_cell: int) -> dict[str, Any]:
    arrays = cohort.windows[month]
    counts = {name: int(arrays.counts.get(name, 0)) for name in STATE_COUNTS}
    answered = counts["completed"] + counts["completed_late"]
    due_mask = _due(cohort, month)
    entry: dict[str, Any] = {"month": month, "n": cohort.n_treated, **counts}
    _cell(entry, cohort.n_treated, min_cell, STATE_COUNTS)
    completeness = _cell(
        {
            "n": counts["due"],
            "answered": answered,
            "rate": answered / counts["due"] if counts["due"] else None,
            "ci95": _pair(wilson(answered, counts["due"])),
        },
        counts["due"],
        min_cell,
        ("answered", "rate", "ci95"),
    )
    entry["completeness"] = completeness
    entry["measures"] = {
        measure: _change(cohort.baseline[measure], arrays.values[measure], due_mask, min_cell)
        for measure in MEASURES
    }
    return entry


def _waterfall(cohort: CohortArrays, month: int, min_cell: int) -> dict[str, Any]:
    """Individual changes of one measure at a window, sorted: the control instrument with
    more pairs (ACT or ACQ), FEV1 when neither has any."""
    arrays = cohort.windows[month]
    pairs = {}
    for measure in ("act", "acq", "fev1_l"):
        change = arrays.values[measure] - cohort.baseline[measure]
        pairs[measure] = change[np.isfinite(change)]
    measure = max(("act", "acq"), key=lambda m: (pairs[m].size, m == "act"))
    if pairs[measure].size == 0:
        measure = "fev1_l"
    changes = np.sort(pairs[measure])
    n = int(changes.size)
    threshold = THRESHOLDS[measure]
    sampled = n > WATERFALL_POINTS
    shown = (
        changes[np.linspace(0, n - 1, WATERFALL_POINTS).round().astype(int)] if sampled else changes
    )
    direction = 1.0 if (threshold or 0) >= 0 else -1.0
    entry: dict[str, Any] = {
        "month": month,
        "measure": measure,
        "n": n,
        "threshold": threshold,
        "better": "up" if direction > 0 else "down",
        "reached_threshold": int(
            np.count_nonzero(changes * direction >= abs(threshold or 0) - 1e-9)
        ),
        "worse_by_threshold": int(
            np.count_nonzero(-changes * direction >= abs(threshold or 0) - 1e-9)
        ),
        "sampled": sampled,
        "changes": [float(v) for v in shown],
        "basis": "completers",
    }
    return _cell(entry, n, min_cell, ("changes", "reached_threshold", "worse_by_threshold"))


# --- exacerbations ------------------------------------------------------------------------


def _exacerbations(cohort: CohortArrays, min_cell: int) -> dict[str, Any]:
    before = cohort.baseline["exacerbations_12m"]
    found = rate_ratio(
        before,
        np.ones_like(before),
        cohort.exacerbations_after,
        cohort.exposure_days_after / DAYS_PER_YEAR,
    )
    figures = (
        "events_before",
        "exposure_before_years",
        "events_after",
        "exposure_after_years",
        "rate_before",
        "rate_after",
        "rate_ratio",
        "ci95",
        "alpha",
        "overdispersion_p",
        "poisson",
    )
    if found is None:
        entry: dict[str, Any] = {"n": 0, "model": None, "note": None, **dict.fromkeys(figures)}
        return _cell(entry, 0, min_cell, figures)
    poisson = found.poisson
    entry = {
        "n": found.n,
        "events_before": found.events_before,
        "exposure_before_years": _num(found.exposure_before_years),
        "events_after": found.events_after,
        "exposure_after_years": _num(found.exposure_after_years),
        "rate_before": _num(found.rate_before),
        "rate_after": _num(found.rate_after),
        "rate_ratio": _num(found.rate_ratio),
        "ci95": _pair(found.ci95),
        "model": found.model,
        "alpha": _num(found.alpha),
        "overdispersion_p": _num(found.overdispersion_lr_p),
        "poisson": None
        if poisson is None
        else {
            "rate_ratio": _num(poisson.rate_ratio),
            "ci95": _pair(poisson.ci95),
            "pearson_chi2_per_df": _num(poisson.pearson_chi2_per_df),
        },
        "note": found.note,
        "periods": "the 12 months before treatment against the time observed after it",
    }
    return _cell(entry, found.n, min_cell, figures)


def _time_to_first(cohort: CohortArrays, min_cell: int) -> dict[str, Any]:
    days = cohort.followed_days
    keep = np.isfinite(days) & ((days > 0) | cohort.exacerbation_observed)
    found = kaplan_meier(days[keep], cohort.exacerbation_observed[keep])
    figures = ("times", "survival", "ci_low", "ci_high", "at_risk", "median_days", "end_day")
    entry = {
        "n": found.n,
        "events": found.events,
        "censored": found.censored,
        "times": [float(v) for v in found.times],
        "survival": [float(v) for v in found.survival],
        "ci_low": [_num(v) for v in found.ci_low],
        "ci_high": [_num(v) for v in found.ci_high],
        "at_risk": [int(v) for v in found.at_risk],
        "median_days": _num(found.median),
        "end_day": float(days[keep].max()) if found.n else None,
        "censoring": "at the last check-in, the exit from follow-up, or the data's date",
    }
    return _cell(entry, found.n, min_cell, figures)


# --- adverse events --------------------------------------------------------------------


def _adverse_events(cohort: CohortArrays, min_cell: int) -> dict[str, Any]:
    """Patients with each term at each grade, per patient treated; the by-term grid
    adds the serious and non-serious rows of a term and grade."""
    treated = cohort.n_patients
    rows = []
    grid: dict[str, list[int]] = {}
    serious: dict[str, int] = {}
    for term, grade, patients, is_serious in cohort.adverse_events:
        interval = wilson(patients, treated) if treated else None
        rows.append(
            {
                "term": term,
                "grade": grade,
                "serious": is_serious,
                "patients": patients,
                "per_patient": patients / treated if treated else None,
                "ci95": _pair(interval),
            }
        )
        grid.setdefault(term, [0, 0, 0, 0, 0])[min(max(grade, 1), 5) - 1] += patients
        if is_serious:
            serious[term] = serious.get(term, 0) + patients
    by_term = [
        {"term": term, "by_grade": counts, "serious": serious.get(term, 0)}
        for term, counts in sorted(grid.items(), key=lambda item: (-sum(item[1]), item[0]))
    ]
    entry = {"n": treated, "denominator": "patients treated", "rows": rows, "by_term": by_term}
    return _cell(entry, treated, min_cell, ("rows", "by_term"))


# --- the report -----------------------------------------------------------------------


def build_report(
    cohort: CohortArrays, *, min_cell: int, filters: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every figure of the outcome report from the cohort's arrays (see the module's
    docstring); JSON-ready (no NaN, no NumPy numbers)."""
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")
    month = responders_window(cohort)
    return {
        "n_treated": cohort.n_treated,
        "n_patients": cohort.n_patients,
        "n_synthetic": cohort.n_synthetic,
        "as_of": cohort.as_of.isoformat(),
        "data_as_of": cohort.data_as_of.isoformat() if cohort.data_as_of else None,
        "filters": dict(filters or {}),
        "min_cell": min_cell,
        "windows": {str(m): _window(cohort, m, min_cell) for m in WINDOWS},
        "responders": _responders(cohort, month, min_cell),
        "responders_window": month,
        "responders_by_window": {str(m): _responders(cohort, m, min_cell) for m in WINDOWS},
        "exacerbations": _exacerbations(cohort, min_cell),
        "time_to_first_exacerbation": _time_to_first(cohort, min_cell),
        "adverse_events": _adverse_events(cohort, min_cell),
        "waterfall": {str(m): _waterfall(cohort, m, min_cell) for m in WINDOWS},
        "thresholds": THRESHOLDS,
        "limits": [{"key": key, "text": text} for key, text in LIMITS],
    }


# --- reading it from the registry ----------------------------------------------------------

#: Who reads the outcome report: the medical director (admin) and the physicians.
REPORT_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
FILTER_NAMES = tuple(f.name for f in fields(CohortFilter))


def settings_min_cell() -> int:
    """The small-cell threshold of the settings."""
    return get_settings().outcomes_min_cell


def file_name(report: Mapping[str, Any], extension: str) -> str:
    """A download's name: the report's date and whether it is filtered."""
    filtered = "-filtered" if report["filters"] else ""
    return f"outcome-report-{report['as_of']}{filtered}.{extension}"


def parse_filters(params: Mapping[str, str], *, ignore: Iterable[str] = ()) -> CohortFilter:
    """The cohort filter of query or form parameters; a parameter that is no filter (and
    not in ``ignore``) is refused like a bad value, naming it (``InvalidInput``)."""
    unknown = sorted(set(params) - set(FILTER_NAMES) - set(ignore))
    errors = {
        name: "is not a filter of the outcome report (filters: " + ", ".join(FILTER_NAMES) + ")"
        for name in unknown
    }
    try:
        found = CohortFilter.from_params({k: v for k, v in params.items() if k in FILTER_NAMES})
    except InvalidInput as exc:
        errors = {**exc.errors, **errors}
        raise InvalidInput(errors) from None
    if errors:
        raise InvalidInput(errors)
    return found


def outcome_report(
    session: Session,
    filters: CohortFilter,
    *,
    as_of: dt.date | None = None,
    min_cell: int | None = None,
) -> dict[str, Any]:
    """The report of the registry's cohort on ``as_of`` (the clinic's today), with the
    small-cell threshold of the settings unless given."""
    cohort = load_cohort(session, filters, as_of or clinic_today())
    return build_report(
        cohort,
        min_cell=settings_min_cell() if min_cell is None else min_cell,
        filters=filters.as_params(),
    )
