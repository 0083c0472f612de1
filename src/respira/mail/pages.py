"""The admins' outbox pages: what waits, what was sent, what failed and why; a
message's body behind a button (the read is audited); "Retry now"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.mail import service

router = APIRouter(include_in_schema=False)
ADMIN = PageAccess(*service.ADMIN_ROLES)


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


@router.get("/admin/outbox")
def outbox_page(call: Call = uses(ADMIN)) -> Response:
    query = call.request.query_params
    state = query.get("state") if query.get("state") in service.STATES else None
    failures_first = query.get("failures_first") == "1"
    result = service.list_messages(
        call.session,
        call.actor,
        state=state,
        failures_first=failures_first,
        page=_page_number(query.get("page")),
    )
    filters = {"state": state or "", "failures_first": "1" if failures_first else ""}
    context = {
        "counts": service.counts(call.session, call.actor),
        "result": result,
        "state": state,
        "failures_first": failures_first,
        "states": service.STATES,
        "href": "/admin/outbox?" + urlencode(filters),
    }
    return _page(call, "mail/outbox.html", context)


def _page(
    call: Call, template: str, context: dict[str, Any], refused: Refused | None = None
) -> Response:
    """An outbox page: whether mail can be sent at all, and what was just done."""
    done = call.request.query_params.get("done")
    context = {**context, "configured": service.configured(), "done": done}
    return call.render_form(template, context, refused)


def _message_page(
    call: Call,
    message_id: int,
    content: service.OutboxView | None = None,
    refused: Refused | None = None,
) -> Response:
    message = service.get_summary(call.session, call.actor, message_id)
    context = {"message": message, "content": content, "key_kinds": service.KEY_KINDS}
    return _page(call, "mail/message.html", context, refused)


@router.get("/admin/outbox/{message_id}")
def message_page(message_id: int, call: Call = uses(ADMIN)) -> Response:
    return _message_page(call, message_id)


@router.post("/admin/outbox/{message_id}/content")
def message_content(message_id: int, post: Post = posts(ADMIN)) -> Response:
    """The body and attachments of one message; reading them is written to the audit
    trail, so it is a form post rather than a link."""
    content = service.get_message(post.session, post.actor, message_id)
    post.session.commit()
    return _message_page(post, message_id, content)


@router.post("/admin/outbox/{message_id}/retry")
def message_retry(message_id: int, post: Post = posts(ADMIN)) -> Response:
    outcome = post.attempt(lambda: service.retry(post.session, post.actor, message_id))
    if not isinstance(outcome, Refused):
        post.session.commit()
    back = "/admin/outbox" if post.data.get("back") == "list" else f"/admin/outbox/{message_id}"
    return post.answer(
        outcome,
        lambda refused: _message_page(post, message_id, None, refused),
        f"{back}?done=retry",
    )
