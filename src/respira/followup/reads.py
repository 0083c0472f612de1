"""Reading the follow-up: a patient's check-ins with their states, one check-in in
full, the coordinators' list (due, overdue, missed, upcoming, completed), and a phone
call recorded against a check-in.

A state is derived on the clinic's calendar day from the window and the live check-in
(``respira.followup.windows.state_of``); nothing stores it, so it is never stale.
"Overdue" is an open check-in whose window closes within the plan's
``closing_soon_days`` (the day the second reminder goes out). A patient reads their own
check-ins and answers, never the staff's call notes or the reminder log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import and_, exists, func, not_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from respira.followup.checkins import check_in_out, live_check_in, load_follow_up
from respira.followup.models import CheckIn, FollowUp, FollowUpContact, FollowUpSchedule
from respira.followup.roles import CONTACT_ROLES, READ_ROLES, STAFF_ROLES
from respira.followup.scheduling import plan_in_force
from respira.followup.schemas import (
    Board,
    BoardItem,
    ContactIn,
    ContactOut,
    FollowUpDetail,
    FollowUpOut,
    ReminderOut,
)
from respira.followup.windows import closing_soon, state_of
from respira.kit import records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.validation import fold
from respira.patients import service as patients_service

OutT = TypeVar("OutT", bound=FollowUpOut)

BOARD_VIEWS: tuple[str, ...] = ("due", "overdue", "missed", "upcoming", "completed", "all")
# The coordinators' list shows the windows that open within this many days as upcoming.
UPCOMING_DAYS = 30
BOARD_LIMIT = 200
NO_EMAIL = N_("no email address")
NO_ACCOUNT = N_("no portal account")

_LOADED = (
    joinedload(FollowUp.schedule),
    selectinload(FollowUp.check_ins),
)


def follow_up_out(
    row: FollowUp, today: dt.date, closing_days: int, out: type[OutT], **extra: Any
) -> OutT:
    check_in = live_check_in(row)
    answered_on = check_in.answered_on if check_in else None
    state = state_of(today, row.window_start, row.window_end, answered_on)
    return from_row(
        out,
        row,
        state=state,
        course_id=row.schedule.course_id,
        course_number=row.schedule.course_number,
        instrument=row.schedule.instrument,
        check_in_id=check_in.id if check_in else None,
        completed_at=check_in.answered_at if check_in else None,
        answered_on=answered_on,
        closing_soon=state == "open" and closing_soon(today, row.window_end, closing_days),
        **extra,
    )


def _patient_rows(session: Session, patient_id: int) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp)
            .join(FollowUp.schedule)
            .where(FollowUp.patient_id == patient_id)
            .options(*_LOADED)
            .order_by(FollowUpSchedule.course_number, FollowUp.month)
        )
    )


def list_for_patient(session: Session, actor: Actor, patient_id: int) -> list[FollowUpOut]:
    """Every check-in of the patient's schedules, by course number and month."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    today = clinic_today()
    days = plan_in_force(session).closing_soon_days
    return [
        follow_up_out(row, today, days, FollowUpOut) for row in _patient_rows(session, patient_id)
    ]


def upcoming_for_patient(session: Session, patient_id: int) -> list[FollowUpOut]:
    """The patient's check-ins still to answer (open, then upcoming, soonest first), for
    the portal; the caller has decided that its user may see this patient."""
    today = clinic_today()
    days = plan_in_force(session).closing_soon_days
    found = [
        follow_up_out(row, today, days, FollowUpOut) for row in _patient_rows(session, patient_id)
    ]
    waiting = [f for f in found if f.state in ("open", "upcoming")]
    return sorted(waiting, key=lambda f: (f.state != "open", f.window_start, f.id))


def no_reminder_reason(patient: Any, row: FollowUp) -> str | None:
    """Why a reminder cannot reach the patient, or None: no email address on the
    record, or (the last time one was due) no portal account to sign in to."""
    if not patient.email:
        return NO_EMAIL
    attempts = [r for r in row.reminders if r.outcome != "skipped"]
    if attempts and attempts[-1].outcome == "no_account":
        return NO_ACCOUNT
    return None


