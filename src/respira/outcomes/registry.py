"""The cohort loader: the outcome registry reduced, in SQL, to the arrays the statistics
need.

The report asks one question of many patients, so the work happens where the data lives
(DESIGN "Scale path"): three statements, each one pass over its table with the cohort's
filters in the ``WHERE`` clause, the same on SQLite and PostgreSQL:

1. the treated courses with their baseline, exacerbation exposure, exit, and their four
   follow-up windows joined as columns (one index lookup per window on the unique
   ``(outcome_course_id, month)``): each window's state is a ``CASE`` on its dates, its
   answer and the course's exit, evaluated at ``as_of``; a window's values count only
   when its state is completed (late or not), i.e. it was answered by then. Every
   column is numeric (codes for states and exits), so the rows become one float matrix
   without per-row Python work;
2. the adverse events: distinct patients per term, grade and seriousness (``COUNT
   DISTINCT``);
3. the newest ``refreshed_at`` (the data's date).

A window's state on ``as_of`` (``respira.followup.windows.state_of``, extended by the
registry exits): ``completed`` / ``completed_late`` once answered (on or before / after
the window's last day); otherwise the exit's kind (``withdrawn``, ``died``, ``lost``)
when the patient left follow-up on or before ``as_of`` and no later than the window's
last day; otherwise ``upcoming`` before the window opens, ``open`` while it is open and
``missed`` after it closed. Only courses treated on or before ``as_of`` are in the
cohort. The course-level exposure (exacerbations after treatment, the days observed,
the first exacerbation's day) is the projection's, as of its ``refreshed_at``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.outcomes.models import (
    EXIT_KINDS,
    WINDOW_MONTHS,
    OutcomeAdverseEvent,
    OutcomeCourse,
    OutcomeWindow,
)

MEASURES: tuple[str, ...] = (
    "act",
    "acq",
    "rescue_puffs_per_week",
    "fev1_l",
    "fev1_pp",
    "fev1_z",
    "feno_ppb",
    "eosinophils_per_ul",
    "ocs_mg_per_day",
)
STATES: tuple[str, ...] = (
    "upcoming",
    "open",
    "completed",
    "completed_late",
    "missed",
    "withdrawn",
    "died",
    "lost",
)
#: States of a window that was due by ``as_of`` (its end has passed, or it was answered,
#: or the patient left follow-up): every state except upcoming and open.
DUE_STATES: tuple[str, ...] = STATES[2:]
#: ``WindowArrays.state`` of a course whose schedule has no window for the month (a
#: clinic plan without that check-in).
NO_WINDOW = -1
SEXES: tuple[str, ...] = ("female", "male")
_STATE = {name: code for code, name in enumerate(STATES)}
_TEXT_MAX = 64


# -- the filter ------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortFilter:
    """Which treated courses the report covers. ``None`` leaves a dimension open."""

    course_number: int | None = None  # 1 first course, 2 repeat, ...
    cell_source: str | None = None  # as courses.source
    dose_min: float | None = None  # million cells/kg, inclusive
    dose_max: float | None = None  # exclusive
    phenotype: str | None = None
    gina_step: int | None = None  # severity
    baseline_control: str | None = None
    age_min: int | None = None  # years, inclusive
    age_max: int | None = None  # exclusive
    sex: str | None = None
    treated_from: dt.date | None = None  # inclusive
    treated_to: dt.date | None = None  # inclusive
    include_synthetic: bool = True

    def as_params(self) -> dict[str, str]:
        """The dimensions that are set, as strings (for URLs and the audit);
        ``from_params`` reads them back to an equal filter."""
        params: dict[str, str] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "include_synthetic":
                if not value:
                    params[field.name] = "false"
            elif value is not None:
                params[field.name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CohortFilter:
        """A filter from query or form parameters; empty values leave a dimension open,
        parameters that are no filter are ignored. Bad values raise ``InvalidInput``
        naming every field that is wrong."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}

        def text(name: str) -> str | None:
            raw = params.get(name)
            if raw is None:
                return None
            raw = str(raw).strip()
            return raw or None

        for name, low, high in (
            ("course_number", 1, 99),
            ("gina_step", 1, 5),
            ("age_min", 0, 130),
            ("age_max", 0, 131),
        ):
            raw = text(name)
            if raw is None:
                continue
            try:
                number = int(raw)
            except ValueError:
                errors[name] = Msg(N_("enter a whole number"))
                continue
            if not low <= number <= high:
                errors[name] = Msg(
                    N_("enter a whole number from %(low)s to %(high)s"), low=low, high=high
                )
            else:
                values[name] = number
        for name in ("dose_min", "dose_max"):
            raw = text(name)
            if raw is None:
                continue
            try:
                dose = float(raw)
            except ValueError:
                errors[name] = Msg(N_("enter a number of million cells per kg, such as 1.5"))
                continue
            if not math.isfinite(dose) or not 0 <= dose <= 100:
                errors[name] = Msg(N_("enter a dose from 0 to 100 million cells per kg"))
            else:
                values[name] = dose
        for name in ("treated_from", "treated_to"):
            raw = text(name)
            if raw is None:
                continue
            try:
                values[name] = dt.date.fromisoformat(raw)
            except ValueError:
                errors[name] = Msg(N_("enter a date as YYYY-MM-DD"))
        for name in ("cell_source", "phenotype", "baseline_control"):
            raw = text(name)
            if raw is None:
                continue
            if len(raw) > _TEXT_MAX:
                errors[name] = Msg(N_("at most %(n)s characters"), n=_TEXT_MAX)
            else:
                values[name] = raw
        sex = text("sex")
        if sex is not None:
            if sex not in SEXES:
                errors["sex"] = Msg(N_("choose female or male"))
            else:
                values["sex"] = sex
        synthetic = text("include_synthetic")
        if synthetic is not None:
            lowered = synthetic.lower()
            if lowered in ("1", "true", "yes", "on"):
                values["include_synthetic"] = True
            elif lowered in ("0", "false", "no", "off"):
                values["include_synthetic"] = False
            else:
                errors["include_synthetic"] = Msg(N_("answer true or false"))
        for lower, upper, message in (
            ("dose_min", "dose_max", Msg(N_("must be above the lowest dose"))),
            ("age_min", "age_max", Msg(N_("must be above the lowest age"))),
        ):
            if lower in values and upper in values and values[upper] <= values[lower]:
                errors[upper] = message
        if (
            "treated_from" in values
            and "treated_to" in values
            and values["treated_to"] < values["treated_from"]
        ):
            errors["treated_to"] = Msg(N_("must not be before the first treatment date"))
        if errors:
            raise InvalidInput(errors)
        return cls(**values)


