"""Booking a slot for a patient and cancelling the booking, with the invitation (or its
cancellation) put into the outbox in the same transaction; a patient's appointments.

A slot is booked once. The use case locks the patient's row (one patient's bookings run
one after the other, so a patient cannot be booked twice at the same time) and the
slot's row ``FOR UPDATE`` (two people booking one slot take turns; the second finds it
taken and is answered 409), and the unique key on ``appointments.live_slot_id`` is the
last line: a lost race that slipped past the lock could never commit. Locks are taken
in one order everywhere — patient, slot, appointment — so that a booking and a
cancellation never wait on each other in a circle. The refusals a patient may meet are
marked with ``N_`` so that their page shows them in the patient's language.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.appointments import invitations, slots
from respira.appointments.models import Appointment, Slot
from respira.appointments.roles import BOOK_ROLES, CANCEL_ROLES, READ_ROLES
from respira.appointments.schemas import PATIENT_KINDS, AppointmentOut, BookingIn, CancellationIn
from respira.kit import records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, Forbidden, NotFound
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.texts import patient_language
from respira.kit.trail import Trail
from respira.patients import service as patients_service

TRAIL = Trail("appointment")

TAKEN = N_("this slot is already booked; choose another time")


def appointment_out(row: Appointment) -> AppointmentOut:
    slot = row.slot
    return from_row(
        AppointmentOut,
        row,
        start=slot.starts_at,
        end=slot.ends_at,
        time_zone=slot.time_zone,
        kind=slot.kind,
        held_by_name=slot.held_by_name,
        state="cancelled" if row.cancelled_at else "booked",
    )


def _invitee(
    session: Session, patient: patients_service.Patient, slot: Slot
) -> invitations.Invitee:
    return invitations.Invitee(
        patient_id=patient.id,
        name=f"{patient.first_name} {patient.last_name}",
        email=patient.email,
        language=patient_language(patient.preferred_language),
        host_name=slot.held_by_name,
        host_email=slots.holder_email(session, slot.held_by_id),
    )


def _booking(row: Appointment) -> invitations.Booking:
    return invitations.Booking(
        uid=row.ical_uid,
        sequence=row.ical_sequence,
        cancelled=row.cancelled_at is not None,
        start=row.slot.starts_at,
        end=row.slot.ends_at,
        time_zone=row.slot.time_zone,
        kind=row.slot.kind,
    )


def book(session: Session, actor: Actor, slot_id: int, data: BookingIn) -> AppointmentOut:
    """Book a slot for a patient (a patient for themselves) and send the invitation
    (committed). 409 when the slot is taken, withdrawn or has begun, or the patient
    already has an appointment at that time."""
    require_role(actor, BOOK_ROLES)
    patient = patients_service.get_for_update(session, actor, data.patient_id)
    slot = records.lock_row(session, Slot, slot_id)
    if slot is None:
        raise NotFound(N_("no such slot"))
    if actor.role == Role.PATIENT and slot.kind not in PATIENT_KINDS:
        raise Forbidden(
            N_(
                "an online consultation is arranged by the clinic's coordinator; "
                "book a phone call or a follow-up visit, or write to the clinic"
            )
        )
    if slot.cancelled_at is not None:
        raise Conflict(N_("this slot is no longer offered; choose another time"))
    if slot.starts_at <= utcnow():
        raise Conflict(N_("this slot has already begun; choose a later time"))
    if slots.live_slot_ids(session, [slot.id]):
        raise Conflict(TAKEN)
    clash = session.scalar(
        select(Appointment.id)
        .join(Slot, Slot.id == Appointment.slot_id)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.live_slot_id.is_not(None),
            Slot.starts_at < slot.ends_at,
            Slot.ends_at > slot.starts_at,
        )
    )
    if clash is not None:
        raise Conflict(N_("the patient already has an appointment at that time"))
    row = Appointment(
        slot_id=slot.id,
        live_slot_id=slot.id,
        patient_id=patient.id,
        note=data.note or None,
        booked_at=utcnow(),
        booked_by_id=actor.user_id,
        booked_by_name=actor.name,
        booked_by_role=actor.role,
        ical_uid=f"appointment-{uuid.uuid4().hex}@{invitations.uid_domain()}",
        ical_sequence=0,
        slot=slot,
    )
    with records.flush_or_conflict(session, TAKEN):
        session.add(row)
    out = appointment_out(row)
    TRAIL.record(session, actor, row.id, "create", after=out.model_dump(mode="json"))
    invitations.send(session, _booking(row), _invitee(session, patient, slot))
    session.commit()
    return out


def cancel(
    session: Session, actor: Actor, appointment_id: int, data: CancellationIn
) -> AppointmentOut:
    """Cancel a booking before it begins and send the cancellation (committed); the slot
    is free again."""
    require_role(actor, CANCEL_ROLES)
    found = session.get(Appointment, appointment_id)
    if found is None or records.hidden_from(actor, found.patient_id, False):
        raise NotFound(N_("no such appointment"))
    patient = patients_service.get_for_update(session, actor, found.patient_id)
    records.lock_row(session, Slot, found.slot_id)
    row = records.lock_row(session, Appointment, appointment_id)
    assert row is not None
    if row.cancelled_at is not None:
        raise Conflict(N_("this appointment was already cancelled"))
    if row.slot.starts_at <= utcnow():
        raise Conflict(N_("this appointment has already begun and can no longer be cancelled"))
    row.cancelled_at = utcnow()
    row.cancelled_by_id = actor.user_id
    row.cancelled_by_name = actor.name
    row.cancellation_reason = data.reason or None
    row.live_slot_id = None
    row.ical_sequence += 1
    session.flush()
    reason = row.cancellation_reason
    before, after = {"state": "booked"}, {"state": "cancelled", "cancelled_at": row.cancelled_at}
    TRAIL.record(session, actor, row.id, "cancel", before=before, after=after, reason=reason)
    invitations.send(session, _booking(row), _invitee(session, patient, row.slot), reason)
    session.commit()
    return appointment_out(row)


def _visible_row(session: Session, actor: Actor, appointment_id: int) -> Appointment:
    require_role(actor, READ_ROLES)
    row = session.get(Appointment, appointment_id)
    if row is None or records.hidden_from(actor, row.patient_id, False):
        raise NotFound(N_("no such appointment"))
    return row


def get_appointment(session: Session, actor: Actor, appointment_id: int) -> AppointmentOut:
    return appointment_out(_visible_row(session, actor, appointment_id))


def appointment_ics(session: Session, actor: Actor, appointment_id: int) -> bytes:
    """The appointment's calendar entry as it stands (a request, or its cancellation)."""
    row = _visible_row(session, actor, appointment_id)
    patient = patients_service.get_visible(session, actor, row.patient_id)
    return invitations.calendar_file(_booking(row), _invitee(session, patient, row.slot))


def appointments_for_patient(
    session: Session, actor: Actor, patient_id: int
) -> list[AppointmentOut]:
    """Every appointment of the patient, booked or cancelled, earliest first (the
    portal shows them; a patient sees only their own: 404 otherwise)."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = session.scalars(
        select(Appointment)
        .join(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.patient_id == patient_id)
        .order_by(Slot.starts_at, Appointment.id)
    ).all()
    return [appointment_out(row) for row in rows]


def bookings_of_slots(session: Session, slot_ids: list[int]) -> dict[int, AppointmentOut]:
    """The live booking of each slot that has one (for the staff calendar)."""
    if not slot_ids:
        return {}
    rows = session.scalars(select(Appointment).where(Appointment.live_slot_id.in_(slot_ids))).all()
    return {row.slot_id: appointment_out(row) for row in rows}
