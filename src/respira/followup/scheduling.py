"""The schedule: the plan in force, and the check-ins a discharge starts.

At discharge the treatment step emits ``treatment.discharged`` (patient, admission,
course, the last live administration's start). ``on_discharge`` schedules the course's
check-ins in the same transaction:

- **The clock** starts on the clinic's calendar day (``RESPIRA_CLINIC_TIMEZONE``) of the
  course's last infusion. A stay discharged with no infusion recorded (stopped before
  the first, say) is still followed: its clock starts on the discharge day, and the
  schedule says so (``anchor_source = "discharge"``).
- **One schedule per course**: a repeat course (another course number) starts its own,
  linked to its course; a second discharge of the same course (a readmission for the
  same course) changes nothing.
- **The questionnaire** is the one used at baseline, so that changes compare like with
  like: the newest ACT, C-ACT or ACQ of the patient's diagnostic work-up at discharge
  (the newest visit wins; on the same day the ACT, the programme's main control
  outcome, clinical.md §6). With none recorded, the ACT (adults, clinical.md §1.1), and
  no baseline score to compare with.
- **Windows** come from the plan in force (``follow_up_plans``; the default in
  ``respira.followup.windows``) and are stored with each check-in, so that a later plan
  does not move them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.followup.models import FollowUp, FollowUpPlan, FollowUpSchedule
from respira.followup.roles import PLAN_READ_ROLES, PLAN_WRITE_ROLES
from respira.followup.schemas import PlanIn, PlanOut, ScheduleOut, WindowIn
from respira.followup.windows import (
    DEFAULT_CLOSING_SOON_DAYS,
    DEFAULT_WINDOWS,
    WindowSpec,
    schedule_problems,
    windows,
)
from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_day
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput
from respira.kit.trail import Trail
from respira.patients import service as patients_service
from respira.protocols import service as protocols_service
from respira.treatment import service as treatment_service

PLANS = Trail("follow_up_plan")
SCHEDULES = Trail("follow_up_schedule")

DEFAULT_SOURCE = (
    "Programme default (issue 11): check-ins 1, 3, 6 and 12 months after the last infusion, "
    "±7 days at 1 month, ±14 days at 3 and 6 months, ±30 days at 12 months; outcome "
    "measures at these times after clinical.md §6."
)
DEFAULT_INSTRUMENT = "act"


# --- the clinic's calendar -------------------------------------------------------------


# --- the plan ------------------------------------------------------------------------


def _newest_plan(session: Session) -> FollowUpPlan | None:
    return session.scalars(select(FollowUpPlan).order_by(FollowUpPlan.version.desc())).first()


def _default_plan() -> PlanOut:
    return PlanOut(
        version=0,
        windows=[
            WindowIn(month=w.month, before_days=w.before_days, after_days=w.after_days)
            for w in DEFAULT_WINDOWS
        ],
        closing_soon_days=DEFAULT_CLOSING_SOON_DAYS,
        source=DEFAULT_SOURCE,
        created_at=None,
        created_by=None,
    )


def plan_in_force(session: Session) -> PlanOut:
    """The newest stored plan, or the programme's default (version 0) when none is."""
    row = _newest_plan(session)
    if row is None:
        return _default_plan()
    return PlanOut(
        version=row.version,
        windows=[WindowIn.model_validate(w) for w in row.windows],
        closing_soon_days=row.closing_soon_days,
        source=row.source,
        created_at=row.created_at,
        created_by=row.created_by_name,
    )


def get_plan(session: Session, actor: Actor) -> PlanOut:
    require_role(actor, PLAN_READ_ROLES)
    return plan_in_force(session)


def _specs(plan: PlanOut | PlanIn) -> list[WindowSpec]:
    return [WindowSpec(w.month, w.before_days, w.after_days) for w in plan.windows]


def set_plan(session: Session, actor: Actor, data: PlanIn) -> PlanOut:
    """Store a new version of the plan; schedules made from now on use it (the windows
    of existing schedules stay as they were set)."""
    require_role(actor, PLAN_WRITE_ROLES)
    problems = schedule_problems(_specs(data))
    if problems:
        raise InvalidInput(problems)
    newest = _newest_plan(session)
    row = FollowUpPlan(
        version=(newest.version if newest else 0) + 1,
        windows=[w.model_dump() for w in data.windows],
        closing_soon_days=data.closing_soon_days,
        source=data.source,
        created_at=utcnow(),
        created_by_id=actor.user_id,
        created_by_name=actor.name,
    )
    with records.flush_or_conflict(session, "someone else changed the plan at the same moment"):
        session.add(row)
    after = {
        "version": row.version,
        "windows": row.windows,
        "closing_soon_days": row.closing_soon_days,
        "source": row.source,
    }
    PLANS.record(session, actor, row.id, "create", after=after)
    session.commit()
    return plan_in_force(session)


