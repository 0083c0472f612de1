"""The demo clinic's stays: booked through the real use cases, arriving across several
days, with complete and incomplete checklists, a patient whose peanut allergy the
kitchen list shows, a completed and a cancelled stay, the demo patient's travel plan in
the outbox, and the audit chain intact."""

from __future__ import annotations

import datetime as dt

from respira.app import demo
from respira.kit import audit
from respira.kit.actors import Actor
from respira.logistics import service
from respira.mail import service as mail


def test_demo_books_stays_with_complete_and_incomplete_checklists(db):
    result = demo.seed(db, patients=30)
    assert result is not None
    system = Actor.system("test")
    today = service.clinic_today()
    with db.session() as s:
        stays = service.list_stays(
            s, system, today - dt.timedelta(days=90), today + dt.timedelta(days=120)
        )
        booked = [stay for stay in stays if stay.state == "booked"]
        boards = [service.board(s, system, stay.arrival_date) for stay in booked]
        plans = mail.outbox(s, kind=service.MAIL_KIND)
        assert audit.verify_chain(s).ok
    assert result.counts["stays"] == len(stays) >= 6
    assert {stay.state for stay in stays} == {"booked", "completed", "cancelled"}
    assert len({stay.arrival_date for stay in booked}) >= 3
    assert any(stay.open_items == 0 for stay in booked)
    assert any(stay.open_items > 0 for stay in booked)
    kitchen = [line.substance for board in boards for row in board.kitchen for line in row.lines]
    assert "Peanut" in kitchen
    assert len(plans) == 1 and plans[0].attachments
