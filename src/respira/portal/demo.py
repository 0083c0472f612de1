"""The demo clinic's portal: the invitations that the demo's conversions and discharges
asked for are carried out (accounts created, invitation emails waiting in the outbox),
as the portal's job would do a minute later."""

from __future__ import annotations

from respira.kit.step import DemoContext
from respira.portal import service


def seed(ctx: DemoContext) -> None:
    sent = 0
    for invitation_id in service.waiting(ctx.session):
        sent += service.process(ctx.session, invitation_id) == "sent"
    ctx.counts["portal invitations sent"] = sent
