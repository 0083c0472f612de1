"""JSON routes of the outbox, for admins: the list without bodies, one message with
its body (an audited read), and "send again"."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses
from respira.mail import service
from respira.mail.schemas import OutboxPage, OutboxSummary

router = APIRouter(prefix="/api/v1", tags=["mail"])
ADMIN = uses(ApiAccess(*service.ADMIN_ROLES))


@router.get("/outbox", response_model=OutboxPage)
def list_outbox(
    state: Literal["pending", "sending", "sent", "failed"] | None = None,
    failures_first: bool = False,
    page: int = Query(default=1, ge=1),
    page_size: int = Query(default=service.PAGE_SIZE, ge=1, le=200),
    call: Call = ADMIN,
) -> OutboxPage:
    return service.list_messages(
        call.session,
        call.actor,
        state=state,
        failures_first=failures_first,
        page=page,
        page_size=page_size,
    )


@router.post("/outbox/{message_id}/retry", response_model=OutboxSummary)
def retry_message(message_id: int, call: Call = ADMIN) -> OutboxSummary:
    """Send a failed or waiting message again at the sender's next turn (409 for one
    that is sent or being sent)."""
    out = service.OutboxSummary.of(service.retry(call.session, call.actor, message_id))
    call.session.commit()
    return out
