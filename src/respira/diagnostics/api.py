"""JSON routes of diagnostics: visits under ``/api/v1/patients/{id}/visits`` and
``/api/v1/visits/{id}``, and the records of a visit. Each POST answers 201 with the
stored record, including what Respira computed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from respira.diagnostics import service
from respira.diagnostics.schemas import (
    HistoryIn,
    HistoryOut,
    ImagingIn,
    ImagingOut,
    MarkersIn,
    MarkersOut,
    QuestionnaireIn,
    QuestionnaireOut,
    RecordKind,
    RetractionIn,
    SpirometryIn,
    SpirometryOut,
    VisitIn,
    VisitList,
    VisitOut,
)
from respira.kit.actors import Actor
from respira.kit.web.deps import ApiAccess, get_db

router = APIRouter(prefix="/api/v1", tags=["diagnostics"])

_write = ApiAccess(*service.WRITE_ROLES)
_read = ApiAccess(*service.READ_ROLES)


@router.post("/patients/{patient_id}/visits", response_model=VisitOut, status_code=201)
def create_visit(
    patient_id: int,
    body: VisitIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> VisitOut:
    out = service.create_visit(session, actor, patient_id, body)
    response.headers["Location"] = f"/api/v1/visits/{out.id}"
    return out


@router.get("/patients/{patient_id}/visits", response_model=VisitList)
def list_visits(
    patient_id: int, session: Session = Depends(get_db), actor: Actor = Depends(_read)
) -> VisitList:
    return service.list_visits(session, actor, patient_id)


@router.get("/visits/{visit_id}", response_model=VisitOut)
def read_visit(
    visit_id: int, session: Session = Depends(get_db), actor: Actor = Depends(_read)
) -> VisitOut:
    return service.get_visit(session, actor, visit_id)


@router.post("/visits/{visit_id}/spirometry", response_model=SpirometryOut, status_code=201)
def record_spirometry(
    visit_id: int,
    body: SpirometryIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> SpirometryOut:
    return service.record_spirometry(session, actor, visit_id, body)


@router.post("/visits/{visit_id}/markers", response_model=MarkersOut, status_code=201)
def record_markers(
    visit_id: int,
    body: MarkersIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> MarkersOut:
    return service.record_markers(session, actor, visit_id, body)


@router.post("/visits/{visit_id}/imaging", response_model=ImagingOut, status_code=201)
def record_imaging(
    visit_id: int,
    body: ImagingIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> ImagingOut:
    return service.record_imaging(session, actor, visit_id, body)


@router.post("/visits/{visit_id}/questionnaires", response_model=QuestionnaireOut, status_code=201)
def record_questionnaire(
    visit_id: int,
    body: QuestionnaireIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> QuestionnaireOut:
    return service.record_questionnaire(session, actor, visit_id, body)


@router.post("/visits/{visit_id}/history", response_model=HistoryOut, status_code=201)
def record_history(
    visit_id: int,
    body: HistoryIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> HistoryOut:
    return service.record_history(session, actor, visit_id, body)


@router.post("/visits/{visit_id}/retract", response_model=VisitOut)
def retract_visit(
    visit_id: int,
    body: RetractionIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> VisitOut:
    """Mark the visit as entered in error (with a reason); nothing is deleted."""
    return service.retract_visit(session, actor, visit_id, body)


@router.post(
    "/visits/{visit_id}/{kind}/{record_id}/retract",
    response_model=SpirometryOut | MarkersOut | ImagingOut | QuestionnaireOut | HistoryOut,
)
def retract_record(
    visit_id: int,
    kind: RecordKind,
    record_id: int,
    body: RetractionIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(_write),
) -> Any:
    """Mark one record as entered in error (with a reason); enter the right values as a
    new record."""
    return service.retract_record(session, actor, visit_id, kind, record_id, body)
