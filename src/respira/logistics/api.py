"""JSON routes of international patient coordination: stays (``GET /api/v1/stays?from=&to=``
of issue 9, booking, changes with If-Match, cancelling, completing), each stay's
checklist (``GET /api/v1/stays/{id}/checklist``; items changed with If-Match), the visa
letter, the travel plan and its email, a patient's diet restrictions, and the
coordinator board of a day."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Header, Query, Response

from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import parse_if_match
from respira.kit.web.routes import Call, uses
from respira.logistics import schemas, service

router = APIRouter(prefix="/api/v1", tags=["logistics"])

READ = uses(ApiAccess(*service.STAY_READ_ROLES))
COORDINATE = uses(ApiAccess(*service.COORDINATE_ROLES))
PLAN = uses(ApiAccess(*service.STAY_READ_ROLES, *service.PATIENT_ROLES))
DIET_READ = uses(ApiAccess(*service.DIET_READ_ROLES))
DIET_WRITE = uses(ApiAccess(*service.DIET_WRITE_ROLES))
DEFAULT_DAYS = 30


@router.get("/stays", response_model=list[schemas.StayOut])
def list_stays(
    start: dt.date | None = Query(default=None, alias="from"),
    end: dt.date | None = Query(default=None, alias="to"),
    state: schemas.StayState | None = None,
    call: Call = READ,
) -> list[schemas.StayOut]:
    """The stays overlapping the days from ``from`` to ``to`` (ISO dates of the clinic's
    calendar, both included; default: today and the next 30 days), by arrival."""
    first = start or service.clinic_today()
    last = end or first + dt.timedelta(days=DEFAULT_DAYS)
    return service.list_stays(call.session, call.actor, first, last, state)


@router.post("/stays", response_model=schemas.StayOut, status_code=201)
def book_stay(body: schemas.StayIn, call: Call = COORDINATE) -> schemas.StayOut:
    out = service.book_stay(call.session, call.actor, body)
    return call.tagged(call.created(out, f"/api/v1/stays/{out.id}"))


@router.get("/stays/{stay_id}", response_model=schemas.StayOut)
def get_stay(stay_id: int, call: Call = READ) -> schemas.StayOut:
    return call.tagged(service.get_stay(call.session, call.actor, stay_id))


@router.patch("/stays/{stay_id}", response_model=schemas.StayOut)
def update_stay(
    stay_id: int,
    body: schemas.StayPatch,
    if_match: str | None = Header(default=None),
    call: Call = COORDINATE,
) -> schemas.StayOut:
    version = parse_if_match(if_match, read_from="GET /api/v1/stays/{id}")
    return call.tagged(service.update_stay(call.session, call.actor, stay_id, body, version))


@router.post("/stays/{stay_id}/cancel", response_model=schemas.StayOut)
def cancel_stay(
    stay_id: int, body: schemas.CancellationIn, call: Call = COORDINATE
) -> schemas.StayOut:
    return service.cancel_stay(call.session, call.actor, stay_id, body)


@router.post("/stays/{stay_id}/complete", response_model=schemas.StayOut)
def complete_stay(stay_id: int, call: Call = COORDINATE) -> schemas.StayOut:
    return service.complete_stay(call.session, call.actor, stay_id)


@router.get("/stays/{stay_id}/checklist", response_model=list[schemas.ItemOut])
def checklist(stay_id: int, call: Call = READ) -> list[schemas.ItemOut]:
    """The stay's checklist: every item with its ``kind``, ``owner``, ``state``,
    details and version (send it back in ``If-Match`` to change the item)."""
    return service.checklist(call.session, call.actor, stay_id)


@router.post("/stays/{stay_id}/checklist", response_model=schemas.ItemOut, status_code=201)
def add_item(stay_id: int, body: schemas.ItemIn, call: Call = COORDINATE) -> schemas.ItemOut:
    out = service.add_item(call.session, call.actor, stay_id, body)
    return call.tagged(call.created(out, f"/api/v1/stays/{stay_id}/checklist/{out.id}"))


@router.patch("/stays/{stay_id}/checklist/{item_id}", response_model=schemas.ItemOut)
def update_item(
    stay_id: int,
    item_id: int,
    body: schemas.ItemPatch,
    if_match: str | None = Header(default=None),
    call: Call = COORDINATE,
) -> schemas.ItemOut:
    version = parse_if_match(if_match, read_from="GET /api/v1/stays/{id}/checklist")
    out = service.update_item(call.session, call.actor, stay_id, item_id, body, version)
    return call.tagged(out)


def letter_response(call: Call, stay_id: int, lang: str | None) -> Response:
    """The visa letter as a PDF to save (the API's and the pages')."""
    data = service.visa_letter(call.session, call.actor, stay_id, lang)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{service.LETTER_FILE}"'},
    )


@router.get("/stays/{stay_id}/invitation-letter.pdf")
def invitation_letter(
    stay_id: int, lang: schemas.LetterLanguage | None = None, call: Call = PLAN
) -> Response:
    """The visa invitation letter (PDF), in ``lang`` or the patient's language."""
    return letter_response(call, stay_id, lang)


@router.get("/stays/{stay_id}/travel-plan", response_model=schemas.TravelPlanOut)
def travel_plan(stay_id: int, call: Call = PLAN) -> schemas.TravelPlanOut:
    return service.travel_plan(call.session, call.actor, stay_id)


@router.post("/stays/{stay_id}/travel-plan", response_model=schemas.StayOut)
def send_travel_plan(stay_id: int, call: Call = COORDINATE) -> schemas.StayOut:
    """Email the travel plan to the patient in their language (through the outbox)."""
    return service.send_travel_plan(call.session, call.actor, stay_id)


@router.get("/patients/{patient_id}/stays", response_model=list[schemas.StayOut])
def patient_stays(patient_id: int, call: Call = READ) -> list[schemas.StayOut]:
    return service.stays_of_patient(call.session, call.actor, patient_id)


@router.get("/patients/{patient_id}/diet", response_model=schemas.DietOut)
def patient_diet(patient_id: int, call: Call = DIET_READ) -> schemas.DietOut:
    return service.get_diet(call.session, call.actor, patient_id)


@router.post(
    "/patients/{patient_id}/diet-restrictions",
    response_model=schemas.RestrictionOut,
    status_code=201,
)
def record_restriction(
    patient_id: int, body: schemas.RestrictionIn, call: Call = DIET_WRITE
) -> schemas.RestrictionOut:
    return service.record_restriction(call.session, call.actor, patient_id, body)


@router.post("/diet-restrictions/{restriction_id}/retract", response_model=schemas.RestrictionOut)
def retract_restriction(
    restriction_id: int, body: schemas.RetractionIn, call: Call = DIET_WRITE
) -> schemas.RestrictionOut:
    return service.retract_restriction(call.session, call.actor, restriction_id, body)


@router.get("/logistics/board", response_model=schemas.BoardOut)
def board(
    day: dt.date | None = None, call: Call = uses(ApiAccess(*service.BOARD_ROLES))
) -> schemas.BoardOut:
    """The coordinator board of a day of the clinic's calendar (default: today)."""
    return service.board(call.session, call.actor, day or service.clinic_today())
