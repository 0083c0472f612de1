"""HTML pages of international patient coordination for staff: the coordinator board of
a day (arrivals, departures, pickups to confirm, interpreters, the kitchen's diet list),
the list of stays, booking a stay for a patient, a stay with its checklist, one
checklist item's form, the visa letter, sending the travel plan, and the "Stays and
travel" section of the patient's page. The patient's own pages and the diet
restrictions are in ``respira.logistics.travel_pages``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role
from respira.kit.errors import NotFound
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, patient_banner, problem_text, request_lang
from respira.logistics import service
from respira.logistics.api import letter_response
from respira.logistics.schemas import (
    DETAILS_IN,
    PART_SCHEMAS,
    CancellationIn,
    DietLine,
    ItemIn,
    ItemOut,
    ItemPatch,
    StayIn,
    StayOut,
    StayPatch,
)
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.protocols import service as protocols_service
from respira.quotes import service as quotes_service

router = APIRouter(include_in_schema=False)

BOARD = uses(PageAccess(*service.BOARD_ROLES))
READ = uses(PageAccess(*service.STAY_READ_ROLES))
COORDINATE = uses(PageAccess(*service.COORDINATE_ROLES))
COORDINATE_POST = posts(PageAccess(*service.COORDINATE_ROLES))
LIST_DAYS = 30
# A form's nested parts: the flights' legs and the car each way, each field of a part
# named "<part>.<field>" in the form.
PARTS: dict[str, tuple[str, ...]] = {
    "flight": ("arrival", "departure"),
    "airport_pickup": ("pickup", "dropoff"),
}
TICKED = ("confirmed",)
YES_NO = ("visa_required", "companion")
FLASH = {
    "booked": N_("The stay is booked; its checklist is below."),
    "saved": N_("Saved."),
    "added": N_("The item is added to the checklist."),
    "sent": N_("The travel plan is in the outbox for the patient."),
    "cancelled": N_("The stay is cancelled."),
    "completed": N_("The stay is completed."),
}


def shared(call: Call) -> dict[str, Any]:
    """What every page of the step's templates uses: the labels of the codes, times at a
    zone in the reader's language, language names, the clinic's zone."""
    lang = request_lang(call.request)
    gettext = gettext_for(call.request)
    return {
        "kind_labels": service.ITEM_KIND_LABELS,
        "state_labels": service.ITEM_STATE_LABELS,
        "stay_state_labels": service.STAY_STATE_LABELS,
        "room_labels": service.ROOM_LABELS,
        "diet_labels": service.DIET_LABELS,
        "restriction_labels": service.RESTRICTION_KIND_LABELS,
        "severity_labels": service.SEVERITY_LABELS,
        "source_labels": service.SOURCE_LABELS,
        "method_labels": service.METHOD_LABELS,
        "at": lambda moment, zone: service.shown(moment, zone, lang),
        "lang_name": lambda tag: service.language_name(tag, lang),
        "diet_words": lambda line: service.diet_words(line, gettext),
        "clinic_zone": service.clinic_zone(),
    }


def translated(call: Call, refused: Refused | None) -> Refused | None:
    """A refusal with its messages in the reader's language (those the catalogues
    know)."""
    if refused is None:
        return None
    lang = request_lang(call.request)
    errors = {key: problem_text(value, lang) for key, value in refused.errors.items()}
    return Refused(errors, refused.status_code, refused.stale)


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else service.clinic_today()
    except ValueError:
        return service.clinic_today()


# --- the coordinator board ---------------------------------------------------------------


@router.get("/logistics/board")
def board_page(day: str | None = None, call: Call = BOARD) -> Response:
    shown = _day(day)
    return call.render(
        "logistics/board.html",
        {
            "board": service.board(call.session, call.actor, shown),
            "previous": shown - dt.timedelta(days=1),
            "next": shown + dt.timedelta(days=1),
            "bad_day": bool(day) and shown.isoformat() != day,
            "can_open_stays": call.actor.role in service.STAY_READ_ROLES,
            **shared(call),
        },
    )


# --- stays -------------------------------------------------------------------------------


@router.get("/logistics/stays")
def stays_page(
    start: str | None = Query(default=None, alias="from"),
    end: str | None = Query(default=None, alias="to"),
    call: Call = READ,
) -> Response:
    first = _day(start)
    last = _day(end) if end else first + dt.timedelta(days=LIST_DAYS)
    if last < first:
        last = first
    return call.render(
        "logistics/stays.html",
        {
            "stays": service.list_stays(call.session, call.actor, first, last),
            "first": first,
            "last": last,
            **shared(call),
        },
    )


def _stay_context(call: Call, stay_id: int) -> dict[str, Any]:
    stay = service.get_stay(call.session, call.actor, stay_id)
    patient = patients_service.get_patient(call.session, call.actor, stay.patient_id)
    items = service.checklist(call.session, call.actor, stay_id)
    return {
        **patient_banner(patient),
        "stay": stay,
        "items": items,
        "open_items": [i for i in items if i.state in service.OPEN_STATES],
        "can_change": call.actor.role in service.COORDINATE_ROLES and stay.state == "booked",
        "today": service.clinic_today(),
        **shared(call),
    }


def _stay_page(
    call: Call, stay_id: int, form: dict[str, str] | None = None, refused: Refused | None = None
) -> Response:
    context = _stay_context(call, stay_id)
    stay: StayOut = context["stay"]
    values = form or {
        "arrival_date": stay.arrival_date.isoformat(),
        "departure_date": stay.departure_date.isoformat(),
        "room_type": stay.room_type,
        "companion": "yes" if stay.companion else "",
        "note": stay.note or "",
        "version": str(stay.version),
    }
    if refused is not None and refused.stale:
        values = {**values, "version": str(stay.version)}
    flash = call.flash(FLASH)
    context.update(form=values, flash=gettext_for(call.request)(flash) if flash else None)
    return call.render_form("logistics/stay.html", context, translated(call, refused))


@router.get("/logistics/stays/{stay_id}")
def stay_page(stay_id: int, call: Call = READ) -> Response:
    return _stay_page(call, stay_id)


def _version(post: Post) -> int | Refused:
    text = post.data.get("version", "")
    if not text.isdigit():
        return Refused({"version": "the form is missing the version; reload the page"}, 422, False)
    return int(text)


@router.post("/logistics/stays/{stay_id}/edit")
def edit_stay(stay_id: int, post: Post = COORDINATE_POST) -> Response:
    version = _version(post)
    fields = {
        k: post.data.get(k, "") for k in ("arrival_date", "departure_date", "room_type", "note")
    }
    fields["companion"] = "true" if post.data.get("companion") else "false"
    outcome = (
        version
        if isinstance(version, Refused)
        else post.submit(
            StayPatch,
            fields,
            lambda session, actor, body: service.update_stay(
                session, actor, stay_id, body, version
            ),
        )
    )
    return post.answer(
        outcome,
        lambda refused: _stay_page(post, stay_id, post.data, refused),
        f"/logistics/stays/{stay_id}?saved=1",
    )


def _on_stay(post: Post, stay_id: int, outcome: Any, flag: str) -> Response:
    """The stay's page after one of its forms: again with the refusal, or with ``flag``."""
    return post.answer(
        outcome,
        lambda refused: _stay_page(post, stay_id, None, refused),
        f"/logistics/stays/{stay_id}?{flag}=1",
    )


