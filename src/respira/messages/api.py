"""JSON routes of the messages: a patient's threads, a thread with its messages, writing
in it, and the care team's queue, assignment, closing and reopening (with If-Match)."""

from __future__ import annotations

from fastapi import APIRouter, Header, Query

from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import parse_if_match
from respira.kit.web.routes import Call, uses
from respira.messages import service
from respira.messages.schemas import (
    AssignIn,
    MessageIn,
    QueueRow,
    ThreadDetail,
    ThreadIn,
    ThreadOut,
)

router = APIRouter(prefix="/api/v1", tags=["messages"])

READ = uses(ApiAccess(*service.READ_ROLES))
CARE_TEAM = uses(ApiAccess(*service.CARE_TEAM))
READ_FROM = "GET /api/v1/threads/{id}"


@router.get("/patients/{patient_id}/threads", response_model=list[ThreadOut])
def list_threads(patient_id: int, call: Call = READ) -> list[ThreadOut]:
    return service.threads_for_patient(call.session, call.actor, patient_id)


@router.post("/patients/{patient_id}/threads", response_model=ThreadDetail, status_code=201)
def start_thread(patient_id: int, body: ThreadIn, call: Call = READ) -> ThreadDetail:
    out = service.start_thread(call.session, call.actor, patient_id, body)
    return call.created(call.tagged(out), f"/api/v1/threads/{out.id}")


@router.get("/threads/{thread_id}", response_model=ThreadDetail)
def read_thread(thread_id: int, call: Call = READ) -> ThreadDetail:
    return call.tagged(service.get_thread(call.session, call.actor, thread_id))


@router.post("/threads/{thread_id}/messages", response_model=ThreadDetail, status_code=201)
def write_message(thread_id: int, body: MessageIn, call: Call = READ) -> ThreadDetail:
    out = service.reply(call.session, call.actor, thread_id, body)
    return call.created(call.tagged(out), f"/api/v1/threads/{out.id}")


@router.post("/threads/{thread_id}/assign", response_model=ThreadOut)
def assign(
    thread_id: int,
    body: AssignIn,
    if_match: str | None = Header(default=None),
    call: Call = CARE_TEAM,
) -> ThreadOut:
    version = parse_if_match(if_match, read_from=READ_FROM)
    return call.tagged(service.assign(call.session, call.actor, thread_id, body, version))


@router.post("/threads/{thread_id}/close", response_model=ThreadOut)
def close(
    thread_id: int, if_match: str | None = Header(default=None), call: Call = CARE_TEAM
) -> ThreadOut:
    version = parse_if_match(if_match, read_from=READ_FROM)
    return call.tagged(service.set_status(call.session, call.actor, thread_id, "closed", version))


@router.post("/threads/{thread_id}/reopen", response_model=ThreadOut)
def reopen(
    thread_id: int, if_match: str | None = Header(default=None), call: Call = CARE_TEAM
) -> ThreadOut:
    version = parse_if_match(if_match, read_from=READ_FROM)
    return call.tagged(service.set_status(call.session, call.actor, thread_id, "open", version))


@router.get("/message-queue", response_model=list[QueueRow])
def message_queue(
    show: str = Query(default="all", max_length=20), call: Call = CARE_TEAM
) -> list[QueueRow]:
    """Open threads waiting for the care team, the longest waiting first."""
    return service.queue(call.session, call.actor, show=show)
