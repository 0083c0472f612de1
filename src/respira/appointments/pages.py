"""HTML pages of appointments: the staff calendar of the coming days (free and booked
slots, the publish form, booking for a patient chosen on their page, withdrawing a free
slot, cancelling a booking), the patient's own page ``/my/appointments`` (their
appointments, the free phone calls and follow-up visits to book, cancelling), the
calendar file of an appointment, and the "Appointments" section of the patient's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import get_day_names
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.appointments import local, service
from respira.appointments.api import ics_response
from respira.appointments.schemas import BookingIn, CancellationIn, SlotSeriesIn
from respira.kit.actors import Actor, Role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import request_lang
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut

router = APIRouter(include_in_schema=False)

AGENDA_DAYS = 7
PATIENT_DAYS = 60
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
# Refusals of a booking or a cancellation shown on the page the person came from.
REFUSALS = (Conflict, InvalidInput, Forbidden, NotFound)
PUBLISH_POST = posts(PageAccess(*service.PUBLISH_ROLES))
CANCEL_POST = posts(PageAccess(*service.CANCEL_ROLES))


def _formatters(call: Call) -> dict[str, Any]:
    lang = request_lang(call.request)
    clinic = local.zone_name(None)
    names = get_day_names("wide", locale=lang)
    return {
        "when": lambda item: local.when(item.start, item.end, item.time_zone, lang),
        "clock": lambda value, zone=None: local.clock(value, zone or clinic, lang),
        "clinic_zone": clinic,
        "kind_labels": service.KIND_LABELS,
        "weekday_names": {day: names[day - 1] for day in WEEKDAYS},
        "done": call.request.query_params.get("done"),
        "now": utcnow(),
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
    call: Call, form: dict[str, str] | None = None, refused: Refused | None = None
) -> Response:
    """The calendar; after a refused form, with the form as sent and the errors."""
    query, actor = call.request.query_params, call.actor
    first = _first_day(query.get("from") or (form or {}).get("from"))
    patient = _booking_for(call.session, actor, query.get("for") or (form or {}).get("for"))
    can_publish = actor.role in service.PUBLISH_ROLES
    context = {
        "days": service.agenda(call.session, actor, first, AGENDA_DAYS),
        "first": first,
        "prev_week": first - dt.timedelta(days=AGENDA_DAYS),
        "next_week": first + dt.timedelta(days=AGENDA_DAYS),
        "patient": patient,
        "can_publish": can_publish,
        "can_cancel": actor.role in service.CANCEL_ROLES,
        "holders": service.holders(call.session) if can_publish else [],
        "kinds": list(service.KIND_LABELS),
        "weekdays": WEEKDAYS,
        "form": form or {"first_day": first.isoformat(), "duration_min": "30"},
        **_formatters(call),
    }
    return call.render_form("appointments/agenda.html", context, refused)


@router.get("/appointments")
def agenda_page(call: Call = uses(PageAccess(*service.STAFF_ROLES))) -> Response:
    return _agenda_page(call)


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


def _on_agenda(slot: Any, done: str) -> str:
    """The calendar of the week a slot is in, saying what was ``done``."""
    day = local.local_day(slot.start, local.zone_name(None))
    return f"/appointments?from={day.isoformat()}&done={done}"


@router.post("/appointments/slots")
def publish_page(post: Post = PUBLISH_POST) -> Response:
    outcome = post.submit(SlotSeriesIn, _series_data(post.data), service.publish_series)
    return post.answer(
        outcome,
        lambda refused: _agenda_page(post, post.data, refused),
        lambda slots: _on_agenda(slots[0], "published"),
    )


@router.post("/appointments/slots/{slot_id}/cancel")
def withdraw_page(slot_id: int, post: Post = PUBLISH_POST) -> Response:
    outcome = post.attempt(lambda: service.cancel_slot(post.session, post.actor, slot_id))
    return post.answer(
        outcome,
        lambda refused: _agenda_page(post, post.data, refused),
        lambda slot: _on_agenda(slot, "withdrawn"),
    )


# --- booking and cancelling (staff and patients) -----------------------------------------


def _booking_form(
    post: Post, done: str, schema: type[BaseModel], fields: dict[str, Any], use_case: Any, *ids: int
) -> Response:
    """A booking or a cancellation (``use_case(session, actor, *ids, body)``): back to
    the page it came from, with the reason it was refused, or (redirected) saying what
    was ``done``."""
    outcome = post.submit(schema, fields, use_case, *ids, refusals=REFUSALS)
    if isinstance(outcome, Refused):
        if post.actor.role == Role.PATIENT:
            return _my_page(post, outcome)
        return _agenda_page(post, post.data, outcome)
    if post.actor.role == Role.PATIENT:
        return see_other(f"/my/appointments?done={done}")
    target = post.data.get("back", "")
    if not target.startswith("/") or target.startswith("//"):
        target = "/appointments"
    joiner = "&" if "?" in target else "?"
    return see_other(f"{target}{joiner}done={done}")


@router.post("/appointments/slots/{slot_id}/book")
def book_page(slot_id: int, post: Post = posts(PageAccess(*service.BOOK_ROLES))) -> Response:
    fields = {"patient_id": post.data.get("patient_id"), "note": post.data.get("note") or None}
    if post.actor.role == Role.PATIENT:
        fields["patient_id"] = str(post.actor.patient_id)
    return _booking_form(post, "booked", BookingIn, fields, service.book, slot_id)


@router.post("/appointments/{appointment_id}/cancel")
def cancel_page(appointment_id: int, post: Post = CANCEL_POST) -> Response:
    fields = {"reason": post.data.get("reason") or None}
    return _booking_form(post, "cancelled", CancellationIn, fields, service.cancel, appointment_id)


@router.get("/appointments/{appointment_id}.ics")
def calendar_file(
    appointment_id: int, call: Call = uses(PageAccess(*service.READ_ROLES))
) -> Response:
    return ics_response(call, appointment_id)


# --- the patient's own page ----------------------------------------------------------------


def _my_page(call: Call, refused: Refused | None = None) -> Response:
    assert call.actor.patient_id is not None
    now = utcnow()
    mine = service.appointments_for_patient(call.session, call.actor, call.actor.patient_id)
    free = service.list_slots(
        call.session, call.actor, now, now + dt.timedelta(days=PATIENT_DAYS), free_only=True
    )
    days: dict[dt.date, list[Any]] = {}
    for slot in free:
        days.setdefault(local.local_day(slot.start, slot.time_zone), []).append(slot)
    context = {
        "upcoming": [a for a in mine if a.state == "booked" and a.end > now],
        "past": [a for a in reversed(mine) if a.state == "cancelled" or a.end <= now],
        "days": sorted(days.items()),
        **_formatters(call),
        "now": now,
    }
    return call.render_form("appointments/mine.html", context, refused)


@router.get("/my/appointments")
def my_appointments(call: Call = uses(PageAccess(Role.PATIENT))) -> Response:
    return _my_page(call)


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
