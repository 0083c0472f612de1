"""The outcome registry projected from a real record: a patient with the whole road
(work-up, eligible screening, approved course, infusion, discharge, an adverse event, the
month-1 check-in; ``tests/summaries``) gets a registry course whose every column comes
from the record, and each change of the record reaches the registry in its own
transaction (check-ins recorded and retracted, adverse events recorded, corrected and
retracted); the refresh job rebuilds what is missing and leaves synthetic rows alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from respira.diagnostics import service as diagnostics
from respira.followup import service as followup
from respira.followup.schemas import CheckInIn
from respira.kit.db import Database, utcnow
from respira.kit.validation import age_years, today_utc
from respira.outcomes import service
from respira.outcomes.models import OutcomeAdverseEvent, OutcomeCourse, OutcomeWindow
from respira.outcomes.registry import STATES, CohortFilter, load_cohort
from respira.patients import service as patients
from respira.safety import service as safety
from respira.safety.schemas import CorrectionIn
from tests.followup.conftest import fu  # noqa: F401 (fixtures)
from tests.followup.followup_helpers import check_in_body
from tests.summaries.conftest import road, sc  # noqa: F401 (fixtures)
from tests.summaries.summaries_helpers import Road, SummaryClinic
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)


@pytest.fixture
def walked(road: Road) -> Road:  # noqa: F811
    """A patient with the whole road (summaries_helpers.SummaryClinic.whole_road)."""
    return road


@pytest.fixture
def staff(sc: SummaryClinic) -> SummaryClinic:  # noqa: F811
    """The clinic that walks it (its physician, its follow-up helpers)."""
    return sc


def registry(db: Database, course_id: int) -> tuple[Any, list[Any], list[Any]]:
    with db.session() as s:
        row = s.scalars(sa.select(OutcomeCourse).where(OutcomeCourse.course_id == course_id)).one()
        windows = list(
            s.scalars(
                sa.select(OutcomeWindow)
                .where(OutcomeWindow.outcome_course_id == row.id)
                .order_by(OutcomeWindow.month)
            )
        )
        events = list(
            s.scalars(
                sa.select(OutcomeAdverseEvent).where(
                    OutcomeAdverseEvent.outcome_course_id == row.id
                )
            )
        )
        s.expunge_all()
    return row, windows, events


def schedule(db: Database, course_id: int) -> Any:
    with db.session() as s:
        found = followup.course_follow_up(s, course_id)
    assert found is not None
    return found


def test_the_whole_road_projects_to_one_registry_course_from_the_record(
    walked: Road,
    db: Database,
    staff: SummaryClinic,
) -> None:
    row, windows, events = registry(db, walked.course.id)
    plan, follow_ups = schedule(db, walked.course.id)
    with db.session() as s:
        patient = patients.find(s, walked.pid)
        snap = diagnostics.snapshot_on(s, walked.pid, walked.course.start_date)
    assert patient is not None
    assert row.origin == "clinic" and row.patient_id == walked.pid and row.course_number == 1
    assert row.treated_on == plan.anchor_date
    assert row.cell_source == "allogeneic_cord"
    assert row.dose_million_cells_per_kg == pytest.approx(2.0)  # two infusions of 1.0/kg
    assert row.sex == patient.sex_at_birth
    assert row.age_years == age_years(patient.date_of_birth, plan.anchor_date)
    # The baseline: the work-up 20 days before the course (summaries_helpers.work_up).
    assert row.instrument == "act" and row.act_baseline == 14.0 and row.acq_baseline is None
    assert row.baseline_control == "very_poorly_controlled"  # ACT 14 <= 15 (clinical.md §1.1)
    assert row.fev1_l_baseline == 1.85
    assert snap.fev1_pre_pctpred is not None and snap.fev1_pre_z is not None
    assert row.fev1_pp_baseline == pytest.approx(snap.fev1_pre_pctpred.value)
    assert row.fev1_z_baseline == pytest.approx(snap.fev1_pre_z.value)
    assert (row.feno_ppb_baseline, row.eosinophils_per_ul_baseline) == (38.0, 420.0)
    assert snap.phenotype is not None and row.phenotype == snap.phenotype.value
    assert (row.gina_step, row.exacerbations_12m_baseline) == (5, 3)
    assert (row.rescue_puffs_per_week_baseline, row.ocs_mg_per_day_baseline) == (21.0, 10.0)
    # The windows: the schedule's four, the month-1 check-in's values.
    assert [w.month for w in windows] == [1, 3, 6, 12]
    assert [(w.due_date, w.window_start, w.window_end) for w in windows] == [
        (f.due_date, f.window_start, f.window_end) for f, _ in follow_ups
    ]
    one = windows[0]
    answer = follow_ups[0][1]
    assert one.answered_on == answer.answered_on == today_utc()
    assert (one.act, one.acq, one.rescue_puffs_per_week, one.ocs_mg_per_day) == (
        20.0,
        None,
        7.0,
        5.0,
    )
    assert one.fev1_l == 2.1 and one.exacerbations == 0
    assert one.fev1_pp == pytest.approx(answer.spirometry.results["fev1_pre"].pctpred)
    assert one.fev1_z == pytest.approx(answer.spirometry.results["fev1_pre"].z)
    assert all(w.answered_on is None and w.act is None for w in windows[1:])
    assert (row.exacerbations_after, row.first_exacerbation_day) == (0, None)
    assert row.exposure_days_after == (today_utc() - plan.anchor_date).days
    # The adverse event after the infusion, on its day after treatment.
    (event,) = events
    assert (event.term, event.grade, event.serious, event.related) == ("Fever", 1, False, True)
    assert event.onset_day == (today_utc() - plan.anchor_date).days
    assert row.exit_kind is None
    # The cohort sees it: one treated course, month 1 completed.
    with db.session() as s:
        cohort = load_cohort(s, CohortFilter(include_synthetic=False), today_utc())
    assert cohort.n_treated == 1 and STATES[cohort.windows[1].state[0]] == "completed"
    assert cohort.windows[1].values["act"][0] - cohort.baseline["act"][0] == 6.0


def test_projecting_again_changes_nothing(walked: Road, db: Database) -> None:
    before = registry(db, walked.course.id)
    with db.transaction() as s:
        service.project_course(s, walked.course.id)
        service.project_course(s, walked.course.id)
    after = registry(db, walked.course.id)

    def plain(rows: list[Any], skip: set[str]) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in vars(r).items() if not k.startswith("_") and k not in skip}
            for r in rows
        ]

    assert plain([after[0]], {"refreshed_at"}) == plain([before[0]], {"refreshed_at"})
    assert plain(after[1], {"id"}) == plain(before[1], {"id"})
    assert plain(after[2], {"id"}) == plain(before[2], {"id"})
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutcomeCourse)) == 1


def test_a_retracted_check_in_leaves_the_registry_in_the_same_transaction(
    walked: Road,
    db: Database,
    staff: SummaryClinic,
) -> None:
    fid = staff.fu.follow_up_id(walked.pid, 1)
    with db.transaction() as s:
        followup.retract_check_in(s, staff.physician.actor, fid, "entered for the wrong patient")
    _row, windows, _ = registry(db, walked.course.id)
    assert windows[0].answered_on is None and windows[0].act is None
    with db.session() as s:
        cohort = load_cohort(s, CohortFilter(), today_utc())
    assert STATES[cohort.windows[1].state[0]] == "open"  # the window is still open


def test_a_severe_exacerbation_counts_after_treatment_from_its_start_day(
    walked: Road,
    db: Database,
    staff: SummaryClinic,
) -> None:
    fid = staff.fu.follow_up_id(walked.pid, 1)
    with db.transaction() as s:
        followup.retract_check_in(s, staff.physician.actor, fid, "the attack was left out")
    started = today_utc() - dt.timedelta(days=9)
    with db.transaction() as s:
        followup.record_check_in(
            s,
            walked.patient.actor,
            fid,
            CheckInIn.model_validate(
                check_in_body(
                    exacerbations=[
                        {"started_on": started.isoformat(), "corticosteroid_course": True},
                        {"corticosteroid_course": True},  # no start date: the answer day
                        {"emergency_visit": True},  # moderate: not counted
                    ]
                )
            ),
            language="en",
        )
    row, windows, _ = registry(db, walked.course.id)
    plan, _ = schedule(db, walked.course.id)
    assert windows[0].exacerbations == 2 and row.exacerbations_after == 2
    assert row.first_exacerbation_day == (started - plan.anchor_date).days


def test_adverse_events_follow_their_correction_and_retraction(
    walked: Road,
    db: Database,
    staff: SummaryClinic,
) -> None:
    _, _, (event,) = registry(db, walked.course.id)
    doc = staff.physician.actor
    with db.session() as s:
        stored = safety.get_detail(s, doc, event.adverse_event_id)
    with db.transaction() as s:
        safety.correct_event(
            s,
            doc,
            stored.id,
            CorrectionIn.model_validate({"grade": 2, "reason": "fever reached 39.5 °C"}),
            stored.version,
        )
    assert registry(db, walked.course.id)[2][0].grade == 2
    with db.transaction() as s:
        safety.retract_event(s, doc, stored.id, "a duplicate of another record")
    assert registry(db, walked.course.id)[2] == []


def test_a_course_not_yet_discharged_is_not_in_the_registry(
    staff: SummaryClinic,
    db: Database,
) -> None:
    pid = staff.clinic.eligible_patient()
    course = staff.clinic.course(pid)
    with db.transaction() as s:
        assert service.project_course(s, course.id) is None
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutcomeCourse)) == 0


def test_the_refresh_job_rebuilds_clinic_rows_and_leaves_synthetic_ones(
    walked: Road,
    db: Database,
) -> None:
    with db.transaction() as s:
        service.generate(s, 5, seed=1, today=today_utc())
        clinic = sa.select(OutcomeCourse.id).where(OutcomeCourse.origin == "clinic")
        s.execute(sa.delete(OutcomeWindow).where(OutcomeWindow.outcome_course_id.in_(clinic)))
        s.execute(
            sa.delete(OutcomeAdverseEvent).where(OutcomeAdverseEvent.outcome_course_id.in_(clinic))
        )
        s.execute(sa.delete(OutcomeCourse).where(OutcomeCourse.origin == "clinic"))
        synthetic_rows = s.scalar(sa.select(sa.func.count()).select_from(OutcomeCourse))
    assert service.refresh(db, utcnow()) == 1
    row, windows, events = registry(db, walked.course.id)
    assert row.act_baseline == 14.0 and len(windows) == 4 and len(events) == 1
    assert service.refresh(db, utcnow()) == 1  # twice: the same rows
    with db.session() as s:
        counts = dict(
            s.execute(
                sa.select(OutcomeCourse.origin, sa.func.count()).group_by(OutcomeCourse.origin)
            ).all()
        )
    assert counts == {"clinic": 1, "synthetic": synthetic_rows}