# -- the arrays ------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowArrays:
    month: int
    counts: dict[str, int]  # every STATES key, plus "due" (every state in DUE_STATES)
    state: np.ndarray  # per course (cohort order), index into STATES; NO_WINDOW if none
    values: dict[str, np.ndarray]  # MEASURES -> float64, NaN where missing
    exacerbations: np.ndarray  # float64, NaN where missing


@dataclass(frozen=True)
class CohortArrays:
    as_of: dt.date
    n_treated: int  # treated courses in the cohort
    n_patients: int  # distinct patients
    n_synthetic: int  # courses with origin 'synthetic'
    baseline: dict[str, np.ndarray]  # MEASURES + "exacerbations_12m" -> float64, NaN missing
    windows: dict[int, WindowArrays]  # keys 1, 3, 6, 12
    exacerbations_after: np.ndarray  # float64
    exposure_days_after: np.ndarray  # float64
    first_exacerbation_day: np.ndarray  # float64, NaN when none
    followed_days: np.ndarray  # KM time: first exacerbation day, else exposure (censored)
    exacerbation_observed: np.ndarray  # bool
    exit_kind: np.ndarray  # str per course: "withdrawn", "died", "lost" or ""
    adverse_events: list[tuple[str, int, int, bool]]  # (term, grade, patients, serious)
    data_as_of: dt.datetime | None  # newest refreshed_at


