"""JSON routes of screening: criteria sets, findings, screenings and their signature."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Header, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import ApiAccess, get_db
from respira.kit.web.http import etag, parse_if_match
from respira.screening import service
from respira.screening.schemas import (
    CriteriaSetIn,
    CriteriaSetOut,
    CriteriaSetSummary,
    FindingsIn,
    FindingsOut,
    NoteIn,
    ScreeningIn,
    ScreeningOut,
    SignIn,
)

router = APIRouter(prefix="/api/v1", tags=["screening"])


_READ = "GET /api/v1/screenings/{id}"


@router.get("/screening/criteria-sets", response_model=list[CriteriaSetSummary])
def list_criteria_sets(
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CRITERIA_READ_ROLES)),
) -> list[CriteriaSetSummary]:
    return service.list_criteria_sets(session, actor)


@router.post("/screening/criteria-sets", response_model=CriteriaSetOut, status_code=201)
def create_criteria_set(
    body: CriteriaSetIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CRITERIA_ADMIN_ROLES)),
) -> CriteriaSetOut:
    out = service.create_criteria_set(session, actor, body)
    response.headers["Location"] = f"/api/v1/screening/criteria-sets/{out.id}"
    return out


@router.get("/screening/criteria-sets/{set_id}", response_model=CriteriaSetOut)
def read_criteria_set(
    set_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CRITERIA_READ_ROLES)),
) -> CriteriaSetOut:
    return service.get_criteria_set(session, actor, set_id)


@router.post("/screening/criteria-sets/{set_id}/activate", response_model=CriteriaSetOut)
def activate_criteria_set(
    set_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CRITERIA_ADMIN_ROLES)),
) -> CriteriaSetOut:
    return service.activate_criteria_set(session, actor, set_id)


@router.post(
    "/patients/{patient_id}/screening-findings", response_model=FindingsOut, status_code=201
)
def record_findings(
    patient_id: int,
    body: FindingsIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CLINICAL_ROLES)),
) -> FindingsOut:
    return service.record_findings(session, actor, patient_id, body)


@router.get("/patients/{patient_id}/screening-findings", response_model=list[FindingsOut])
def list_findings(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> list[FindingsOut]:
    return service.list_findings(session, actor, patient_id)


@router.post("/patients/{patient_id}/screenings", response_model=ScreeningOut, status_code=201)
def evaluate(
    patient_id: int,
    response: Response,
    body: ScreeningIn | None = Body(default=None),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CLINICAL_ROLES)),
) -> ScreeningOut:
    out = service.evaluate_screening(
        session, actor, patient_id, note=body.note if body is not None else None
    )
    response.headers["Location"] = f"/api/v1/screenings/{out.id}"
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/patients/{patient_id}/screenings", response_model=list[ScreeningOut])
def list_screenings(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> list[ScreeningOut]:
    return service.list_screenings(session, actor, patient_id)


@router.get("/screenings/{screening_id}", response_model=ScreeningOut)
def read_screening(
    screening_id: int,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> ScreeningOut:
    out = service.get_screening(session, actor, screening_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("/screenings/{screening_id}/sign", response_model=ScreeningOut)
def sign(
    screening_id: int,
    body: SignIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.SIGN_ROLES)),
) -> ScreeningOut:
    return service.sign_screening(
        session, actor, screening_id, password=body.password, meaning=body.meaning
    )


@router.patch("/screenings/{screening_id}", response_model=ScreeningOut)
def update_note(
    screening_id: int,
    body: NoteIn,
    response: Response,
    if_match: str | None = Header(default=None),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CLINICAL_ROLES)),
) -> ScreeningOut:
    version = None if if_match is None else parse_if_match(if_match, read_from=_READ)
    out = service.update_note(session, actor, screening_id, body, version)
    response.headers["ETag"] = etag(out.version)
    return out
