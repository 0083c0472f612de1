"""Scheduling at discharge: the ``treatment.discharged`` event of a real discharge
schedules the check-ins at 1, 3, 6 and 12 months after the last infusion, once per
course; a repeat course has its own schedule; the baseline's questionnaire is the one
repeated; the plan in force sets the windows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from respira.followup import service
from respira.followup.models import FollowUp, FollowUpSchedule
from respira.followup.schemas import PlanIn
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.errors import Forbidden, InvalidInput
from respira.kit.validation import today_utc


def _schedules(db, pid):
    with db.session() as s:
        return list(
            s.scalars(
                select(FollowUpSchedule)
                .where(FollowUpSchedule.patient_id == pid)
                .order_by(FollowUpSchedule.course_number)
            )
        )


def _follow_ups(db, pid):
    with db.session() as s:
        return s.scalar(select(func.count()).where(FollowUp.patient_id == pid))


def test_discharge_schedules_four_check_ins_from_the_day_of_the_last_infusion(fu, db):
    stay = fu.stay()
    (schedule,) = _schedules(db, stay.pid)
    today = today_utc()
    assert schedule.anchor_date == today and schedule.anchor_source == "last_administration"
    assert schedule.course_id == stay.course.id and schedule.course_number == 1
    assert schedule.admission_id == stay.admission_id
    with db.session() as s:
        found = service.list_for_patient(s, fu.clinic.physician.actor, stay.pid)
    assert [f.month for f in found] == [1, 3, 6, 12]
    assert [f.due_date for f in found] == [service.add_months(today, m) for m in (1, 3, 6, 12)]
    assert [(f.due_date - f.window_start).days for f in found] == [7, 14, 14, 30]
    assert [(f.window_end - f.due_date).days for f in found] == [7, 14, 14, 30]
    assert {f.state for f in found} == {"upcoming"}


def test_the_schedule_is_audited_with_its_windows(fu, db):
    stay = fu.stay()
    (schedule,) = _schedules(db, stay.pid)
    with db.session() as s:
        trail = [r for r in audit.history(s, "follow_up_schedule", schedule.id)]
    assert trail and trail[0].action == "create"
    assert '"month":12' in (trail[0].after or "").replace(" ", "")


def test_a_second_discharge_of_the_same_course_does_not_schedule_again(fu, db):
    stay = fu.stay()
    # Readmitted for the same course (the stay went on) and discharged again: a second
    # treatment.discharged event of that course.
    fu.stay(stay.pid, course=stay.course, give=False)
    assert len(_schedules(db, stay.pid)) == 1
    assert _follow_ups(db, stay.pid) == 4


def test_a_repeat_course_starts_its_own_schedule_linked_to_its_course(fu, db):
    first = fu.stay()
    fu.age(first.pid, 95)
    fu.past_course(first.course.id, 95)
    repeat_course = fu.clinic.course(first.pid)
    second = fu.stay(first.pid, course=repeat_course)
    schedules = _schedules(db, first.pid)
    assert [(s.course_number, s.course_id) for s in schedules] == [
        (1, first.course.id),
        (2, second.course.id),
    ]
    with db.session() as s:
        found = service.list_for_patient(s, fu.clinic.physician.actor, first.pid)
    assert [(f.course_number, f.month) for f in found] == [
        (1, 1),
        (1, 3),
        (1, 6),
        (1, 12),
        (2, 1),
        (2, 3),
        (2, 6),
        (2, 12),
    ]
    by_course = {f.course_number: f for f in found if f.month == 3}
    assert by_course[1].state == "open"  # 95 days after the first course's infusion
    assert by_course[2].state == "upcoming"


def test_a_stay_without_an_infusion_is_counted_from_the_discharge(fu, db):
    stay = fu.stay(give=False)
    (schedule,) = _schedules(db, stay.pid)
    assert schedule.anchor_source == "discharge"
    assert schedule.anchor_date == today_utc()


def test_the_check_ins_repeat_the_baseline_questionnaire(fu, db):
    pid = fu.patient()
    fu.baseline(pid, "acq5", [2, 1, 2, 1, 2], days_ago=30)
    stay = fu.stay(pid)
    (schedule,) = _schedules(db, stay.pid)
    assert schedule.instrument == "acq5"
    assert schedule.baseline_score == pytest.approx(1.6)
    assert schedule.baseline_on == today_utc() - dt.timedelta(days=30)


def test_the_newest_baseline_instrument_wins_and_without_one_the_act_is_used(fu, db):
    pid = fu.patient()
    fu.baseline(pid, "acq6", [1, 1, 1, 1, 1, 1], days_ago=40)
    fu.baseline(pid, "act", [3, 3, 3, 3, 3], days_ago=10)
    assert _schedules(db, fu.stay(pid).pid)[0].instrument == "act"
    other = fu.stay()
    (schedule,) = _schedules(db, other.pid)
    assert (schedule.instrument, schedule.baseline_score) == ("act", None)


def test_a_new_plan_sets_the_windows_of_later_schedules_only(fu, db):
    before = fu.stay()
    admin = fu.clinic.make_account("admin").actor
    with db.transaction() as s:
        plan = service.set_plan(
            s,
            admin,
            PlanIn.model_validate(
                {
                    "windows": [
                        {"month": 3, "before_days": 10, "after_days": 10},
                        {"month": 6, "before_days": 20, "after_days": 20},
                    ],
                    "closing_soon_days": 5,
                    "source": "Protocol amendment 2, 2026-12-01",
                }
            ),
        )
    assert plan.version == 1
    after = fu.stay()
    assert _follow_ups(db, before.pid) == 4
    with db.session() as s:
        found = service.list_for_patient(s, admin, after.pid)
    assert [(f.month, (f.window_end - f.due_date).days) for f in found] == [(3, 10), (6, 20)]
    assert _schedules(db, after.pid)[0].plan_version == 1


def test_a_plan_with_overlapping_windows_is_refused_and_only_admins_and_physicians_set_it(fu, db):
    body = PlanIn.model_validate(
        {
            "windows": [
                {"month": 1, "before_days": 7, "after_days": 20},
                {"month": 2, "before_days": 10, "after_days": 7},
            ],
            "closing_soon_days": 3,
            "source": "x",
        }
    )
    with db.transaction() as s, pytest.raises(InvalidInput) as exc:
        service.set_plan(s, fu.clinic.physician.actor, body)
    assert "overlap" in exc.value.errors["windows"]
    coordinator = fu.clinic.make_account("coordinator").actor
    with db.transaction() as s, pytest.raises(Forbidden):
        service.set_plan(s, coordinator, body)
    with db.session() as s:
        assert service.plan_in_force(s).version == 0


def test_the_listener_answers_only_through_the_event_payload(fu, db):
    """The listener takes the payload treatment documents, and ignores later keys."""
    pid = fu.patient()
    course = fu.clinic.course(pid)
    with db.transaction() as s:
        service.on_discharge(
            s,
            Actor.system("test"),
            patient_id=pid,
            admission_id=None,
            course_id=course.id,
            last_administration_at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC),
            something_new=True,
        )
    (schedule,) = _schedules(db, pid)
    assert schedule.anchor_date == dt.date(2026, 1, 31)
    with db.session() as s:
        found = service.list_for_patient(s, fu.clinic.physician.actor, pid)
    assert found[0].due_date == dt.date(2026, 2, 28)
