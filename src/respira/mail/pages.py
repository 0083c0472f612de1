"""The admins' outbox pages: what waits, what was sent, what failed and why; a
message's body behind a button (the read is audited); "Retry now"."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, posted_form
from respira.kit.web.templating import render
from respira.mail import service

router = APIRouter(include_in_schema=False)


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


@router.get("/admin/outbox")
def outbox_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.ADMIN_ROLES)),
) -> Response:
    query = request.query_params
    state = query.get("state") if query.get("state") in service.STATES else None
    failures_first = query.get("failures_first") == "1"
    result = service.list_messages(
        session,
        actor,
        state=state,
        failures_first=failures_first,
        page=_page_number(query.get("page")),
    )
    filters = {"state": state or "", "failures_first": "1" if failures_first else ""}
    return render(
        request,
        "mail/outbox.html",
        {
            "configured": service.configured(),
            "counts": service.counts(session, actor),
            "result": result,
            "state": state,
            "failures_first": failures_first,
            "states": service.STATES,
            "href": "/admin/outbox?" + urlencode(filters),
            "done": query.get("done"),
        },
    )


def _message_page(
    request: Request,
    session: Session,
    actor: Actor,
    message_id: int,
    *,
    content: service.OutboxView | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "mail/message.html",
        {
            "message": service.get_summary(session, actor, message_id),
            "content": content,
            "configured": service.configured(),
            "errors": errors or {},
            "done": request.query_params.get("done"),
        },
        status_code,
    )


@router.get("/admin/outbox/{message_id}")
def message_page(
    message_id: int,
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.ADMIN_ROLES)),
) -> Response:
    return _message_page(request, session, actor, message_id)


@router.post("/admin/outbox/{message_id}/content")
def message_content(
    message_id: int,
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.ADMIN_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    """The body and attachments of one message; reading them is written to the audit
    trail, so it is a form post rather than a link."""
    content = service.get_message(session, actor, message_id)
    session.commit()
    return _message_page(request, session, actor, message_id, content=content)


@router.post("/admin/outbox/{message_id}/retry")
def message_retry(
    message_id: int,
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.ADMIN_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = attempt(session, lambda: service.retry(session, actor, message_id))
    if isinstance(outcome, Refused):
        return _message_page(
            request,
            session,
            actor,
            message_id,
            errors=outcome.errors,
            status_code=outcome.status_code,
        )
    session.commit()
    back = "/admin/outbox" if data.get("back") == "list" else f"/admin/outbox/{message_id}"
    return RedirectResponse(f"{back}?done=retry", status_code=303)
