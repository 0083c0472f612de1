"""JSON routes of screening: criteria sets, findings, screenings and their signature."""

from __future__ import annotations

from fastapi import APIRouter, Body, Header

from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import parse_if_match
from respira.kit.web.routes import Call, uses
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

CRITERIA_READ = uses(ApiAccess(*service.CRITERIA_READ_ROLES))
CRITERIA_ADMIN = uses(ApiAccess(*service.CRITERIA_ADMIN_ROLES))
CLINICAL = uses(ApiAccess(*service.CLINICAL_ROLES))
READ = uses(ApiAccess(*service.READ_ROLES))

_READ = "GET /api/v1/screenings/{id}"


@router.get("/screening/criteria-sets", response_model=list[CriteriaSetSummary])
def list_criteria_sets(call: Call = CRITERIA_READ) -> list[CriteriaSetSummary]:
    return service.list_criteria_sets(call.session, call.actor)


@router.post("/screening/criteria-sets", response_model=CriteriaSetOut, status_code=201)
def create_criteria_set(body: CriteriaSetIn, call: Call = CRITERIA_ADMIN) -> CriteriaSetOut:
    out = service.create_criteria_set(call.session, call.actor, body)
    return call.created(out, f"/api/v1/screening/criteria-sets/{out.id}")


@router.get("/screening/criteria-sets/{set_id}", response_model=CriteriaSetOut)
def read_criteria_set(set_id: int, call: Call = CRITERIA_READ) -> CriteriaSetOut:
    return service.get_criteria_set(call.session, call.actor, set_id)


@router.post("/screening/criteria-sets/{set_id}/activate", response_model=CriteriaSetOut)
def activate_criteria_set(set_id: int, call: Call = CRITERIA_ADMIN) -> CriteriaSetOut:
    return service.activate_criteria_set(call.session, call.actor, set_id)


@router.post(
    "/patients/{patient_id}/screening-findings", response_model=FindingsOut, status_code=201
)
def record_findings(patient_id: int, body: FindingsIn, call: Call = CLINICAL) -> FindingsOut:
    return service.record_findings(call.session, call.actor, patient_id, body)


@router.get("/patients/{patient_id}/screening-findings", response_model=list[FindingsOut])
def list_findings(patient_id: int, call: Call = READ) -> list[FindingsOut]:
    return service.list_findings(call.session, call.actor, patient_id)


@router.post("/patients/{patient_id}/screenings", response_model=ScreeningOut, status_code=201)
def evaluate(
    patient_id: int, body: ScreeningIn | None = Body(default=None), call: Call = CLINICAL
) -> ScreeningOut:
    note = body.note if body is not None else None
    out = service.evaluate_screening(call.session, call.actor, patient_id, note=note)
    return call.created(call.tagged(out), f"/api/v1/screenings/{out.id}")


@router.get("/patients/{patient_id}/screenings", response_model=list[ScreeningOut])
def list_screenings(patient_id: int, call: Call = READ) -> list[ScreeningOut]:
    return service.list_screenings(call.session, call.actor, patient_id)


@router.get("/screenings/{screening_id}", response_model=ScreeningOut)
def read_screening(screening_id: int, call: Call = READ) -> ScreeningOut:
    return call.tagged(service.get_screening(call.session, call.actor, screening_id))


@router.post("/screenings/{screening_id}/sign", response_model=ScreeningOut)
def sign(
    screening_id: int,
    body: SignIn,
    if_match: str | None = Header(default=None),
    call: Call = uses(ApiAccess(*service.SIGN_ROLES), signature="password"),
) -> ScreeningOut:
    """Sign the screening as read: ``If-Match`` with its ETag is required (428 without
    it, 409 when the screening changed since it was read)."""
    version = None if if_match is None else parse_if_match(if_match, read_from=_READ)
    return service.sign_screening(
        call.session,
        call.actor,
        screening_id,
        password=body.password,
        meaning=body.meaning,
        expected_version=version,
    )


@router.patch("/screenings/{screening_id}", response_model=ScreeningOut)
def update_note(
    screening_id: int,
    body: NoteIn,
    if_match: str | None = Header(default=None),
    call: Call = CLINICAL,
) -> ScreeningOut:
    version = None if if_match is None else parse_if_match(if_match, read_from=_READ)
    return call.tagged(service.update_note(call.session, call.actor, screening_id, body, version))
