"""Appointments, as one public face: staff publish slots (one or a series) held by a
physician, nurse or coordinator and withdraw free ones; patients (for themselves) and
coordinators (for any patient) book and cancel; each booking and cancellation puts an
email with its iCalendar entry into the outbox. The use cases live in

- ``respira.appointments.slots`` — publishing, withdrawing and listing slots;
- ``respira.appointments.bookings`` — booking and cancelling, a patient's appointments,
  the calendar entry;
- ``respira.appointments.invitations`` and ``ical`` — the emails and the .ics;
- ``respira.appointments.local`` — wall-clock times in a time zone;

and who may do what in ``respira.appointments.roles``. Other steps (the portal) call
``appointments_for_patient``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from respira.appointments import local
from respira.appointments.bookings import (
    appointment_ics,
    appointments_for_patient,
    book,
    bookings_of_slots,
    cancel,
    get_appointment,
)
from respira.appointments.invitations import KIND_LABELS, MAIL_KIND
from respira.appointments.local import period
from respira.appointments.roles import (
    BOOK_ROLES,
    CANCEL_ROLES,
    HOLDER_ROLES,
    PUBLISH_ROLES,
    READ_ROLES,
    STAFF_ROLES,
)
from respira.appointments.schemas import PATIENT_KINDS, AppointmentOut, SlotOut
from respira.appointments.slots import (
    cancel_slot,
    get_slot,
    holders,
    list_slots,
    publish_series,
    publish_slot,
)
from respira.kit.actors import Actor, require_role
from respira.kit.texts import patient_language
from respira.patients import service as patients_service

__all__ = [
    "BOOK_ROLES",
    "CANCEL_ROLES",
    "HOLDER_ROLES",
    "KIND_LABELS",
    "MAIL_KIND",
    "PATIENT_KINDS",
    "PUBLISH_ROLES",
    "READ_ROLES",
    "STAFF_ROLES",
    "AgendaDay",
    "AgendaSlot",
    "agenda",
    "appointment_ics",
    "appointments_for_patient",
    "book",
    "cancel",
    "cancel_slot",
    "get_appointment",
    "get_slot",
    "holders",
    "list_slots",
    "patient_language",
    "period",
    "publish_series",
    "publish_slot",
]


@dataclass(frozen=True)
class AgendaSlot:
    slot: SlotOut
    appointment: AppointmentOut | None
    patient_name: str | None


@dataclass
class AgendaDay:
    day: dt.date
    slots: list[AgendaSlot] = field(default_factory=list)


def agenda(session: Session, actor: Actor, first_day: dt.date, days: int) -> list[AgendaDay]:
    """The staff calendar: every day from ``first_day`` (in the clinic's time zone),
    with its slots, free or booked (and for whom)."""
    require_role(actor, STAFF_ROLES)
    zone = local.zone_name(None)
    start = local.day_start(first_day, zone)
    end = local.day_start(first_day + dt.timedelta(days=days), zone)
    found = list_slots(session, actor, start, end)
    booked = bookings_of_slots(session, [s.id for s in found if s.booked])
    names: dict[int, str] = {}
    out = [AgendaDay(first_day + dt.timedelta(days=n)) for n in range(days)]
    for slot in found:
        appointment = booked.get(slot.id)
        name = None
        if appointment is not None:
            if appointment.patient_id not in names:
                p = patients_service.find(session, appointment.patient_id)
                names[appointment.patient_id] = f"{p.last_name}, {p.first_name}" if p else "?"
            name = names[appointment.patient_id]
        index = (local.local_day(slot.start, zone) - first_day).days
        out[index].slots.append(AgendaSlot(slot, appointment, name))
    return out
