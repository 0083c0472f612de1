"""JSON routes of the patient registry under ``/api/v1/patients``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import etag, parse_if_match
from respira.kit.web.routes import Call, uses
from respira.patients import service
from respira.patients.schemas import (
    DuplicateCandidateOut,
    PatientOut,
    PatientPage,
    PatientPatch,
    PatientRegistration,
)
from respira.patients.web import DUPLICATE_RESPONSES, duplicate_answer

router = APIRouter(prefix="/api/v1/patients", tags=["patients"])

WRITE = uses(ApiAccess(*service.WRITE_ROLES))


@router.post("", response_model=PatientOut, status_code=201, responses=DUPLICATE_RESPONSES)
def create(body: PatientRegistration, call: Call = WRITE) -> PatientOut | JSONResponse:
    """Register a patient. A probable duplicate of a registered patient (the same date
    of birth and a similar name, or the same email or phone) answers 409 with the
    candidates; the same body with ``not_a_duplicate_of`` listing all of them
    registers the patient, and the statement is audited."""
    try:
        out = service.create_patient(call.session, call.actor, body)
    except service.ProbableDuplicate as exc:
        return duplicate_answer(exc)
    return call.created(call.tagged(out), f"/api/v1/patients/{out.id}")


@router.get("/duplicate-candidates", response_model=list[DuplicateCandidateOut])
async def duplicate_candidates(
    request: Request,
    first_name: str = Query(min_length=1, max_length=100),
    last_name: str = Query(min_length=1, max_length=100),
    date_of_birth: dt.date | None = Query(default=None),
    email: str | None = Query(default=None, max_length=254),
    phone: str | None = Query(default=None, max_length=32),
    country: str | None = Query(default=None, min_length=2, max_length=2),
    actor: Actor = Depends(ApiAccess(*service.WRITE_ROLES)),
) -> list[DuplicateCandidateOut]:
    """The registered patients who may be the person described (the check a
    registration runs), for a form to show before it is sent."""
    # One pre-built read of the few rows sharing a birth date, email or phone, on the
    # event loop like the single-patient read: the hop to the thread pool cost more
    # than the check (docs/decisions/2026-11-23-hot-reads-on-the-event-loop.md).
    db: Database = request.app.state.db
    with db.single_read() as conn:
        found = service.find_duplicates(
            conn,
            actor,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            email=email,
            phone=phone,
            country=country.upper() if country else None,
        )
    return [c.out() for c in found]


@router.get("", response_model=PatientPage)
def search(
    q: str | None = Query(default=None, max_length=100),
    page: int = Query(default=1, ge=1, le=100_000),
    page_size: int = Query(default=20, ge=1, le=service.MAX_PAGE_SIZE),
    call: Call = uses(ApiAccess(*service.READ_ROLES)),
) -> PatientPage:
    return service.search_patients(call.session, call.actor, q, page, page_size)


@router.get("/{patient_id}", response_model=PatientOut)
async def read(
    patient_id: int,
    request: Request,
    response: Response,
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> PatientOut:
    # A single primary-key read runs on the event loop: a hop to the thread pool costs
    # more than the query (see docs/decisions/2026-11-23-hot-reads-on-the-event-loop.md).
    db: Database = request.app.state.db
    with db.single_read() as conn:
        out = service.get_patient(conn, actor, patient_id)
    # The read is noted by the kit's hook once answered (kit.web.reads): queued, never waits.
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/{patient_id}", response_model=PatientOut)
def update(
    patient_id: int,
    body: PatientPatch,
    if_match: str | None = Header(default=None),
    call: Call = WRITE,
) -> PatientOut:
    version = parse_if_match(if_match, read_from="GET /api/v1/patients/{id}")
    return call.tagged(service.update_patient(call.session, call.actor, patient_id, body, version))
