"""JSON routes of the messages: a patient's threads, a thread with its messages, writing
in it, and the care team's queue, assignment, closing and reopening (with If-Match)."""

from __future__ import annotations

from fastapi import APIRouter, Header, Query

from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import parse_if_match
from respira.kit.web.routes import Call, uses
from respira.messages import schemas, service

router = APIRouter(prefix="/api/v1", tags=["messages"])

READ = uses(ApiAccess(*service.READ_ROLES))
CARE_TEAM = uses(ApiAccess(*service.CARE_TEAM))
READ_FROM = "GET /api/v1/threads/{id}"
Detail = schemas.ThreadDetail


@router.get("/patients/{patient_id}/threads", response_model=list[schemas.ThreadOut])
def list_threads(patient_id: int, call: Call = READ) -> list[schemas.ThreadOut]:
    return service.threads_for_patient(call.session, call.actor, patient_id)


@router.post("/patients/{patient_id}/threads", response_model=schemas.ThreadDetail, status_code=201)
def start_thread(patient_id: int, body: schemas.ThreadIn, call: Call = READ) -> Detail:
    return _written(call, service.start_thread(call.session, call.actor, patient_id, body))


@router.get("/threads/{thread_id}", response_model=schemas.ThreadDetail)
def read_thread(thread_id: int, call: Call = READ) -> schemas.ThreadDetail:
    return call.tagged(service.get_thread(call.session, call.actor, thread_id))


@router.post("/threads/{thread_id}/messages", response_model=schemas.ThreadDetail, status_code=201)
def write_message(thread_id: int, body: schemas.MessageIn, call: Call = READ) -> Detail:
    return _written(call, service.reply(call.session, call.actor, thread_id, body))


def _written(call: Call, out: Detail) -> Detail:
    """A thread after a message was written in it: its address and its version."""
    return call.created(call.tagged(out), f"/api/v1/threads/{out.id}")


@router.post("/threads/{thread_id}/assign", response_model=schemas.ThreadOut)
def assign(
    thread_id: int,
    body: schemas.AssignIn,
    if_match: str | None = Header(default=None),
    call: Call = CARE_TEAM,
) -> schemas.ThreadOut:
    version = parse_if_match(if_match, read_from=READ_FROM)
    return call.tagged(service.assign(call.session, call.actor, thread_id, body, version))


@router.post("/threads/{thread_id}/close", response_model=schemas.ThreadOut)
def close(
    thread_id: int, if_match: str | None = Header(default=None), call: Call = CARE_TEAM
) -> schemas.ThreadOut:
    version = parse_if_match(if_match, read_from=READ_FROM)
    return call.tagged(service.set_status(call.session, call.actor, thread_id, "closed", version))


@router.post("/threads/{thread_id}/reopen", response_model=schemas.ThreadOut)
def reopen(
    thread_id: int, if_match: str | None = Header(default=None), call: Call = CARE_TEAM
) -> schemas.ThreadOut:
    version = parse_if_match(if_match, read_from=READ_FROM)
    return call.tagged(service.set_status(call.session, call.actor, thread_id, "open", version))


@router.get("/message-queue", response_model=list[schemas.QueueRow])
def message_queue(
    show: str = Query(default="all", max_length=20), call: Call = CARE_TEAM
) -> list[schemas.QueueRow]:
    """Open threads waiting for the care team, the longest waiting first."""
    return service.queue(call.session, call.actor, show=show)
