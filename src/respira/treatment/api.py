"""JSON routes of the stay: bedside checks, administrations, admissions, discharge,
supporting sessions and the ward board."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Body, Depends, Query, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.validation import today_utc
from respira.kit.web.deps import ApiAccess, get_db
from respira.treatment import service
from respira.treatment.schemas import (
    AdministrationIn,
    AdministrationOut,
    AdmissionIn,
    AdmissionOut,
    BedsideCheckIn,
    BedsideCheckOut,
    DischargeIn,
    SupportingSessionIn,
    SupportingSessionOut,
    WardBoard,
)

router = APIRouter(prefix="/api/v1", tags=["treatment"])


@router.post("/bedside-checks", response_model=BedsideCheckOut)
def bedside_check(
    body: BedsideCheckIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WARD_ROLES)),
) -> BedsideCheckOut:
    """Go or no-go (200 either way, with the reasons); 400 for a malformed DIN."""
    return service.check_at_bedside(session, actor, body)


@router.post("/administrations", response_model=AdministrationOut, status_code=201)
def record_administration(
    body: AdministrationIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WARD_ROLES)),
) -> AdministrationOut:
    out = service.record_administration(session, actor, body)
    response.headers["Location"] = f"/api/v1/administrations/{out.id}"
    return out


@router.get("/administrations/{administration_id}", response_model=AdministrationOut)
def read_administration(
    administration_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.ADMINISTRATION_READ_ROLES)),
) -> AdministrationOut:
    return service.get_administration(session, actor, administration_id)


@router.get("/patients/{patient_id}/administrations", response_model=list[AdministrationOut])
def list_administrations(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.ADMINISTRATION_READ_ROLES)),
) -> list[AdministrationOut]:
    return service.list_administrations(session, actor, patient_id)


@router.post("/patients/{patient_id}/admissions", response_model=AdmissionOut, status_code=201)
def admit(
    patient_id: int,
    body: AdmissionIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WARD_ROLES)),
) -> AdmissionOut:
    return service.admit(session, actor, patient_id, body)


@router.get("/patients/{patient_id}/admissions", response_model=list[AdmissionOut])
def list_admissions(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.BOARD_ROLES)),
) -> list[AdmissionOut]:
    return service.list_admissions(session, actor, patient_id)


@router.post("/admissions/{admission_id}/discharge", response_model=AdmissionOut)
def discharge(
    admission_id: int,
    body: DischargeIn | None = Body(default=None),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WARD_ROLES)),
) -> AdmissionOut:
    return service.discharge(session, actor, admission_id, body or DischargeIn())


@router.post("/supporting-sessions", response_model=SupportingSessionOut, status_code=201)
def record_supporting_session(
    body: SupportingSessionIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WARD_ROLES)),
) -> SupportingSessionOut:
    return service.record_supporting_session(session, actor, body)


@router.get("/ward", response_model=WardBoard)
def ward(
    day: dt.date | None = Query(default=None),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.BOARD_ROLES)),
) -> WardBoard:
    return service.ward_board(session, actor, day or today_utc())
