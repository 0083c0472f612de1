"""JSON routes of the patient registry under ``/api/v1/patients``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.kit.errors import InvalidInput, PreconditionRequired
from respira.kit.web.deps import ApiAccess, get_db
from respira.patients import service
from respira.patients.schemas import PatientIn, PatientOut, PatientPage, PatientPatch

router = APIRouter(prefix="/api/v1/patients", tags=["patients"])


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int:
    if value is None:
        raise PreconditionRequired(
            "send If-Match with the version you read (the ETag of GET /api/v1/patients/{id})"
        )
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise InvalidInput({"If-Match": 'must be the record\'s version, such as "3"'})
    return int(text)


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
    version = parse_if_match(if_match)
    out = service.update_patient(session, actor, patient_id, body, version)
    response.headers["ETag"] = etag(out.version)
    return out
