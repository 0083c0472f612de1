"""JSON routes of diagnostics: visits under ``/api/v1/patients/{id}/visits`` and
``/api/v1/visits/{id}``, and the records of a visit. Each POST answers 201 with the
stored record, including what Respira computed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from respira.diagnostics import service
from respira.diagnostics.schemas import (
    RecordKind,
    RecordOut,
    RetractionIn,
    VisitIn,
    VisitList,
    VisitOut,
)
from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses

router = APIRouter(prefix="/api/v1", tags=["diagnostics"])

WRITE = uses(ApiAccess(*service.WRITE_ROLES))
READ = uses(ApiAccess(*service.READ_ROLES))


@router.post("/patients/{patient_id}/visits", response_model=VisitOut, status_code=201)
def create_visit(patient_id: int, body: VisitIn, call: Call = WRITE) -> VisitOut:
    out = service.create_visit(call.session, call.actor, patient_id, body)
    return call.created(out, f"/api/v1/visits/{out.id}")


@router.get("/patients/{patient_id}/visits", response_model=VisitList)
def list_visits(patient_id: int, call: Call = READ) -> VisitList:
    return service.list_visits(call.session, call.actor, patient_id)


@router.get("/visits/{visit_id}", response_model=VisitOut)
def read_visit(visit_id: int, call: Call = READ) -> VisitOut:
    return service.get_visit(call.session, call.actor, visit_id)


def _add_record_route(kind: str, use_case: service.RecordUseCase) -> None:
    """``POST /visits/{visit_id}/<kind>``: record one kind of record at a visit."""

    def record(visit_id: int, body: BaseModel, call: Call = WRITE) -> Any:
        return use_case.record(call.session, call.actor, visit_id, body)

    record.__name__ = use_case.record.__name__
    record.__annotations__["body"] = use_case.body
    router.add_api_route(
        f"/visits/{{visit_id}}/{kind}",
        record,
        methods=["POST"],
        response_model=use_case.out,
        status_code=201,
    )


for _kind, _use_case in service.RECORD_USE_CASES.items():
    _add_record_route(_kind, _use_case)


@router.post("/visits/{visit_id}/retract", response_model=VisitOut)
def retract_visit(visit_id: int, body: RetractionIn, call: Call = WRITE) -> VisitOut:
    """Mark the visit as entered in error (with a reason); nothing is deleted."""
    return service.retract_visit(call.session, call.actor, visit_id, body)


@router.post("/visits/{visit_id}/{kind}/{record_id}/retract", response_model=RecordOut)
def retract_record(
    visit_id: int, kind: RecordKind, record_id: int, body: RetractionIn, call: Call = WRITE
) -> Any:
    """Mark one record as entered in error (with a reason); enter the right values as a
    new record."""
    return service.retract_record(call.session, call.actor, visit_id, kind, record_id, body)