@router.post("/logistics/stays/{stay_id}/cancel")
def cancel_stay(stay_id: int, post: Post = COORDINATE_POST) -> Response:
    reason = {"reason": post.data.get("reason", "")}
    outcome = post.submit(CancellationIn, reason, service.cancel_stay, stay_id)
    return _on_stay(post, stay_id, outcome, "cancelled")


@router.post("/logistics/stays/{stay_id}/complete")
def complete_stay(stay_id: int, post: Post = COORDINATE_POST) -> Response:
    outcome = post.attempt(lambda: service.complete_stay(post.session, post.actor, stay_id))
    return _on_stay(post, stay_id, outcome, "completed")


@router.post("/logistics/stays/{stay_id}/travel-plan")
def send_travel_plan(stay_id: int, post: Post = COORDINATE_POST) -> Response:
    outcome = post.attempt(lambda: service.send_travel_plan(post.session, post.actor, stay_id))
    return _on_stay(post, stay_id, outcome, "sent")


@router.post("/logistics/stays/{stay_id}/items")
def add_item(stay_id: int, post: Post = COORDINATE_POST) -> Response:
    fields = {k: post.data.get(k, "") for k in ("title", "owner_id", "note")}
    outcome = post.submit(ItemIn, fields, service.add_item, stay_id)
    return _on_stay(post, stay_id, outcome, "added")


