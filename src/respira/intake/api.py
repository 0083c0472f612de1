"""JSON routes of the intake step under ``/api/v1/consultation-requests``: the public
submission, and the coordinators' queue, record, change and conversion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from respira.intake import service
from respira.intake.http import rate_limit_for
from respira.intake.schemas import (
    ConsultationRequestIn,
    ConsultationRequestOut,
    ConsultationRequestPage,
    ConsultationRequestPatch,
    ConversionIn,
    ConversionOut,
    Status,
)
from respira.kit import validation
from respira.kit.errors import InvalidInput
from respira.kit.web.deps import ApiAccess, Public
from respira.kit.web.http import parse_if_match
from respira.kit.web.routes import Call, uses
from respira.kit.web.templating import request_lang
from respira.patients.service import ProbableDuplicate
from respira.patients.web import DUPLICATE_RESPONSES, duplicate_answer

router = APIRouter(prefix="/api/v1/consultation-requests", tags=["intake"])
TRIAGE = uses(ApiAccess(*service.TRIAGE_ROLES))


_READ = "GET /api/v1/consultation-requests/{id}"


@router.post("", response_model=ConsultationRequestOut, status_code=201)
def submit(
    body: ConsultationRequestIn, call: Call = uses(Public(api=True))
) -> ConsultationRequestOut:
    """Submit a consultation or call-back request (no sign-in; rate-limited per client
    address). ``consent`` must be true and ``consent_text_version`` the current
    version of the consent wording. The language of the request (for the consent and
    the default preferred language) is taken from Accept-Language."""
    rate = rate_limit_for(call.request)
    service.check_rate(call.session, rate)
    out = service.submit_request(
        call.session, body, rate=rate, channel="api", language=request_lang(call.request)
    )
    return call.created(call.tagged(out), f"/api/v1/consultation-requests/{out.id}")


def parse_filter(
    status: list[Status] | None, country: str | None, language: str | None
) -> service.QueueFilter:
    try:
        code = validation.country_code(country) if country else None
    except ValueError as exc:
        raise InvalidInput({"country": str(exc)}) from exc
    try:
        lang = validation.language_tag(language) if language else None
    except ValueError as exc:
        raise InvalidInput({"language": str(exc)}) from exc
    return service.QueueFilter(statuses=tuple(status or ()), country=code, language=lang)


@router.get("", response_model=ConsultationRequestPage)
def queue(
    status: Annotated[list[Status] | None, Query()] = None,
    country: Annotated[str | None, Query(max_length=2)] = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 20,
    call: Call = TRIAGE,
) -> ConsultationRequestPage:
    """The triage queue, newest first; ``status`` may be repeated."""
    flt = parse_filter(status, country, language)
    return service.list_requests(call.session, call.actor, flt, page, page_size)


@router.get("/{consultation_request_id}", response_model=ConsultationRequestOut)
def read(consultation_request_id: int, call: Call = TRIAGE) -> ConsultationRequestOut:
    return call.tagged(service.get_request(call.session, call.actor, consultation_request_id))


@router.patch("/{consultation_request_id}", response_model=ConsultationRequestOut)
def update(
    consultation_request_id: int,
    body: ConsultationRequestPatch,
    if_match: str | None = Header(default=None),
    call: Call = TRIAGE,
) -> ConsultationRequestOut:
    """Change the status (new → contacted | scheduled | declined, contacted → scheduled
    | declined, scheduled → declined; a decline needs ``decline_reason``) and/or the
    ``notes``. Send If-Match with the version read; a stale version answers 409, an
    illegal transition 409."""
    version = parse_if_match(if_match, read_from=_READ)
    return call.tagged(
        service.update_request(call.session, call.actor, consultation_request_id, body, version)
    )


@router.post(
    "/{consultation_request_id}/convert",
    response_model=ConversionOut,
    status_code=201,
    responses=DUPLICATE_RESPONSES,
)
def convert(
    consultation_request_id: int,
    body: ConversionIn,
    if_match: str | None = Header(default=None),
    call: Call = TRIAGE,
) -> ConversionOut | JSONResponse:
    """Create the patient from the request (names, contact, country and language are
    carried over unless sent) and link the two; the request becomes converted. A
    probable duplicate of a registered patient answers 409 with the candidates, as
    ``POST /api/v1/patients`` does; send ``not_a_duplicate_of`` with their ids if they
    are other people."""
    version = parse_if_match(if_match, read_from=_READ)
    request_id = consultation_request_id
    data = service.patient_in_from_conversion(call.session, call.actor, request_id, body)
    try:
        out = service.convert_to_patient(
            call.session,
            call.actor,
            request_id,
            data,
            version,
            reason=body.reason,
            not_a_duplicate_of=body.not_a_duplicate_of,
        )
    except ProbableDuplicate as exc:
        return duplicate_answer(exc)
    call.tagged(out.consultation_request)
    return call.created(out, f"/api/v1/patients/{out.patient.id}")
