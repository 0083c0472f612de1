"""The cohort loader: window states at chosen dates, every filter, the exits, the
adverse-event table, and the filter's parameters. Registry rows are written directly
(origin ``synthetic``: rows without a course) so that each rule is checked on data
chosen for it; the projection from a real record is tested in ``test_projection``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from respira.kit.db import Database, utcnow
from respira.kit.errors import InvalidInput
from respira.outcomes.models import OutcomeAdverseEvent, OutcomeCourse, OutcomeWindow
from respira.outcomes.registry import (
    MEASURES,
    NO_WINDOW,
    STATES,
    CohortFilter,
    filter_options,
    load_cohort,
)

TREATED = dt.date(2025, 1, 10)
# The default schedule's windows after 10 January 2025 (respira.followup.windows).
WINDOWS = {
    1: (dt.date(2025, 2, 10), 7),
    3: (dt.date(2025, 4, 10), 14),
    6: (dt.date(2025, 7, 10), 14),
    12: (dt.date(2026, 1, 10), 30),
}


def add_course(
    db: Database,
    patient_id: int,
    *,
    answered: dict[int, dt.date] | None = None,
    exit_kind: str | None = None,
    exit_on: dt.date | None = None,
    treated_on: dt.date = TREATED,
    months: tuple[int, ...] = (1, 3, 6, 12),
    events: tuple[tuple[str, int, bool, int], ...] = (),
    **course: Any,
) -> int:
    answered = answered or {}
    values: dict[str, Any] = {
        "origin": "synthetic",
        "patient_id": patient_id,
        "course_number": 1,
        "treated_on": treated_on,
        "cell_source": "allogeneic_cord",
        "dose_million_cells_per_kg": 1.0,
        "phenotype": "eosinophilic",
        "gina_step": 5,
        "baseline_control": "very_poorly_controlled",
        "sex": "female",
        "age_years": 45,
        "instrument": "act",
        "act_baseline": 12.0,
        "acq_baseline": None,
        "rescue_puffs_per_week_baseline": 20.0,
        "fev1_l_baseline": 2.1,
        "exacerbations_12m_baseline": 3,
        "exacerbations_after": 1,
        "exposure_days_after": 180,
        "first_exacerbation_day": 40,
        "exit_kind": exit_kind,
        "exit_on": exit_on,
    }
    values.update(course)
    shift = treated_on - TREATED
    with db.transaction() as session:
        row = OutcomeCourse(**values)
        session.add(row)
        session.flush()
        for month in months:
            due, days = WINDOWS[month]
            due = due + shift
            answer = answered.get(month)
            session.add(
                OutcomeWindow(
                    outcome_course_id=row.id,
                    month=month,
                    due_date=due,
                    window_start=due - dt.timedelta(days=days),
                    window_end=due + dt.timedelta(days=days),
                    answered_on=answer,
                    act=(15.0 + month) if answer else None,
                    rescue_puffs_per_week=10.0 if answer else None,
                    exacerbations=(1 if month == 1 else 0) if answer else None,
                )
            )
        for term, grade, serious, onset in events:
            session.add(
                OutcomeAdverseEvent(
                    outcome_course_id=row.id,
                    term=term,
                    grade=grade,
                    serious=serious,
                    related=True,
                    onset_day=onset,
                )
            )
        return row.id


def states(db: Database, as_of: dt.date, month: int, **filters: Any) -> list[str]:
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(**filters), as_of)
    return [STATES[code] if code >= 0 else "none" for code in cohort.windows[month].state]


def test_a_window_is_upcoming_open_then_missed_without_an_answer(
    db: Database, make_patient: Callable[..., int]
) -> None:
    add_course(db, make_patient())
    assert states(db, dt.date(2025, 2, 2), 1) == ["upcoming"]
    assert states(db, dt.date(2025, 2, 3), 1) == ["open"]  # the window's first day
    assert states(db, dt.date(2025, 2, 17), 1) == ["open"]  # its last day
    assert states(db, dt.date(2025, 2, 18), 1) == ["missed"]


def test_an_answer_completes_the_window_or_is_late_after_its_last_day(
    db: Database, make_patient: Callable[..., int]
) -> None:
    add_course(db, make_patient(), answered={1: dt.date(2025, 2, 17), 3: dt.date(2025, 4, 30)})
    assert states(db, dt.date(2025, 3, 1), 1) == ["completed"]
    assert states(db, dt.date(2025, 5, 1), 3) == ["completed_late"]
    # Seen from before the answer, the window was still open or already missed.
    assert states(db, dt.date(2025, 2, 16), 1) == ["open"]
    assert states(db, dt.date(2025, 4, 24), 3) == ["open"]  # its last day
    assert states(db, dt.date(2025, 4, 25), 3) == ["missed"]


@pytest.mark.parametrize("kind", ["withdrawn", "died", "lost"])
def test_an_exit_takes_the_windows_not_answered_before_it(
    db: Database, make_patient: Callable[..., int], kind: str
) -> None:
    add_course(
        db,
        make_patient(),
        answered={1: dt.date(2025, 2, 12)},
        exit_kind=kind,
        exit_on=dt.date(2025, 5, 1),
    )
    as_of = dt.date(2026, 6, 1)
    assert states(db, as_of, 1) == ["completed"]
    # The 3-month window closed (24 April) before the exit: it was missed.
    assert states(db, as_of, 3) == ["missed"]
    assert states(db, as_of, 6) == [kind]
    assert states(db, as_of, 12) == [kind]
    # Before the exit happened the later windows were still ahead.
    assert states(db, dt.date(2025, 4, 30), 6) == ["upcoming"]


def test_counts_and_values_per_window(db: Database, make_patient: Callable[..., int]) -> None:
    add_course(db, make_patient(), answered={1: dt.date(2025, 2, 12), 3: dt.date(2025, 5, 1)})
    add_course(db, make_patient(), answered={1: dt.date(2025, 2, 9)})
    add_course(db, make_patient(), exit_kind="died", exit_on=dt.date(2025, 3, 1))
    add_course(db, make_patient(), treated_on=dt.date(2025, 4, 1))
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(), dt.date(2025, 5, 5))
    assert cohort.n_treated == 4 and cohort.n_patients == 4 and cohort.n_synthetic == 4
    one, three = cohort.windows[1], cohort.windows[3]
    assert one.counts["completed"] == 2 and one.counts["missed"] == 1
    assert one.counts["open"] == 1  # treated 1 April: its first window is 24 April to 8 May
    assert one.counts["due"] == 3
    assert three.counts == {
        "upcoming": 1,
        "open": 0,
        "completed": 0,
        "completed_late": 1,
        "missed": 1,
        "withdrawn": 0,
        "died": 1,
        "lost": 0,
        "due": 3,
    }
    assert list(one.values["act"][:2]) == [16.0, 16.0]
    assert np.isnan(one.values["act"][2:]).all()
    assert np.isnan(one.values["feno_ppb"]).all()
    assert set(one.values) == set(MEASURES)
    assert list(one.exacerbations[:2]) == [1.0, 1.0] and np.isnan(one.exacerbations[2])
    assert list(cohort.baseline["act"]) == [12.0] * 4
    assert np.isnan(cohort.baseline["acq"]).all()
    assert list(cohort.baseline["exacerbations_12m"]) == [3.0] * 4
    assert list(cohort.exit_kind) == ["", "", "died", ""]


def test_a_course_treated_after_the_date_is_not_in_the_cohort(
    db: Database, make_patient: Callable[..., int]
) -> None:
    add_course(db, make_patient(), treated_on=dt.date(2025, 6, 1))
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(), dt.date(2025, 5, 31))
    assert cohort.n_treated == 0 and cohort.n_patients == 0
    assert cohort.windows[1].state.shape == (0,) and cohort.adverse_events == []


def test_a_course_without_a_window_of_the_month_has_no_state(
    db: Database, make_patient: Callable[..., int]
) -> None:
    add_course(db, make_patient(), months=(1, 3, 6))
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(), dt.date(2026, 6, 1))
    assert list(cohort.windows[12].state) == [NO_WINDOW]
    assert sum(v for k, v in cohort.windows[12].counts.items() if k != "due") == 0


def test_kaplan_meier_time_is_the_first_exacerbation_or_the_exposure(
    db: Database, make_patient: Callable[..., int]
) -> None:
    add_course(db, make_patient(), first_exacerbation_day=40, exposure_days_after=180)
    add_course(db, make_patient(), first_exacerbation_day=None, exposure_days_after=200)
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(), dt.date(2026, 6, 1))
    assert list(cohort.followed_days) == [40.0, 200.0]
    assert list(cohort.exacerbation_observed) == [True, False]
    assert np.isnan(cohort.first_exacerbation_day[1])
    assert list(cohort.exposure_days_after) == [180.0, 200.0]
    assert list(cohort.exacerbations_after) == [1.0, 1.0]


def test_adverse_events_count_distinct_patients_per_term_and_grade(
    db: Database, make_patient: Callable[..., int]
) -> None:
    first = make_patient()
    # Two courses of one patient with fever grade 1 count one patient.
    add_course(db, first, events=(("fever", 1, False, 0), ("headache", 2, False, 1)))
    add_course(db, first, course_number=2, events=(("fever", 1, False, 0),))
    add_course(db, make_patient(), events=(("fever", 1, False, 0), ("fever", 3, True, 2)))
    # An event after the report's date is not yet known.
    add_course(db, make_patient(), events=(("nausea", 1, False, 400),))
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(), TREATED + dt.timedelta(days=100))
    assert cohort.adverse_events == [
        ("fever", 1, 2, False),
        ("fever", 3, 1, True),
        ("headache", 2, 1, False),
    ]
    assert cohort.n_treated == 4 and cohort.n_patients == 3


FILTER_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"course_number": 2}, {"course_number": 2}),
    ({"cell_source": "autologous_adipose"}, {"cell_source": "autologous_adipose"}),
    ({"dose_min": 1.5}, {"dose_million_cells_per_kg": 2.0}),
    ({"dose_max": 0.9}, {"dose_million_cells_per_kg": 0.5}),
    ({"phenotype": "non_type2"}, {"phenotype": "non_type2"}),
    ({"gina_step": 4}, {"gina_step": 4}),
    ({"baseline_control": "well_controlled"}, {"baseline_control": "well_controlled"}),
    ({"age_min": 60}, {"age_years": 70}),
    ({"age_max": 30}, {"age_years": 20}),
    ({"sex": "male"}, {"sex": "male"}),
    ({"treated_from": dt.date(2025, 3, 1)}, {"treated_on": dt.date(2025, 3, 2)}),
    ({"treated_to": dt.date(2025, 1, 5)}, {"treated_on": dt.date(2025, 1, 5)}),
    ({"include_synthetic": False}, {}),
]


@pytest.mark.parametrize(("filters", "matching"), FILTER_CASES)
def test_each_filter_selects_its_courses(
    db: Database,
    make_patient: Callable[..., int],
    filters: dict[str, Any],
    matching: dict[str, Any],
) -> None:
    plain = add_course(db, make_patient())
    if matching:
        add_course(db, make_patient(), **matching)
    with db.session() as session:
        everyone = load_cohort(session, CohortFilter(), dt.date(2026, 6, 1))
        chosen = load_cohort(session, CohortFilter(**filters), dt.date(2026, 6, 1))
    assert everyone.n_treated == (2 if matching else 1)
    assert chosen.n_treated == (1 if matching else 0)
    assert plain  # the plain course is never the chosen one
    # A filter that matches nothing gives empty arrays of every kind, not an error.
    if not matching:
        assert chosen.baseline["act"].shape == (0,) and chosen.data_as_of is None


def test_dose_and_age_bands_include_their_lower_edge_and_exclude_the_upper(
    db: Database, make_patient: Callable[..., int]
) -> None:
    add_course(db, make_patient(), dose_million_cells_per_kg=1.0, age_years=40)
    add_course(db, make_patient(), dose_million_cells_per_kg=2.0, age_years=50)
    with db.session() as session:
        dose = load_cohort(session, CohortFilter(dose_min=1.0, dose_max=2.0), dt.date(2026, 1, 1))
        age = load_cohort(session, CohortFilter(age_min=40, age_max=50), dt.date(2026, 1, 1))
    assert dose.n_treated == 1 and list(dose.baseline["act"]) == [12.0]
    assert age.n_treated == 1


def test_data_as_of_is_the_newest_refresh(db: Database, make_patient: Callable[..., int]) -> None:
    before = utcnow().replace(microsecond=0) - dt.timedelta(seconds=1)
    add_course(db, make_patient())
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(), dt.date(2026, 1, 1))
    assert cohort.data_as_of is not None and cohort.data_as_of.tzinfo is not None
    assert before <= cohort.data_as_of <= utcnow()


def test_filter_options_list_the_distinct_values(
    db: Database, make_patient: Callable[..., int]
) -> None:
    add_course(db, make_patient(), age_years=30)
    add_course(
        db, make_patient(), sex="male", gina_step=4, treated_on=dt.date(2025, 3, 1), age_years=61
    )
    with db.session() as session:
        options = filter_options(session)
    assert options["sex"] == ["female", "male"]
    assert options["gina_step"] == [4, 5]
    assert options["cell_source"] == ["allogeneic_cord"]
    assert options["treated_on"] == [TREATED, dt.date(2025, 3, 1)]
    assert options["age_years"] == [30, 61]


def test_filter_params_round_trip() -> None:
    full = CohortFilter(
        course_number=2,
        cell_source="allogeneic_cord",
        dose_min=0.5,
        dose_max=2.0,
        phenotype="eosinophilic",
        gina_step=5,
        baseline_control="very_poorly_controlled",
        age_min=18,
        age_max=65,
        sex="female",
        treated_from=dt.date(2025, 1, 1),
        treated_to=dt.date(2025, 12, 31),
        include_synthetic=False,
    )
    assert CohortFilter.from_params(full.as_params()) == full
    assert CohortFilter().as_params() == {}
    assert CohortFilter.from_params({"sex": "", "format": "pdf", "lang": "de"}) == CohortFilter()
    assert full.as_params()["treated_from"] == "2025-01-01"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"course_number": "first"}, "course_number"),
        ({"course_number": "0"}, "course_number"),
        ({"gina_step": "6"}, "gina_step"),
        ({"dose_min": "a lot"}, "dose_min"),
        ({"dose_max": "nan"}, "dose_max"),
        ({"dose_min": "-1"}, "dose_min"),
        ({"dose_min": "2", "dose_max": "1"}, "dose_max"),
        ({"age_min": "40", "age_max": "40"}, "age_max"),
        ({"age_min": "1.5"}, "age_min"),
        ({"treated_from": "10/01/2025"}, "treated_from"),
        ({"treated_from": "2025-02-01", "treated_to": "2025-01-01"}, "treated_to"),
        ({"sex": "other"}, "sex"),
        ({"phenotype": "x" * 65}, "phenotype"),
        ({"include_synthetic": "maybe"}, "include_synthetic"),
    ],
)
def test_bad_filter_values_are_refused_naming_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        CohortFilter.from_params(params)
    assert set(caught.value.errors) == {field}


def test_the_cohort_is_read_in_three_statements(
    db: Database, make_patient: Callable[..., int], backend: str
) -> None:
    for _ in range(3):
        add_course(db, make_patient(), answered={1: dt.date(2025, 2, 12)})
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as session:
            load_cohort(session, CohortFilter(), dt.date(2026, 1, 1))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    # On PostgreSQL the courses' read goes through psycopg's binary cursor, which
    # SQLAlchemy's events do not see.
    assert len(selects) == (3 if backend == "sqlite" else 2)