def get_follow_up(session: Session, actor: Actor, follow_up_id: int) -> FollowUpDetail:
    require_role(actor, READ_ROLES)
    row = load_follow_up(session, actor, follow_up_id)
    patient = patients_service.get_visible(session, actor, row.patient_id)
    plan = plan_in_force(session)
    schedule = row.schedule
    check_in = live_check_in(row)
    staff = actor.role != Role.PATIENT
    return follow_up_out(
        row,
        clinic_today(),
        plan.closing_soon_days,
        FollowUpDetail,
        anchor_date=schedule.anchor_date,
        anchor_source=schedule.anchor_source,
        baseline_score=schedule.baseline_score,
        baseline_on=schedule.baseline_on,
        check_in=check_in_out(check_in, schedule.baseline_score) if check_in else None,
        contacts=[ContactOut.model_validate(c) for c in row.contacts] if staff else [],
        reminders=[ReminderOut.model_validate(r) for r in row.reminders] if staff else [],
        no_reminder_reason=no_reminder_reason(patient, row) if staff else None,
    )


# --- the coordinators' list -----------------------------------------------------------


def _conditions(view: str, today: dt.date, closing_days: int) -> list[Any]:
    live = exists().where(CheckIn.follow_up_id == FollowUp.id, CheckIn.retracted_at.is_(None))
    is_open = and_(not_(live), FollowUp.window_start <= today, FollowUp.window_end >= today)
    views: dict[str, list[Any]] = {
        "due": [is_open],
        "overdue": [is_open, FollowUp.window_end <= today + dt.timedelta(days=closing_days)],
        "missed": [not_(live), FollowUp.window_end < today],
        "upcoming": [
            not_(live),
            FollowUp.window_start > today,
            FollowUp.window_start <= today + dt.timedelta(days=UPCOMING_DAYS),
        ],
        "completed": [live],
        "all": [],
    }
    return views[view]


_ORDER = {
    "due": (FollowUp.window_end, FollowUp.id),
    "overdue": (FollowUp.window_end, FollowUp.id),
    "missed": (FollowUp.window_end.desc(), FollowUp.id.desc()),
    "upcoming": (FollowUp.window_start, FollowUp.id),
    "completed": (FollowUp.window_end.desc(), FollowUp.id.desc()),
    "all": (FollowUp.window_start.desc(), FollowUp.id.desc()),
}


def board(
    session: Session,
    actor: Actor,
    *,
    view: str = "due",
    q: str | None = None,
    course_number: int | None = None,
) -> Board:
    """The check-ins of one view of the list (at most ``BOARD_LIMIT``, the most urgent
    first), with the counts of every view; ``q`` searches the patient's name or record
    number, ``course_number`` keeps one course (first, repeat, ...)."""
    require_role(actor, STAFF_ROLES)
    today = clinic_today()
    days = plan_in_force(session).closing_soon_days
    patient = patients_service.Patient
    filters: list[Any] = []
    if q and q.strip():
        filters.append(patient.search_key.contains(fold(q.strip()), autoescape=True))
    if course_number is not None:
        filters.append(FollowUpSchedule.course_number == course_number)

    def base(*conditions: Any) -> Any:
        return (
            select(FollowUp, patient)
            .join(FollowUp.schedule)
            .join(patient, patient.id == FollowUp.patient_id)
            .where(*filters, *conditions)
        )

    counts = {
        name: session.scalar(
            select(func.count()).select_from(base(*_conditions(name, today, days)).subquery())
        )
        or 0
        for name in BOARD_VIEWS
        if name != "all"
    }
    rows = session.execute(
        base(*_conditions(view, today, days))
        .options(
            *_LOADED,
            selectinload(FollowUp.contacts),
            selectinload(FollowUp.reminders),
        )
        .order_by(*_ORDER[view])
        .limit(BOARD_LIMIT)
    ).all()
    items = []
    for row, who in rows:
        contacts = records.visible_items(actor, list(row.contacts))
        items.append(
            follow_up_out(
                row,
                today,
                days,
                BoardItem,
                patient_name=f"{who.last_name}, {who.first_name}",
                medical_record_number=who.medical_record_number,
                last_contact=ContactOut.model_validate(contacts[0]) if contacts else None,
                no_reminder_reason=no_reminder_reason(who, row),
                reminders_sent=sum(1 for r in row.reminders if r.outcome == "queued"),
            )
        )
    return Board(items=items, counts=counts, closing_soon_days=days)


# --- phone calls ----------------------------------------------------------------------


def record_contact(
    session: Session, actor: Actor, follow_up_id: int, data: ContactIn
) -> ContactOut:
    """A phone call about a check-in, reached or not, with a note. It is contact, not a
    check-in: the check-in stays open until the answers are entered."""
    require_role(actor, CONTACT_ROLES)
    row = load_follow_up(session, actor, follow_up_id, for_update=True)
    contact = FollowUpContact(
        follow_up_id=row.id,
        patient_id=row.patient_id,
        channel="phone",
        reached=data.reached,
        note=data.note,
        **records.stamp(actor),
    )
    return records.store(session, actor, contact, entity_type="follow_up_contact", out=ContactOut)
