"""Use cases of the follow-up after discharge, as one public face. They live in

- ``respira.followup.windows`` — the calendar: months clamped to the month's end,
  windows, the states (pure);
- ``respira.followup.scheduling`` — the plan in force and the schedule a discharge
  starts (the ``treatment.discharged`` listener, ``on_discharge``);
- ``respira.followup.checkins`` — a check-in checked, scored and interpreted as at
  baseline, stored once; its retraction;
- ``respira.followup.reads`` — a patient's check-ins, one in full, the coordinators'
  list, phone calls;
- ``respira.followup.reminders`` — the reminder job (``send_reminders``);

and who may do what in ``respira.followup.roles``. Other steps (the portal lists a
patient's check-ins still to answer: ``upcoming_for_patient``), the routes, the demo and
the tests write ``service.X``. Sources: clinical.md §1 (questionnaires, storage rule
§1.4), §2.5 (exacerbations), §6 (outcome measures, MCIDs).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from respira.followup.checkins import (
    answered_items,
    check_in_out,
    item_ranges,
    live_check_in,
    record_check_in,
    retract_check_in,
)
from respira.followup.models import FollowUp, FollowUpSchedule
from respira.followup.reads import (
    BOARD_VIEWS,
    board,
    follow_up_out,
    get_follow_up,
    list_for_patient,
    record_contact,
    upcoming_for_patient,
)
from respira.followup.reminders import check_in_path, send_reminders
from respira.followup.roles import (
    CHECK_IN_ROLES,
    CONTACT_ROLES,
    ON_BEHALF_ROLES,
    PLAN_READ_ROLES,
    PLAN_WRITE_ROLES,
    READ_ROLES,
    STAFF_ROLES,
)
from respira.followup.scheduling import (
    get_plan,
    on_discharge,
    plan_in_force,
    schedule_course,
    set_plan,
)
from respira.followup.schemas import CheckInOut, FollowUpOut, ScheduleOut
from respira.followup.windows import DEFAULT_WINDOWS, STATES, add_months, state_of
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.texts import Msg, patient_language, translate
from respira.patients import service as patients_service

__all__ = [
    "BOARD_VIEWS",
    "CHECK_IN_ROLES",
    "CONTACT_ROLES",
    "DEFAULT_WINDOWS",
    "ON_BEHALF_ROLES",
    "PLAN_READ_ROLES",
    "PLAN_WRITE_ROLES",
    "READ_ROLES",
    "STAFF_ROLES",
    "STATES",
    "Msg",
    "add_months",
    "answered_check_ins",
    "answered_items",
    "board",
    "check_in_path",
    "clinic_today",
    "course_follow_up",
    "get_follow_up",
    "get_plan",
    "item_ranges",
    "list_for_patient",
    "on_discharge",
    "patient_language",
    "plan_in_force",
    "record_check_in",
    "record_contact",
    "retract_check_in",
    "schedule_course",
    "scheduled_course_ids",
    "send_reminders",
    "set_plan",
    "state_of",
    "translate",
    "upcoming_for_patient",
]


def answered_check_ins(
    session: Session, actor: Actor, patient_ids: Sequence[int]
) -> dict[int, list[tuple[FollowUpOut, CheckInOut]]]:
    """The answered check-ins of each patient of a page of the registry (the FHIR
    export): every follow-up with a live check-in, by course number and month (as
    ``list_for_patient``), with its check-in as ``get_follow_up`` shows it; one query
    per table for the page, for the registry's readers."""
    require_role(actor, patients_service.REGISTRY_ROLES)
    today = clinic_today()
    days = plan_in_force(session).closing_soon_days
    rows = session.scalars(
        select(FollowUp)
        .join(FollowUp.schedule)
        .where(FollowUp.patient_id.in_(patient_ids))
        .options(joinedload(FollowUp.schedule), selectinload(FollowUp.check_ins))
        .order_by(FollowUp.patient_id, FollowUpSchedule.course_number, FollowUp.month, FollowUp.id)
    )
    found: dict[int, list[tuple[FollowUpOut, CheckInOut]]] = {pid: [] for pid in patient_ids}
    for row in rows:
        check_in = live_check_in(row)
        if check_in is not None:
            found[row.patient_id].append(
                (
                    follow_up_out(row, today, days, FollowUpOut),
                    check_in_out(check_in, row.schedule.baseline_score),
                )
            )
    return found


def course_follow_up(
    session: Session, course_id: int
) -> tuple[ScheduleOut, list[tuple[FollowUpOut, CheckInOut | None]]] | None:
    """The course's schedule and each of its check-ins with the live answer (None when
    unanswered), by month; None when the course was never scheduled (not discharged).
    For the outcome registry's projection, which reads for the system: no role check,
    nothing of it goes to a user."""
    schedule = session.scalars(
        select(FollowUpSchedule).where(FollowUpSchedule.course_id == course_id)
    ).first()
    if schedule is None:
        return None
    today = clinic_today()
    days = plan_in_force(session).closing_soon_days
    rows = session.scalars(
        select(FollowUp)
        .where(FollowUp.schedule_id == schedule.id)
        .options(joinedload(FollowUp.schedule), selectinload(FollowUp.check_ins))
        .order_by(FollowUp.month)
        # Read afresh: in a check-in's own transaction the session holds the follow-up
        # with its check-ins as they were before the new one.
        .execution_options(populate_existing=True)
    )
    found: list[tuple[FollowUpOut, CheckInOut | None]] = []
    for row in rows:
        check_in = live_check_in(row)
        answer = check_in_out(check_in, schedule.baseline_score) if check_in else None
        found.append((follow_up_out(row, today, days, FollowUpOut), answer))
    return ScheduleOut.model_validate(schedule), found


def scheduled_course_ids(session: Session, patient_id: int | None = None) -> list[int]:
    """The courses with a follow-up schedule (the discharged, treated ones), of one
    patient or of the whole clinic, in id order (the outcome registry's refresh)."""
    statement = select(FollowUpSchedule.course_id).order_by(FollowUpSchedule.course_id)
    if patient_id is not None:
        statement = statement.where(FollowUpSchedule.patient_id == patient_id)
    return list(session.scalars(statement))
