"""JSON routes of appointments: the slots of a period, publishing (one or a series),
withdrawing, booking and cancelling, a patient's appointments and an appointment's
calendar entry (``text/calendar``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from respira.appointments import service
from respira.appointments.schemas import (
    AppointmentOut,
    BookingIn,
    CancellationIn,
    Kind,
    SlotIn,
    SlotOut,
    SlotSeriesIn,
)
from respira.kit.actors import Actor
from respira.kit.db import utcnow
from respira.kit.web.deps import ApiAccess, get_db

router = APIRouter(prefix="/api/v1", tags=["appointments"])


@router.get("/slots", response_model=list[SlotOut])
def list_slots(
    start: str | None = Query(default=None, alias="from"),
    end: str | None = Query(default=None, alias="to"),
    kind: Kind | None = None,
    free: bool = False,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> list[SlotOut]:
    """Slots starting from ``from`` up to ``to`` (ISO dates, whole days in the clinic's
    time zone, or date-times; default: the coming 14 days), earliest first."""
    period = service.period(start, end, default_days=14, now=utcnow())
    return service.list_slots(session, actor, *period, kind=kind, free_only=free)


@router.post("/slots", response_model=SlotOut, status_code=201)
def publish_slot(
    body: SlotIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.PUBLISH_ROLES)),
) -> SlotOut:
    return service.publish_slot(session, actor, body)


@router.post("/slots/series", response_model=list[SlotOut], status_code=201)
def publish_series(
    body: SlotSeriesIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.PUBLISH_ROLES)),
) -> list[SlotOut]:
    return service.publish_series(session, actor, body)


@router.post("/slots/{slot_id}/cancel", response_model=SlotOut)
def cancel_slot(
    slot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.PUBLISH_ROLES)),
) -> SlotOut:
    """Withdraw a free slot (409 when it is booked)."""
    return service.cancel_slot(session, actor, slot_id)


@router.post("/slots/{slot_id}/book", response_model=AppointmentOut, status_code=201)
def book(
    slot_id: int,
    body: BookingIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.BOOK_ROLES)),
) -> AppointmentOut:
    """Book the slot for ``patient_id`` (a patient only for themselves); 409 when it is
    taken."""
    out = service.book(session, actor, slot_id, body)
    response.headers["Location"] = f"/api/v1/appointments/{out.id}"
    return out


@router.get("/patients/{patient_id}/appointments", response_model=list[AppointmentOut])
def patient_appointments(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> list[AppointmentOut]:
    return service.appointments_for_patient(session, actor, patient_id)


@router.get("/appointments/{appointment_id}.ics")
def appointment_ics(
    appointment_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> Response:
    return ics_response(service.appointment_ics(session, actor, appointment_id), appointment_id)


def ics_response(data: bytes, appointment_id: int) -> Response:
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="appointment-{appointment_id}.ics"'},
    )


@router.get("/appointments/{appointment_id}", response_model=AppointmentOut)
def get_appointment(
    appointment_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> AppointmentOut:
    return service.get_appointment(session, actor, appointment_id)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentOut)
def cancel_appointment(
    appointment_id: int,
    body: CancellationIn | None = None,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CANCEL_ROLES)),
) -> AppointmentOut:
    return service.cancel(session, actor, appointment_id, body or CancellationIn())
