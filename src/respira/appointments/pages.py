"""HTML pages of appointments: the staff calendar of the coming days (free and booked
slots, the publish form, booking for a patient chosen on their page, withdrawing a free
slot, cancelling a booking), the patient's own page ``/my/appointments`` (their
appointments, the free phone calls and follow-up visits to book, cancelling), the
calendar file of an appointment, and the "Appointments" section of the patient's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import get_day_names
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.appointments import local, service
from respira.appointments.api import ics_response
from respira.appointments.schemas import BookingIn, CancellationIn, SlotSeriesIn
from respira.kit.actors import Actor, Role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, posted_form, submit
from respira.kit.web.templating import render, request_lang
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut

router = APIRouter(include_in_schema=False)

AGENDA_DAYS = 7
PATIENT_DAYS = 60
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
# Refusals of a booking or a cancellation shown on the page the person came from.
REFUSALS = (Conflict, InvalidInput, Forbidden, NotFound)


def _formatters(request: Request) -> dict[str, Any]:
    lang = request_lang(request)
    clinic = local.zone_name(None)
    names = get_day_names("wide", locale=lang)
    return {
        "when": lambda item: local.when(item.start, item.end, item.time_zone, lang),
        "clock": lambda value, zone=None: local.clock(value, zone or clinic, lang),
        "clinic_zone": clinic,
        "kind_labels": service.KIND_LABELS,
        "weekday_names": {day: names[day - 1] for day in WEEKDAYS},
    }


def _first_day(value: str | None) -> dt.date:
    today = local.local_day(utcnow(), local.zone_name(None))
    try:
        return dt.date.fromisoformat(value) if value else today
    except ValueError:
        return today


def _booking_for(session: Session, actor: Actor, value: str | None) -> PatientOut | None:
    if not value or not value.isdigit() or actor.role not in service.BOOK_ROLES:
        return None
    try:
        return patients_service.get_patient(session, actor, int(value))
    except DomainError:
        return None


# --- the staff calendar -----------------------------------------------------------------


def _agenda_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, str] | None = None,
    refused: Refused | None = None,
) -> Response:
    """The calendar; after a refused form, with the form as sent and the errors."""
    query = request.query_params
    first = _first_day(query.get("from") or (form or {}).get("from"))
    patient = _booking_for(session, actor, query.get("for") or (form or {}).get("for"))
    can_publish = actor.role in service.PUBLISH_ROLES
    return render(
        request,
        "appointments/agenda.html",
        {
            "days": service.agenda(session, actor, first, AGENDA_DAYS),
            "first": first,
            "prev_week": first - dt.timedelta(days=AGENDA_DAYS),
            "next_week": first + dt.timedelta(days=AGENDA_DAYS),
            "patient": patient,
            "can_publish": can_publish,
            "can_cancel": actor.role in service.CANCEL_ROLES,
            "holders": service.holders(session) if can_publish else [],
            "kinds": list(service.KIND_LABELS),
            "weekdays": WEEKDAYS,
            "form": form or {"first_day": first.isoformat(), "duration_min": "30"},
            "errors": refused.errors if refused else {},
            "done": query.get("done"),
            "now": utcnow(),
            **_formatters(request),
        },
        refused.status_code if refused else 200,
    )


@router.get("/appointments")
def agenda_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.STAFF_ROLES)),
) -> Response:
    return _agenda_page(request, session, actor)


def _series_data(data: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        key: data.get(key) or None
        for key in ("first_day", "last_day", "times", "duration_min", "time_zone", "kind")
    }
    body["held_by_id"] = data.get("held_by_id") or None
    chosen = [day for day in WEEKDAYS if data.get(f"wd{day}")]
    # One day needs no weekdays; a range without any chosen is refused with the reason.
    body["weekdays"] = chosen if body["last_day"] else list(WEEKDAYS)
    return body


@router.post("/appointments/slots")
def publish_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.PUBLISH_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = submit(
        session,
        SlotSeriesIn,
        _series_data(data),
        lambda body: service.publish_series(session, actor, body),
    )
    if isinstance(outcome, Refused):
        return _agenda_page(request, session, actor, data, outcome)
    day = local.local_day(outcome[0].start, local.zone_name(None))
    return RedirectResponse(f"/appointments?from={day.isoformat()}&done=published", 303)


@router.post("/appointments/slots/{slot_id}/cancel")
def withdraw_page(
    slot_id: int,
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.PUBLISH_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = attempt(session, lambda: service.cancel_slot(session, actor, slot_id))
    if isinstance(outcome, Refused):
        return _agenda_page(request, session, actor, data, outcome)
    day = local.local_day(outcome.start, local.zone_name(None))
    return RedirectResponse(f"/appointments?from={day.isoformat()}&done=withdrawn", 303)


# --- booking and cancelling (staff and patients) -----------------------------------------


def _back(actor: Actor, data: dict[str, str], done: str) -> RedirectResponse:
    if actor.role == Role.PATIENT:
        return RedirectResponse(f"/my/appointments?done={done}", status_code=303)
    target = data.get("back", "")
    if not target.startswith("/") or target.startswith("//"):
        target = "/appointments"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}done={done}", status_code=303)


def _refused_page(
    request: Request, session: Session, actor: Actor, data: dict[str, str], outcome: Refused
) -> Response:
    """The page a booking or a cancellation came from, with the reason it was refused."""
    if actor.role == Role.PATIENT:
        return _my_page(request, session, actor, outcome)
    return _agenda_page(request, session, actor, data, outcome)


@router.post("/appointments/slots/{slot_id}/book")
def book_page(
    slot_id: int,
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.BOOK_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {"patient_id": data.get("patient_id"), "note": data.get("note") or None}
    if actor.role == Role.PATIENT:
        fields["patient_id"] = str(actor.patient_id)
    outcome = submit(
        session,
        BookingIn,
        fields,
        lambda body: service.book(session, actor, slot_id, body),
        refusals=REFUSALS,
    )
    if isinstance(outcome, Refused):
        return _refused_page(request, session, actor, data, outcome)
    return _back(actor, data, "booked")


@router.post("/appointments/{appointment_id}/cancel")
def cancel_page(
    appointment_id: int,
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CANCEL_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = submit(
        session,
        CancellationIn,
        {"reason": data.get("reason") or None},
        lambda body: service.cancel(session, actor, appointment_id, body),
        refusals=REFUSALS,
    )
    if isinstance(outcome, Refused):
        return _refused_page(request, session, actor, data, outcome)
    return _back(actor, data, "cancelled")


@router.get("/appointments/{appointment_id}.ics")
def calendar_file(
    appointment_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.READ_ROLES)),
) -> Response:
    return ics_response(service.appointment_ics(session, actor, appointment_id), appointment_id)


# --- the patient's own page ----------------------------------------------------------------


def _my_page(
    request: Request, session: Session, actor: Actor, refused: Refused | None = None
) -> Response:
    assert actor.patient_id is not None
    now = utcnow()
    mine = service.appointments_for_patient(session, actor, actor.patient_id)
    free = service.list_slots(
        session, actor, now, now + dt.timedelta(days=PATIENT_DAYS), free_only=True
    )
    days: dict[dt.date, list[Any]] = {}
    for slot in free:
        days.setdefault(local.local_day(slot.start, slot.time_zone), []).append(slot)
    return render(
        request,
        "appointments/mine.html",
        {
            "upcoming": [a for a in mine if a.state == "booked" and a.end > now],
            "past": [a for a in reversed(mine) if a.state == "cancelled" or a.end <= now],
            "days": sorted(days.items()),
            "errors": refused.errors if refused else {},
            "done": request.query_params.get("done"),
            "now": now,
            **_formatters(request),
        },
        refused.status_code if refused else 200,
    )


@router.get("/my/appointments")
def my_appointments(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(Role.PATIENT)),
) -> Response:
    return _my_page(request, session, actor)


# --- the section of the patient's page -------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.STAFF_ROLES:
        return None
    found = service.appointments_for_patient(session, actor, patient.id)
    return {
        "patient_id": patient.id,
        "appointments": [(a, local.wall(a.start, a.time_zone)) for a in reversed(found)],
        "can_book": actor.role in service.BOOK_ROLES,
        "can_cancel": actor.role in service.CANCEL_ROLES,
        "now": utcnow(),
        "kind_labels": service.KIND_LABELS,
    }
