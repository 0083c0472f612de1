"""JSON routes of appointments: the slots of a period, publishing (one or a series),
withdrawing, booking and cancelling, a patient's appointments and an appointment's
calendar entry (``text/calendar``)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from respira.appointments import schemas, service
from respira.kit.db import utcnow
from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses

router = APIRouter(prefix="/api/v1", tags=["appointments"])

READ = uses(ApiAccess(*service.READ_ROLES))
PUBLISH = uses(ApiAccess(*service.PUBLISH_ROLES))


@router.get("/slots", response_model=list[schemas.SlotOut])
def list_slots(
    start: str | None = Query(default=None, alias="from"),
    end: str | None = Query(default=None, alias="to"),
    kind: schemas.Kind | None = None,
    free: bool = False,
    call: Call = READ,
) -> list[schemas.SlotOut]:
    """Slots starting from ``from`` up to ``to`` (ISO dates, whole days in the clinic's
    time zone, or date-times; default: the coming 14 days), earliest first."""
    period = service.period(start, end, default_days=14, now=utcnow())
    return service.list_slots(call.session, call.actor, *period, kind=kind, free_only=free)


@router.post("/slots", response_model=schemas.SlotOut, status_code=201)
def publish_slot(body: schemas.SlotIn, call: Call = PUBLISH) -> schemas.SlotOut:
    return service.publish_slot(call.session, call.actor, body)


@router.post("/slots/series", response_model=list[schemas.SlotOut], status_code=201)
def publish_series(body: schemas.SlotSeriesIn, call: Call = PUBLISH) -> list[schemas.SlotOut]:
    return service.publish_series(call.session, call.actor, body)


@router.post("/slots/{slot_id}/cancel", response_model=schemas.SlotOut)
def cancel_slot(slot_id: int, call: Call = PUBLISH) -> schemas.SlotOut:
    """Withdraw a free slot (409 when it is booked)."""
    return service.cancel_slot(call.session, call.actor, slot_id)


@router.post("/slots/{slot_id}/book", response_model=schemas.AppointmentOut, status_code=201)
def book(
    slot_id: int, body: schemas.BookingIn, call: Call = uses(ApiAccess(*service.BOOK_ROLES))
) -> schemas.AppointmentOut:
    """Book the slot for ``patient_id`` (a patient only for themselves); 409 when it is
    taken."""
    out = service.book(call.session, call.actor, slot_id, body)
    return call.created(out, f"/api/v1/appointments/{out.id}")


@router.get("/patients/{patient_id}/appointments", response_model=list[schemas.AppointmentOut])
def patient_appointments(patient_id: int, call: Call = READ) -> list[schemas.AppointmentOut]:
    return service.appointments_for_patient(call.session, call.actor, patient_id)


@router.get("/appointments/{appointment_id}.ics")
def appointment_ics(appointment_id: int, call: Call = READ) -> Response:
    return ics_response(call, appointment_id)


def ics_response(call: Call, appointment_id: int) -> Response:
    """The appointment's calendar entry as a file to save (the API's and the page's)."""
    data = service.appointment_ics(call.session, call.actor, appointment_id)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="appointment-{appointment_id}.ics"'},
    )


@router.get("/appointments/{appointment_id}", response_model=schemas.AppointmentOut)
def get_appointment(appointment_id: int, call: Call = READ) -> schemas.AppointmentOut:
    return service.get_appointment(call.session, call.actor, appointment_id)


@router.post("/appointments/{appointment_id}/cancel", response_model=schemas.AppointmentOut)
def cancel_appointment(
    appointment_id: int,
    body: schemas.CancellationIn | None = None,
    call: Call = uses(ApiAccess(*service.CANCEL_ROLES)),
) -> schemas.AppointmentOut:
    return service.cancel(
        call.session, call.actor, appointment_id, body or schemas.CancellationIn()
    )