# --- the baseline questionnaire -------------------------------------------------------


def baseline_questionnaire(session: Session, patient_id: int) -> tuple[str, Any]:
    """The instrument the check-ins repeat and its baseline (a dated score), or the
    default instrument and None (see the module's rule)."""
    snap = diagnostics_service.clinical_snapshot(session, patient_id)
    found: list[tuple[dt.date, int, str, Any]] = []
    if snap.act_score is not None:
        found.append((snap.act_score.on, 2, "act", snap.act_score))
    if snap.acq_score is not None and snap.acq_instrument is not None:
        found.append((snap.acq_score.on, 1, snap.acq_instrument.value, snap.acq_score))
    if snap.cact_score is not None:
        found.append((snap.cact_score.on, 0, "cact", snap.cact_score))
    if not found:
        return DEFAULT_INSTRUMENT, None
    _on, _rank, instrument, dated = max(found, key=lambda item: (item[0], item[1]))
    return instrument, dated


# --- scheduling -----------------------------------------------------------------------


def schedule_for_course(session: Session, patient_id: int, course_number: int) -> Any:
    return session.scalars(
        select(FollowUpSchedule).where(
            FollowUpSchedule.patient_id == patient_id,
            FollowUpSchedule.course_number == course_number,
        )
    ).first()


def schedule_course(
    session: Session,
    actor: Actor,
    *,
    patient_id: int,
    course_id: int,
    anchor_date: dt.date,
    anchor_source: str,
    admission_id: int | None = None,
) -> ScheduleOut | None:
    """Schedule the check-ins of a course from ``anchor_date`` (in the caller's
    transaction, audited, not committed); None when the course already has its
    schedule."""
    course = protocols_service.get_course(session, actor, course_id)
    patient = patients_service.get_for_update(session, actor, patient_id)
    if course.patient_id != patient.id:
        raise InvalidInput({"course_id": "the course is another patient's"})
    if schedule_for_course(session, patient.id, course.number) is not None:
        return None
    plan = plan_in_force(session)
    instrument, baseline = baseline_questionnaire(session, patient.id)
    row = FollowUpSchedule(
        patient_id=patient.id,
        course_id=course.id,
        course_number=course.number,
        admission_id=admission_id,
        anchor_date=anchor_date,
        anchor_source=anchor_source,
        plan_version=plan.version,
        instrument=instrument,
        baseline_score=float(baseline.value) if baseline is not None else None,
        baseline_on=baseline.on if baseline is not None else None,
        created_at=utcnow(),
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        follow_ups=[
            FollowUp(
                patient_id=patient.id,
                month=w.month,
                due_date=w.due_date,
                window_start=w.start,
                window_end=w.end,
            )
            for w in windows(anchor_date, _specs(plan))
        ],
    )
    with records.flush_or_conflict(
        session, "the course's follow-up was scheduled at the same moment; try again"
    ):
        session.add(row)
    out = ScheduleOut.model_validate(row)
    check_ins = [
        {
            "month": f.month,
            "due_date": f.due_date.isoformat(),
            "window_start": f.window_start.isoformat(),
            "window_end": f.window_end.isoformat(),
        }
        for f in row.follow_ups
    ]
    after = {**out.model_dump(mode="json"), "check_ins": check_ins}
    SCHEDULES.record(session, actor, row.id, "create", after=after)
    return out


def _discharged_at(session: Session, actor: Actor, patient_id: int, admission_id: int) -> Any:
    for admission in treatment_service.list_admissions(session, actor, patient_id):
        if admission.id == admission_id:
            return admission.discharged_at
    return None


def on_discharge(
    session: Session,
    actor: Actor,
    *,
    patient_id: int,
    admission_id: int,
    course_id: int,
    last_administration_at: dt.datetime | None,
    **_later: Any,
) -> None:
    """Listener of ``treatment.discharged``: schedule the course's check-ins."""
    if last_administration_at is not None:
        anchor, source = last_administration_at, "last_administration"
    else:
        anchor = _discharged_at(session, actor, patient_id, admission_id) or utcnow()
        source = "discharge"
    schedule_course(
        session,
        actor,
        patient_id=patient_id,
        course_id=course_id,
        anchor_date=clinic_day(anchor),
        anchor_source=source,
        admission_id=admission_id,
    )
