"""JSON routes of the registry exits: a patient's exits (list, record), one exit, and
its retraction."""

from __future__ import annotations

from fastapi import APIRouter

from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses
from respira.outcomes import service
from respira.outcomes.schemas import ExitIn, ExitOut, ExitRetractIn

router = APIRouter(prefix="/api/v1", tags=["outcomes"])
READ = uses(ApiAccess(*service.EXIT_READ_ROLES))
WRITE = uses(ApiAccess(*service.EXIT_WRITE_ROLES))


@router.get("/patients/{patient_id}/registry-exits", response_model=list[ExitOut])
def list_exits(patient_id: int, call: Call = READ) -> list[ExitOut]:
    return service.list_exits(call.session, call.actor, patient_id)


@router.post("/patients/{patient_id}/registry-exits", response_model=ExitOut, status_code=201)
def record_exit(patient_id: int, body: ExitIn, call: Call = WRITE) -> ExitOut:
    """Record that the patient withdrew, died or was lost to follow-up (422 naming the
    field for a day in the future or before the first treated course)."""
    out = service.record_exit(call.session, call.actor, patient_id, body)
    return call.created(out, f"/api/v1/registry-exits/{out.id}")


@router.get("/registry-exits/{exit_id}", response_model=ExitOut)
def read_exit(exit_id: int, call: Call = READ) -> ExitOut:
    return service.get_exit(call.session, call.actor, exit_id)


@router.post("/registry-exits/{exit_id}/retract", response_model=ExitOut)
def retract_exit(exit_id: int, body: ExitRetractIn, call: Call = WRITE) -> ExitOut:
    """Retract an exit entered in error (409 when it was retracted already)."""
    return service.retract_exit(call.session, call.actor, exit_id, body)