@router.get("/logistics/stays/{stay_id}/invitation-letter.pdf")
def invitation_letter(stay_id: int, lang: str | None = None, call: Call = READ) -> Response:
    return letter_response(call, stay_id, lang if lang in ("en", "de", "ru") else None)


# --- one checklist item --------------------------------------------------------------------


def form_values(item: ItemOut) -> dict[str, str]:
    """An item as its form shows it: every field as text, a part's fields named
    "<part>.<field>"."""
    stored = {k: v for k, v in item.details.items() if k != "restrictions"}
    values: dict[str, Any] = {
        "state": item.state,
        "owner_id": str(item.owner_id),
        "note": item.note or "",
        "title": item.title or "",
        "version": str(item.version),
    }
    flat: dict[str, Any] = {}
    for key, value in stored.items():
        if key in PARTS.get(item.kind, ()):
            inner = value.model_dump() if isinstance(value, BaseModel) else value or {}
            for field in PART_SCHEMAS[item.kind].model_fields:
                flat[f"{key}.{field}"] = inner.get(field)
        else:
            flat[key] = value
    for key, value in flat.items():
        if isinstance(value, bool):
            values[key] = ("yes" if value else "no") if key in YES_NO else ("on" if value else "")
        elif isinstance(value, dt.datetime):
            values[key] = value.isoformat(timespec="minutes")
        else:
            values[key] = "" if value is None else str(value)
    return values


def details_from_form(kind: str, data: dict[str, str]) -> dict[str, Any]:
    """The form's fields of ``kind`` as the item's details: a part left empty is
    cleared; "yes"/"no" choices and ticked boxes become true or false."""
    fields = tuple(DETAILS_IN[kind].model_fields)

    def value(name: str, field: str) -> Any:
        text = data.get(name, "")
        if field in TICKED:
            return bool(text)
        if field in YES_NO:
            return {"yes": True, "no": False}.get(text)
        return text

    parts = PARTS.get(kind)
    if not parts:
        return {f: value(f, f) for f in fields}
    out: dict[str, Any] = {}
    for part in parts:
        inner = {f: value(f"{part}.{f}", f) for f in PART_SCHEMAS[kind].model_fields}
        given = any(v not in ("", None, False) for v in inner.values())
        out[part] = inner if given else None
    return out


def _item_page(
    call: Call,
    stay_id: int,
    item_id: int,
    form: dict[str, str] | None = None,
    refused: Refused | None = None,
) -> Response:
    context = _stay_context(call, stay_id)
    item = next((i for i in context["items"] if i.id == item_id), None)
    if item is None:
        raise NotFound("no such checklist item")
    values = form_values(item)
    if form is not None:
        values = {
            **form,
            "version": values["version"] if refused and refused.stale else form.get("version", ""),
        }
    context.update(
        item=item,
        form=values,
        owners=service.owners(call.session),
        airports=service.airports.choices(),
        diets=list(service.DIET_LABELS),
        item_states=list(service.ITEM_STATE_LABELS),
        moves=service.MOVES,
        needed=service.NEEDED_FOR_DONE[item.kind],
        needed_words=service.NEEDED_WORDS,
    )
    return call.render_form("logistics/item.html", context, translated(call, refused))


