"""Stays: booking a patient's visit to the clinic (with its checklist), changing its
dates, room and companion, cancelling and completing it, and reading stays.

Booking locks the patient's row, so that two bookings of one patient run one after the
other and the second sees the first: a patient has at most one booked stay at a time
(two stays may touch, one's departure day being the next one's arrival day). A stay
for a course covers the course's days and names an approved course of the same
patient; its dates default to the course's. Booking emits ``logistics.stay_booked``
(``patient_id``, ``stay_id``, ``quote_id`` or None) inside the transaction: the quotes
step invoices an accepted quote then, and a refusal there refuses the booking.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from respira.kit import audit, events, records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.rows import from_row
from respira.kit.trail import Trail
from respira.logistics import checklist, rows
from respira.logistics.models import Stay
from respira.logistics.roles import COORDINATE_ROLES, STAY_READ_ROLES
from respira.logistics.schemas import (
    MAX_STAY_DAYS,
    CancellationIn,
    OwnerOut,
    StayIn,
    StayOut,
    StayPatch,
)
from respira.patients import service as patients_service
from respira.protocols import service as protocols_service

TRAIL = Trail("stay")
BOOKED_EVENT = "logistics.stay_booked"
STALE = "the stay was changed by someone else at the same moment; reload it"


def stay_out(stay: Stay, patient: Any) -> StayOut:
    open_kinds = [i.kind for i in stay.items if i.state in checklist.OPEN_STATES]
    return from_row(
        StayOut,
        stay,
        patient_name=f"{patient.first_name} {patient.last_name}",
        medical_record_number=patient.medical_record_number,
        preferred_language=patient.preferred_language,
        nights=(stay.departure_date - stay.arrival_date).days,
        items_total=len(stay.items),
        open_items=len(open_kinds),
        open_kinds=open_kinds,
    )


def _patient_of(session: Session, stay: Stay) -> Any:
    patient = patients_service.find(session, stay.patient_id)
    assert patient is not None  # a foreign key with ON DELETE RESTRICT
    return patient


# --- the rules of a stay's dates --------------------------------------------------------


def _course_dates(
    session: Session, actor: Actor, patient_id: int, course_id: int
) -> tuple[dt.date, dt.date]:
    """The first and last day of an approved course of the patient."""
    try:
        course = protocols_service.get_course(session, actor, course_id)
    except NotFound as exc:
        raise InvalidInput({"course_id": "no such treatment course"}) from exc
    if course.patient_id != patient_id:
        raise InvalidInput({"course_id": "this course is another patient's"})
    if course.status != "approved":
        raise InvalidInput(
            {
                "course_id": f"course {course.number} version {course.version} is "
                f"{course.status}; book the stay for the approved course"
            }
        )
    return course.start_date, course.end_date


def _check_dates(
    arrival: dt.date, departure: dt.date, course: tuple[dt.date, dt.date] | None
) -> None:
    if departure < arrival:
        raise InvalidInput({"departure_date": "the departure must not be before the arrival"})
    if (departure - arrival).days > MAX_STAY_DAYS:
        raise InvalidInput({"departure_date": f"a stay lasts at most {MAX_STAY_DAYS} days"})
    if course is not None:
        first, last = course
        if arrival > first:
            raise InvalidInput(
                {"arrival_date": f"the course begins on {first}: arrive on or before that day"}
            )
        if departure < last:
            raise InvalidInput(
                {"departure_date": f"the course ends on {last}: leave on or after that day"}
            )


def _no_overlap(
    session: Session, patient_id: int, arrival: dt.date, departure: dt.date, stay_id: int | None
) -> None:
    clash = session.scalars(
        select(Stay).where(
            Stay.patient_id == patient_id,
            Stay.state == "booked",
            Stay.id != (stay_id or 0),
            Stay.arrival_date < departure,
            Stay.departure_date > arrival,
        )
    ).first()
    if clash is not None:
        raise Conflict(
            f"the patient already has a stay booked from {clash.arrival_date} to "
            f"{clash.departure_date}; change or cancel that stay first"
        )


# --- use cases --------------------------------------------------------------------------


def book_stay(session: Session, actor: Actor, data: StayIn) -> StayOut:
    """Book a stay with its checklist, owned by the booking coordinator (committed)."""
    require_role(actor, COORDINATE_ROLES)
    if problems := data.problems():
        raise InvalidInput(problems)
    patient = patients_service.get_for_update(session, actor, data.patient_id)
    course = None
    if data.course_id is not None:
        course = _course_dates(session, actor, patient.id, data.course_id)
    arrival = data.arrival_date or (course[0] if course else None)
    departure = data.departure_date or (course[1] if course else None)
    assert arrival is not None and departure is not None  # problems() checked it
    _check_dates(arrival, departure, course)
    _no_overlap(session, patient.id, arrival, departure, None)
    assert actor.user_id is not None
    owner = OwnerOut(id=actor.user_id, name=actor.name, role=actor.role)
    now = utcnow()
    stay = Stay(
        patient_id=patient.id,
        arrival_date=arrival,
        departure_date=departure,
        course_id=data.course_id,
        quote_id=data.quote_id,
        room_type=data.room_type,
        companion=data.companion,
        state="booked",
        note=data.note,
        created_at=now,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        updated_at=now,
        items=checklist.standard_items(actor, owner, patient.preferred_language),
    )
    with records.flush_or_conflict(session, STALE):
        session.add(stay)
    out = stay_out(stay, patient)
    TRAIL.record(session, actor, stay.id, "create", after=out.model_dump(mode="json"))
    events.emit(
        session, actor, BOOKED_EVENT, patient_id=patient.id, stay_id=stay.id, quote_id=stay.quote_id
    )
    session.commit()
    return out


def _stay_for_change(session: Session, actor: Actor, stay_id: int, expected: int | None) -> Stay:
    require_role(actor, COORDINATE_ROLES)
    stay = rows.still_booked(rows.locked(session, actor, Stay, stay_id, "stay"))
    if expected is not None:
        records.check_version(stay.version, expected, "stay")
    return stay


def _snapshot(stay: Stay) -> dict[str, Any]:
    return {
        "arrival_date": stay.arrival_date,
        "departure_date": stay.departure_date,
        "room_type": stay.room_type,
        "companion": stay.companion,
        "note": stay.note,
        "state": stay.state,
    }


def update_stay(
    session: Session, actor: Actor, stay_id: int, patch: StayPatch, expected_version: int
) -> StayOut:
    """Change a booked stay's dates, room type, companion or note (committed); the
    course's days and the patient's other stays are checked again."""
    stay = _stay_for_change(session, actor, stay_id, expected_version)
    given = patch.model_dump(exclude_unset=True)
    before = _snapshot(stay)
    arrival = given.get("arrival_date") or stay.arrival_date
    departure = given.get("departure_date") or stay.departure_date
    course = (
        _course_dates(session, actor, stay.patient_id, stay.course_id)
        if stay.course_id is not None
        else None
    )
    _check_dates(arrival, departure, course)
    _no_overlap(session, stay.patient_id, arrival, departure, stay.id)
    stay.arrival_date, stay.departure_date = arrival, departure
    for key in ("room_type", "companion"):
        if given.get(key) is not None:
            setattr(stay, key, given[key])
    if "note" in given:
        stay.note = given["note"]
    old, new = audit.diff(before, _snapshot(stay))
    if new:
        stay.updated_at = utcnow()
        records.flush(session, STALE)
        TRAIL.record(session, actor, stay.id, "update", before=old, after=new)
        session.commit()
    return stay_out(stay, _patient_of(session, stay))


def cancel_stay(session: Session, actor: Actor, stay_id: int, data: CancellationIn) -> StayOut:
    """Cancel a booked stay with the reason (committed); its checklist stops."""
    stay = _stay_for_change(session, actor, stay_id, None)
    stay.state = "cancelled"
    stay.cancelled_at = utcnow()
    stay.cancelled_by_name = actor.name
    stay.cancellation_reason = data.reason
    stay.updated_at = stay.cancelled_at
    records.flush(session, STALE)
    TRAIL.record(
        session,
        actor,
        stay.id,
        "cancel",
        before={"state": "booked"},
        after={"state": "cancelled", "cancelled_at": stay.cancelled_at},
        reason=data.reason,
    )
    session.commit()
    return stay_out(stay, _patient_of(session, stay))


def complete_stay(session: Session, actor: Actor, stay_id: int) -> StayOut:
    """Mark a stay completed on or after its departure day (committed)."""
    stay = _stay_for_change(session, actor, stay_id, None)
    today = clinic_today()
    if stay.departure_date > today:
        raise Conflict(f"the stay ends on {stay.departure_date}: complete it on or after that day")
    stay.state = "completed"
    stay.completed_at = utcnow()
    stay.completed_by_name = actor.name
    stay.updated_at = stay.completed_at
    records.flush(session, STALE)
    after = {"state": "completed", "completed_at": stay.completed_at}
    TRAIL.record(session, actor, stay.id, "complete", before={"state": "booked"}, after=after)
    session.commit()
    return stay_out(stay, _patient_of(session, stay))


# --- reading ----------------------------------------------------------------------------


def get_stay(session: Session, actor: Actor, stay_id: int) -> StayOut:
    require_role(actor, STAY_READ_ROLES)
    stay = rows.load_stay(session, actor, stay_id)
    return stay_out(stay, _patient_of(session, stay))


def stays_between(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    patient_id: int | None = None,
    states: tuple[str, ...] = ("booked", "completed", "cancelled"),
) -> list[Stay]:
    """The stays that overlap the days ``first``..``last``, by arrival."""
    stmt = (
        select(Stay)
        .options(selectinload(Stay.items))
        .where(Stay.arrival_date <= last, Stay.departure_date >= first, Stay.state.in_(states))
    )
    if patient_id is not None:
        stmt = stmt.where(Stay.patient_id == patient_id)
    return list(session.scalars(stmt.order_by(Stay.arrival_date, Stay.id)))


def _outs(session: Session, stays: list[Stay]) -> list[StayOut]:
    patients: dict[int, Any] = {}
    out = []
    for stay in stays:
        if stay.patient_id not in patients:
            patients[stay.patient_id] = _patient_of(session, stay)
        out.append(stay_out(stay, patients[stay.patient_id]))
    return out


def list_stays(
    session: Session, actor: Actor, first: dt.date, last: dt.date, state: str | None = None
) -> list[StayOut]:
    """The stays overlapping the days from ``first`` to ``last`` (the clinic's
    calendar), by arrival; all states unless one is asked for."""
    require_role(actor, STAY_READ_ROLES)
    if last < first:
        raise InvalidInput({"to": "the end of the period must not be before its start"})
    if (last - first).days > 366:
        raise InvalidInput({"to": "ask for at most a year at a time"})
    states = (state,) if state else ("booked", "completed", "cancelled")
    return _outs(session, stays_between(session, first, last, states=states))


def stays_of_patient(session: Session, actor: Actor, patient_id: int) -> list[StayOut]:
    """Every stay of the patient, newest arrival first."""
    require_role(actor, STAY_READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = session.scalars(
        select(Stay)
        .options(selectinload(Stay.items))
        .where(Stay.patient_id == patient_id)
        .order_by(Stay.arrival_date.desc(), Stay.id.desc())
    )
    return _outs(session, list(rows))
