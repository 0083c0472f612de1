"""JSON routes of the intake step under ``/api/v1/consultation-requests``: the public
submission, and the coordinators' queue, record, change and conversion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.orm import Session

from respira.intake import service
from respira.intake.http import LimitedBodyRoute, rate_limit_for
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
from respira.kit.actors import Actor
from respira.kit.errors import InvalidInput
from respira.kit.web.deps import ApiAccess, Public, get_db
from respira.kit.web.http import etag, parse_if_match
from respira.kit.web.templating import request_lang

router = APIRouter(
    prefix="/api/v1/consultation-requests", tags=["intake"], route_class=LimitedBodyRoute
)
TRIAGE = service.TRIAGE_ROLES


_READ = "GET /api/v1/consultation-requests/{id}"


@router.post("", response_model=ConsultationRequestOut, status_code=201)
def submit(
    body: ConsultationRequestIn,
    request: Request,
    response: Response,
    session: Session = Depends(get_db),
    _: Actor = Depends(Public(api=True)),
) -> ConsultationRequestOut:
    """Submit a consultation or call-back request (no sign-in; rate-limited per client
    address). ``consent`` must be true and ``consent_text_version`` the current
    version of the consent wording. The language of the request (for the consent and
    the default preferred language) is taken from Accept-Language."""
    rate = rate_limit_for(request)
    service.check_rate(session, rate)
    out = service.submit_request(
        session, body, rate=rate, channel="api", language=request_lang(request)
    )
    response.headers["ETag"] = etag(out.version)
    response.headers["Location"] = f"/api/v1/consultation-requests/{out.id}"
    return out


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
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*TRIAGE)),
) -> ConsultationRequestPage:
    """The triage queue, newest first; ``status`` may be repeated."""
    flt = parse_filter(status, country, language)
    return service.list_requests(session, actor, flt, page, page_size)


@router.get("/{consultation_request_id}", response_model=ConsultationRequestOut)
def read(
    consultation_request_id: int,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*TRIAGE)),
) -> ConsultationRequestOut:
    out = service.get_request(session, actor, consultation_request_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/{consultation_request_id}", response_model=ConsultationRequestOut)
def update(
    consultation_request_id: int,
    body: ConsultationRequestPatch,
    response: Response,
    if_match: str | None = Header(default=None),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*TRIAGE)),
) -> ConsultationRequestOut:
    """Change the status (new → contacted | scheduled | declined, contacted → scheduled
    | declined, scheduled → declined; a decline needs ``decline_reason``) and/or the
    ``notes``. Send If-Match with the version read; a stale version answers 409, an
    illegal transition 409."""
    version = parse_if_match(if_match, read_from=_READ)
    out = service.update_request(session, actor, consultation_request_id, body, version)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("/{consultation_request_id}/convert", response_model=ConversionOut, status_code=201)
def convert(
    consultation_request_id: int,
    body: ConversionIn,
    response: Response,
    if_match: str | None = Header(default=None),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*TRIAGE)),
) -> ConversionOut:
    """Create the patient from the request (names, contact, country and language are
    carried over unless sent) and link the two; the request becomes converted."""
    version = parse_if_match(if_match, read_from=_READ)
    data = service.patient_in_from_conversion(session, actor, consultation_request_id, body)
    out = service.convert_to_patient(
        session, actor, consultation_request_id, data, version, reason=body.reason
    )
    response.headers["ETag"] = etag(out.consultation_request.version)
    response.headers["Location"] = f"/api/v1/patients/{out.patient.id}"
    return out