@router.get("/logistics/stays/{stay_id}/items/{item_id}")
def item_page(stay_id: int, item_id: int, call: Call = READ) -> Response:
    return _item_page(call, stay_id, item_id)


@router.post("/logistics/stays/{stay_id}/items/{item_id}")
def update_item(stay_id: int, item_id: int, post: Post = COORDINATE_POST) -> Response:
    data = post.data
    version = _version(post)
    item = next(
        (i for i in service.checklist(post.session, post.actor, stay_id) if i.id == item_id), None
    )
    if item is None:
        raise NotFound("no such checklist item")
    fields: dict[str, Any] = {
        "state": data.get("state", ""),
        "owner_id": data.get("owner_id", ""),
        "note": data.get("note", ""),
        "details": details_from_form(item.kind, data),
    }
    if item.kind == "other":
        fields["title"] = data.get("title", "")
    if isinstance(version, Refused):
        outcome: Any = version
    else:
        outcome = post.submit(
            ItemPatch,
            fields,
            lambda session, actor, body: service.update_item(
                session, actor, stay_id, item_id, body, version
            ),
        )
    return post.answer(
        outcome,
        lambda refused: _item_page(post, stay_id, item_id, data, refused),
        f"/logistics/stays/{stay_id}?saved=1#item-{item_id}",
    )


# --- booking a stay ----------------------------------------------------------------------


def _booking_page(
    call: Call, patient_id: int, form: dict[str, str], refused: Refused | None = None
) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    courses = [
        c
        for c in protocols_service.list_courses(call.session, call.actor, patient_id)
        if c.status == "approved"
    ]
    quotes = quotes_service.accepted_quotes(call.session, call.actor, patient_id)
    context = {
        **patient_banner(patient),
        "form": form,
        "courses": courses,
        "quotes": quotes,
        "room_types": list(service.ROOM_LABELS),
        **shared(call),
    }
    return call.render_form("logistics/book.html", context, translated(call, refused))


@router.get("/logistics/patients/{patient_id}/stays/new")
def booking_page(patient_id: int, call: Call = COORDINATE) -> Response:
    return _booking_page(call, patient_id, {"room_type": "single"})


@router.post("/logistics/patients/{patient_id}/stays")
def book_stay(patient_id: int, post: Post = COORDINATE_POST) -> Response:
    data = post.data
    fields: dict[str, Any] = {
        key: data.get(key, "")
        for key in ("arrival_date", "departure_date", "course_id", "quote_id", "room_type", "note")
    }
    fields["patient_id"] = patient_id
    fields["companion"] = bool(data.get("companion"))
    outcome = post.submit(StayIn, fields, service.book_stay)
    return post.answer(
        outcome,
        lambda refused: _booking_page(post, patient_id, data, refused),
        lambda stay: f"/logistics/stays/{stay.id}?booked=1",
    )


# --- the section of the patient's page ------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    reads_stays = actor.role in service.STAY_READ_ROLES
    reads_diet = actor.role in service.DIET_READ_ROLES
    if not (reads_stays or reads_diet):
        return None
    diet = service.get_diet(session, actor, patient.id) if reads_diet else None
    lines: list[DietLine] = diet.lines if diet else []
    return {
        "patient_id": patient.id,
        "stays": service.stays_of_patient(session, actor, patient.id) if reads_stays else None,
        "diet_lines": lines,
        "reads_diet": reads_diet,
        "can_book": actor.role in service.COORDINATE_ROLES,
        "can_record_diet": actor.role in service.DIET_WRITE_ROLES,
        "labels": {
            "stay_state": service.STAY_STATE_LABELS,
            "restriction": service.RESTRICTION_KIND_LABELS,
            "severity": service.SEVERITY_LABELS,
            "source": service.SOURCE_LABELS,
        },
        "is_patient": actor.role == Role.PATIENT,
    }
