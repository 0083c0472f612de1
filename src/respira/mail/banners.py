"""The notices admins see on every page while mail needs them: messages that failed for
good (to look at and send again), and messages waiting because no SMTP server is set.
Asked for every page a signed-in user opens: one grouped count, for admins only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from respira.kit.actors import Actor, Role
from respira.kit.marks import N_
from respira.kit.web.templating import Banner
from respira.mail import service
from respira.mail.models import OutboxMessage

_COUNTS = (
    select(OutboxMessage.state, func.count())
    .where(OutboxMessage.state.in_(("failed", "pending")))
    .group_by(OutboxMessage.state)
)


def outbox_needs_attention(db: Any, actor: Actor) -> list[Banner]:
    if actor.role != Role.ADMIN:
        return []
    with db.session() as session:
        counts = dict(session.execute(_COUNTS).all())
    shown = []
    if counts.get("failed"):
        shown.append(
            Banner(
                text=N_("Emails that could not be sent: %(n)d. See why and send them again."),
                href="/admin/outbox?state=failed",
                params={"n": counts["failed"]},
            )
        )
    if counts.get("pending") and not service.configured():
        shown.append(
            Banner(
                text=N_("Mail is not configured: emails waiting in the outbox: %(n)d"),
                href="/admin/outbox",
                level="info",
                params={"n": counts["pending"]},
            )
        )
    return shown
