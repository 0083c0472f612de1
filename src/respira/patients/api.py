"""JSON routes of the patient registry under ``/api/v1/patients``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import etag, parse_if_match
from respira.kit.web.routes import Call, uses
from respira.patients import service
from respira.patients.schemas import PatientIn, PatientOut, PatientPage, PatientPatch

router = APIRouter(prefix="/api/v1/patients", tags=["patients"])

WRITE = uses(ApiAccess(*service.WRITE_ROLES))


@router.post("", response_model=PatientOut, status_code=201)
def create(body: PatientIn, call: Call = WRITE) -> PatientOut:
    out = service.create_patient(call.session, call.actor, body)
    return call.created(call.tagged(out), f"/api/v1/patients/{out.id}")


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
