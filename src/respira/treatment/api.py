"""JSON routes of the stay: bedside checks, administrations, admissions, discharge,
supporting sessions and the ward board."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Body, Query

from respira.kit.clinic_time import clinic_today
from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses
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

WARD = uses(ApiAccess(*service.WARD_ROLES))
ADMINISTRATION_READ = uses(ApiAccess(*service.ADMINISTRATION_READ_ROLES))
BOARD = uses(ApiAccess(*service.BOARD_ROLES))


@router.post("/bedside-checks", response_model=BedsideCheckOut)
def bedside_check(body: BedsideCheckIn, call: Call = WARD) -> BedsideCheckOut:
    """Go or no-go (200 either way, with the reasons); 400 for a malformed DIN."""
    return service.check_at_bedside(call.session, call.actor, body)


@router.post("/administrations", response_model=AdministrationOut, status_code=201)
def record_administration(body: AdministrationIn, call: Call = WARD) -> AdministrationOut:
    out = service.record_administration(call.session, call.actor, body)
    return call.created(out, f"/api/v1/administrations/{out.id}")


@router.get("/administrations/{administration_id}", response_model=AdministrationOut)
def read_administration(
    administration_id: int, call: Call = ADMINISTRATION_READ
) -> AdministrationOut:
    return service.get_administration(call.session, call.actor, administration_id)


@router.get("/patients/{patient_id}/administrations", response_model=list[AdministrationOut])
def list_administrations(
    patient_id: int, call: Call = ADMINISTRATION_READ
) -> list[AdministrationOut]:
    return service.list_administrations(call.session, call.actor, patient_id)


@router.post("/patients/{patient_id}/admissions", response_model=AdmissionOut, status_code=201)
def admit(patient_id: int, body: AdmissionIn, call: Call = WARD) -> AdmissionOut:
    return service.admit(call.session, call.actor, patient_id, body)


@router.get("/patients/{patient_id}/admissions", response_model=list[AdmissionOut])
def list_admissions(patient_id: int, call: Call = BOARD) -> list[AdmissionOut]:
    return service.list_admissions(call.session, call.actor, patient_id)


@router.post("/admissions/{admission_id}/discharge", response_model=AdmissionOut)
def discharge(
    admission_id: int, body: DischargeIn | None = Body(default=None), call: Call = WARD
) -> AdmissionOut:
    return service.discharge(call.session, call.actor, admission_id, body or DischargeIn())


@router.post("/supporting-sessions", response_model=SupportingSessionOut, status_code=201)
def record_supporting_session(body: SupportingSessionIn, call: Call = WARD) -> SupportingSessionOut:
    return service.record_supporting_session(call.session, call.actor, body)


@router.get("/ward", response_model=WardBoard)
def ward(day: dt.date | None = Query(default=None), call: Call = BOARD) -> WardBoard:
    """The ward board of ``day``, by default today on the clinic's calendar."""
    return service.ward_board(call.session, call.actor, day or clinic_today())