# -- SQL -------------------------------------------------------------------------------


class _DaysBetween(FunctionElement[int]):
    """Whole days from the second date to the first, on SQLite and PostgreSQL."""

    type = sa.Integer()
    inherit_cache = True
    name = "days_between"


@compiles(_DaysBetween)
def _days_between_default(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(_DaysBetween, "sqlite")
def _days_between_sqlite(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


def days_between(later: Any, earlier: Any) -> ColumnElement[int]:
    """``later - earlier`` in whole days (both dates), portable between the databases."""
    return _DaysBetween(later, earlier)


class _Scanned(FunctionElement[dt.date]):
    """A column compared without its index: on SQLite ``+column`` (the documented way to
    keep the planner off an index). A cohort is most of the registry, and reading the
    courses through the ``treated_on`` index visits them (and their windows) in date
    order, row by row all over the file, where a scan reads them in order."""

    type = sa.Date()
    inherit_cache = True
    name = "scanned"


@compiles(_Scanned)
def _scanned_default(element: _Scanned, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return str(compiler.process(column, **kw))


@compiles(_Scanned, "sqlite")
def _scanned_sqlite(element: _Scanned, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"+{compiler.process(column, **kw)}"


def cohort_conditions(filters: CohortFilter, as_of: dt.date) -> list[ColumnElement[bool]]:
    c = OutcomeCourse
    treated_on: Any = _Scanned(c.treated_on)
    conditions: list[ColumnElement[bool]] = [treated_on <= as_of]
    if filters.course_number is not None:
        conditions.append(c.course_number == filters.course_number)
    if filters.cell_source is not None:
        conditions.append(c.cell_source == filters.cell_source)
    if filters.dose_min is not None:
        conditions.append(c.dose_million_cells_per_kg >= filters.dose_min)
    if filters.dose_max is not None:
        conditions.append(c.dose_million_cells_per_kg < filters.dose_max)
    if filters.phenotype is not None:
        conditions.append(c.phenotype == filters.phenotype)
    if filters.gina_step is not None:
        conditions.append(c.gina_step == filters.gina_step)
    if filters.baseline_control is not None:
        conditions.append(c.baseline_control == filters.baseline_control)
    if filters.age_min is not None:
        conditions.append(c.age_years >= filters.age_min)
    if filters.age_max is not None:
        conditions.append(c.age_years < filters.age_max)
    if filters.sex is not None:
        conditions.append(c.sex == filters.sex)
    if filters.treated_from is not None:
        conditions.append(treated_on >= filters.treated_from)
    if filters.treated_to is not None:
        conditions.append(treated_on <= filters.treated_to)
    if not filters.include_synthetic:
        conditions.append(c.origin == "clinic")
    return conditions


def _exit_code() -> ColumnElement[int]:
    """The course's exit as a code into STATES (0 for none)."""
    return sa.case(
        *((OutcomeCourse.exit_kind == kind, _STATE[kind]) for kind in EXIT_KINDS), else_=0
    )


def window_state(w: Any, as_of: dt.date) -> ColumnElement[int]:
    c = OutcomeCourse
    answered = sa.and_(w.answered_on.is_not(None), w.answered_on <= as_of)
    exited = sa.and_(c.exit_on.is_not(None), c.exit_on <= as_of, c.exit_on <= w.window_end)
    as_of_value = sa.literal(as_of, sa.Date)
    return sa.case(
        (w.id.is_(None), NO_WINDOW),
        (
            answered,
            sa.case(
                (w.answered_on <= w.window_end, _STATE["completed"]),
                else_=_STATE["completed_late"],
            ),
        ),
        (exited, _exit_code()),
        (as_of_value < w.window_start, _STATE["upcoming"]),
        (as_of_value <= w.window_end, _STATE["open"]),
        else_=_STATE["missed"],
    )


_BASELINE_KEYS: tuple[str, ...] = (*MEASURES, "exacerbations_12m")
_WINDOW_KEYS: tuple[str, ...] = ("state", *MEASURES, "exacerbations")


def _cohort_statement(filters: CohortFilter, as_of: dt.date) -> sa.Select[Any]:
    c = OutcomeCourse
    columns: list[Any] = [
        c.id,
        c.patient_id,
        sa.case((c.origin == "synthetic", 1), else_=0),
        *(getattr(c, f"{key}_baseline") for key in _BASELINE_KEYS),
        c.exacerbations_after,
        c.exposure_days_after,
        c.first_exacerbation_day,
        _exit_code(),
    ]
    joins = []
    for month in WINDOW_MONTHS:
        w = aliased(OutcomeWindow, name=f"w{month}")
        joins.append((w, sa.and_(w.outcome_course_id == c.id, w.month == month)))
        columns.append(window_state(w, as_of))
        # Values as stored; those answered after as_of are masked by the state (numpy).
        columns.extend(getattr(w, key) for key in (*MEASURES, "exacerbations"))
    statement = sa.select(*columns).select_from(c)
    for w, on in joins:
        statement = statement.outerjoin(w, on)
    # No ORDER BY: the rows are put in id order in NumPy (a sort of 100,000 wide rows in
    # the database costs more than an argsort of their ids).
    return statement.where(*cohort_conditions(filters, as_of))


_CHUNK_ROWS = 8192


def _read_chunks(cursor: Any, width: int) -> np.ndarray:
    """The cursor's rows as one float64 matrix (NULL -> NaN), converted a chunk at a
    time, so that the rows never stand as Python objects all at once (100,000 courses
    × 60 columns would be some 250 MB of floats and tuples)."""
    parts = []
    while rows := cursor.fetchmany(_CHUNK_ROWS):
        parts.append(np.array(rows, dtype=np.float64))
    if not parts:
        return np.empty((0, width), dtype=np.float64)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _fetch_matrix(session: Session, statement: sa.Select[Any], width: int) -> np.ndarray:
    """All rows of a numeric statement as one float64 matrix in the order of its first
    column, read from the driver's cursor (on PostgreSQL in the binary protocol: no
    number is parsed from text)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        compiled = statement.compile(dialect=conn.dialect)
        driver: Any = conn.connection.driver_connection
        with driver.cursor(binary=True) as cursor:
            cursor.execute(compiled.string, compiled.params)
            matrix = _read_chunks(cursor, width)
    else:
        result = conn.execute(statement)
        try:
            matrix = _read_chunks(result.cursor, width)
        finally:
            result.close()
    ids = matrix[:, 0]
    if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        matrix = matrix[np.argsort(ids, kind="stable")]
    return matrix


def _masked(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    values[missing] = np.nan
    return values


def load_cohort(session: Session, filters: CohortFilter, as_of: dt.date) -> CohortArrays:
    """The registry's treated courses that match ``filters`` on ``as_of``, as arrays in
    one cohort order (by the registry row's id)."""
    statement = _cohort_statement(filters, as_of)
    width = 3 + len(_BASELINE_KEYS) + 4 + len(WINDOW_MONTHS) * len(_WINDOW_KEYS)
    matrix = _fetch_matrix(session, statement, width)
    n = matrix.shape[0]
    column = iter(range(width))

    def take() -> np.ndarray:
        return np.ascontiguousarray(matrix[:, next(column)])

    take()  # the registry row's id: the cohort's order
    patient_ids = take()
    synthetic = take()
    baseline = {key: take() for key in _BASELINE_KEYS}
    exacerbations_after = take()
    exposure_days_after = take()
    first_exacerbation_day = take()
    exit_codes = take().astype(np.int64)
    windows: dict[int, WindowArrays] = {}
    for month in WINDOW_MONTHS:
        state = take().astype(np.int64)
        unanswered = (state != _STATE["completed"]) & (state != _STATE["completed_late"])
        values = {key: _masked(take(), unanswered) for key in MEASURES}
        exacerbations = _masked(take(), unanswered)
        tally = np.bincount(state[state >= 0], minlength=len(STATES))
        counts = {name: int(tally[code]) for code, name in enumerate(STATES)}
        counts["due"] = sum(counts[name] for name in DUE_STATES)
        windows[month] = WindowArrays(
            month=month,
            counts=counts,
            state=state,
            values=values,
            exacerbations=exacerbations,
        )
    observed = ~np.isnan(first_exacerbation_day)
    followed_days = np.where(observed, first_exacerbation_day, exposure_days_after)
    # Exit codes are 0 (none) or the exit's index into STATES.
    exit_kind = np.where(exit_codes > 0, np.array(STATES, dtype=object)[exit_codes], "")

    return CohortArrays(
        as_of=as_of,
        n_treated=n,
        n_patients=int(np.unique(patient_ids).size),
        n_synthetic=int(synthetic.sum()),
        baseline=baseline,
        windows=windows,
        exacerbations_after=exacerbations_after,
        exposure_days_after=exposure_days_after,
        first_exacerbation_day=first_exacerbation_day,
        followed_days=followed_days,
        exacerbation_observed=observed,
        exit_kind=exit_kind,
        adverse_events=_adverse_events(session, filters, as_of),
        data_as_of=_data_as_of(session, filters, as_of),
    )


def _adverse_events(
    session: Session, filters: CohortFilter, as_of: dt.date
) -> list[tuple[str, int, int, bool]]:
    """Distinct patients of the cohort per term, grade and seriousness, most frequent
    first. Events after ``as_of`` are not counted."""
    c, ae = OutcomeCourse, OutcomeAdverseEvent
    patients = sa.func.count(sa.distinct(c.patient_id))
    statement = (
        sa.select(ae.term, ae.grade, ae.serious, patients)
        .join(c, c.id == ae.outcome_course_id)
        .where(*cohort_conditions(filters, as_of))
        .where(ae.onset_day <= days_between(sa.literal(as_of, sa.Date), c.treated_on))
        .group_by(ae.term, ae.grade, ae.serious)
        .order_by(patients.desc(), ae.term, ae.grade, ae.serious)
    )
    return [
        (str(term), int(grade), int(count), bool(serious))
        for term, grade, serious, count in session.execute(statement)
    ]


def _data_as_of(session: Session, filters: CohortFilter, as_of: dt.date) -> dt.datetime | None:
    statement = sa.select(sa.func.max(OutcomeCourse.refreshed_at)).where(
        *cohort_conditions(filters, as_of)
    )
    newest = session.execute(statement).scalar_one_or_none()
    if newest is None:
        return None
    stamp: dt.datetime = newest
    if isinstance(stamp, str):  # SQLite hands back text for an aggregate over a UTC column
        stamp = dt.datetime.fromisoformat(stamp)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def filter_options(session: Session) -> dict[str, list[Any]]:
    """The distinct values of each filter dimension in the registry, sorted, for the
    filter form (``treated_on`` and ``age_years`` as their lowest and highest)."""
    c = OutcomeCourse
    options: dict[str, list[Any]] = {}
    for key, col in (
        ("course_number", c.course_number),
        ("cell_source", c.cell_source),
        ("phenotype", c.phenotype),
        ("gina_step", c.gina_step),
        ("baseline_control", c.baseline_control),
        ("sex", c.sex),
    ):
        statement = sa.select(col).where(col.is_not(None)).distinct().order_by(col)
        options[key] = list(session.execute(statement).scalars())
    bounds = session.execute(
        sa.select(
            sa.func.min(c.treated_on),
            sa.func.max(c.treated_on),
            sa.func.min(c.age_years),
            sa.func.max(c.age_years),
        )
    ).one()
    options["treated_on"] = [_as_date(b) for b in bounds[:2] if b is not None]
    options["age_years"] = [int(b) for b in bounds[2:] if b is not None]
    return options


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
