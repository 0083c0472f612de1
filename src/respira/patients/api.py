"""JSON routes of the patient registry under ``/api/v1/patients``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.kit.web.deps import ApiAccess, get_db
from respira.kit.web.http import etag, parse_if_match
from respira.patients import service
from respira.patients.schemas import PatientIn, PatientOut, PatientPage, PatientPatch

router = APIRouter(prefix="/api/v1/patients", tags=["patients"])


@router.post("", response_model=PatientOut, status_code=201)
def create(
    body: PatientIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WRITE_ROLES)),
) -> PatientOut:
    out = service.create_patient(session, actor, body)
    response.headers["ETag"] = etag(out.version)
    response.headers["Location"] = f"/api/v1/patients/{out.id}"
    return out


@router.get("", response_model=PatientPage)
def search(
    q: str | None = Query(default=None, max_length=100),
    page: int = Query(default=1, ge=1, le=100_000),
    page_size: int = Query(default=20, ge=1, le=service.MAX_PAGE_SIZE),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> PatientPage:
    return service.search_patients(session, actor, q, page, page_size)


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
    response: Response,
    if_match: str | None = Header(default=None),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WRITE_ROLES)),
) -> PatientOut:
    version = parse_if_match(if_match, read_from="GET /api/v1/patients/{id}")
    out = service.update_patient(session, actor, patient_id, body, version)
    response.headers["ETag"] = etag(out.version)
    return out
