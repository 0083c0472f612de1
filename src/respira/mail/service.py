"""The outbox's public face: other steps ``enqueue`` an email in their own transaction,
the jobs process sends what is due (``send_due``), admins read the outbox and send a
message again.

A message is written in the same transaction as the change that causes it (a serious
adverse event, a booking), so it exists exactly when the change does; the sender takes
it later, so a mail server that is down delays a message but never loses it. Sending
is at-least-once with a claim that makes two sender processes send each message once
(see ``respira.mail.sender``). Nothing here logs a message's content, its recipients or
its patient.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role, require_role
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.trail import Trail
from respira.mail.models import STATES, OutboxMessage
from respira.mail.schemas import (
    Attachment,
    OutboxPage,
    OutboxSummary,
    OutboxView,
    attachment_views,
)
from respira.mail.sender import MAX_ATTEMPTS, backoff, send_due

TRAIL = Trail("outbox_message")

__all__ = [
    "ADMIN_ROLES",
    "MAX_ATTEMPTS",
    "STATES",
    "Attachment",
    "OutboxPage",
    "OutboxSummary",
    "OutboxView",
    "backoff",
    "configured",
    "counts",
    "enqueue",
    "get_message",
    "get_summary",
    "list_messages",
    "outbox",
    "retry",
    "send_due",
]

ADMIN_ROLES = frozenset({Role.ADMIN})
PAGE_SIZE = 50


def configured() -> bool:
    """Whether an SMTP server is set: without one, messages wait in the outbox."""
    return bool(get_settings().smtp_host)


def _address(value: str) -> str:
    # Addresses come from validated records (patients, accounts); this guards the header
    # against a line break or a missing domain, not against every RFC 5322 oddity.
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        raise InvalidInput({"to": f"not an email address: {address!r}"})
    if len(address) > 254:
        raise InvalidInput({"to": "an email address may have at most 254 characters"})
    return address


def enqueue(
    session: Session,
    *,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    kind: str,
    patient_id: int | None = None,
) -> int:
    """Add one email to the outbox in the caller's transaction (no commit) and answer
    its id. ``kind`` says what it is ("safety.alert", "appointments.invitation", ...);
    ``patient_id`` names the patient it concerns, if any."""
    recipients = [to] if isinstance(to, str) else list(to)
    addresses = list(dict.fromkeys(_address(a) for a in recipients))
    if not addresses:
        raise InvalidInput({"to": "an email needs at least one recipient"})
    subject = " ".join(subject.split())
    if not subject:
        raise InvalidInput({"subject": "an email needs a subject"})
    if not kind.strip():
        raise InvalidInput({"kind": "say what kind of email this is"})
    row = OutboxMessage(
        kind=kind.strip(),
        patient_id=patient_id,
        to_addresses=addresses,
        subject=subject[:998],
        text=text,
        html=html,
        attachments=[
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in attachments
        ],
        state="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row.id


def _view(row: OutboxMessage) -> OutboxView:
    attachments = attachment_views(row.attachments)
    return from_row(OutboxView, row, to=list(row.to_addresses), attachments=attachments)


def outbox(
    session: Session, *, kind: str | None = None, patient_id: int | None = None
) -> list[OutboxView]:
    """Every message of a kind and/or a patient, oldest first, with its content (for
    other steps' tests and pages that show what was sent; no access check: the caller
    has done it)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if patient_id is not None:
        query = query.where(OutboxMessage.patient_id == patient_id)
    return [_view(row) for row in session.scalars(query)]


# --- the admins' outbox ------------------------------------------------------------------


def counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many messages are in each state (every state listed, zeros included)."""
    require_role(actor, ADMIN_ROLES)
    found = dict(
        session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    return {state: int(found.get(state, 0)) for state in STATES}


def list_messages(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    failures_first: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> OutboxPage:
    """The outbox newest first (or its failed messages first), a page at a time, without
    the bodies: recipients, subject, state, attempts and the last error."""
    require_role(actor, ADMIN_ROLES)
    if state is not None and state not in STATES:
        raise InvalidInput({"state": f"state must be one of {', '.join(STATES)}"})
    if page < 1:
        raise InvalidInput({"page": "page numbers start at 1"})
    if not 1 <= page_size <= 200:
        raise InvalidInput({"page_size": "page_size must be between 1 and 200"})
    where = [] if state is None else [OutboxMessage.state == state]
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0
    order: list[ColumnElement[Any]] = [OutboxMessage.created_at.desc(), OutboxMessage.id.desc()]
    if failures_first:
        order.insert(0, (OutboxMessage.state == "failed").desc())
    rows = session.scalars(
        select(OutboxMessage)
        .where(*where)
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return OutboxPage(
        items=[OutboxSummary.of(_view(row)) for row in rows],
        total=total,
        page=page,
        pages=max(1, math.ceil(total / page_size)),
    )


def _row(session: Session, message_id: int, *, for_update: bool = False) -> OutboxMessage:
    row = session.get(
        OutboxMessage, message_id, with_for_update=for_update, populate_existing=for_update
    )
    if row is None:
        raise NotFound("no such message")
    return row


def get_summary(session: Session, actor: Actor, message_id: int) -> OutboxSummary:
    """One message without its body: recipients, subject, state, attempts."""
    require_role(actor, ADMIN_ROLES)
    return OutboxSummary.of(_view(_row(session, message_id)))


# Messages whose body is a key: a one-time link that signs its holder in (the portal's
# invitation) or sets a password (a password reset). The admins' outbox shows that such a
# message exists, to whom and in which state, but never its body: whoever reads the
# outbox must not be able to use the link in someone else's place.
KEY_KINDS = frozenset({"accounts.password_reset", "portal.invitation"})
KEY_WITHHELD = N_(
    "This message carries a one-time link for its recipient alone; its text is not shown."
)


def get_message(session: Session, actor: Actor, message_id: int) -> OutboxView:
    """One message with its body and attachments, for an admin; the read is audited
    (not committed here), since a message may carry a patient's data. The body of a
    message that carries a one-time link (``KEY_KINDS``) is withheld."""
    require_role(actor, ADMIN_ROLES)
    row = _row(session, message_id)
    TRAIL.record(session, actor, row.id, "read")
    view = _view(row)
    if row.kind in KEY_KINDS:
        return view.model_copy(update={"text": KEY_WITHHELD, "html": None})
    return view


def retry(session: Session, actor: Actor, message_id: int) -> OutboxView:
    """Send a failed or waiting message again at the next turn of the sender, with a full
    set of attempts (audited, not committed)."""
    require_role(actor, ADMIN_ROLES)
    row = _row(session, message_id, for_update=True)
    if row.state not in ("failed", "pending"):
        raise Conflict(f"this message is {row.state}; only a failed or waiting one is sent again")
    before = {"state": row.state, "attempts": row.attempts, "next_attempt_at": row.next_attempt_at}
    row.state = "pending"
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.flush()
    after = {"state": row.state, "attempts": 0, "next_attempt_at": row.next_attempt_at}
    TRAIL.record(session, actor, row.id, "retry", before=before, after=after)
    return _view(row)
