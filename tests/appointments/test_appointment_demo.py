"""The demo clinic's appointments: open slots on the weekdays of the coming 60 days,
of every kind, and bookings of some of them (one cancelled) whose invitations wait in
the outbox, all through the real use cases."""

from __future__ import annotations

import datetime as dt

from respira.app import demo
from respira.appointments import service
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.db import utcnow
from respira.mail import service as mail
from tests.appointments.conftest import BERLIN


def test_demo_publishes_slots_over_sixty_days_and_books_some(db):
    result = demo.seed(db, patients=30)
    assert result is not None
    system = Actor.system("test")
    now = utcnow()
    with db.session() as s:
        slots = service.list_slots(s, system, now, now + dt.timedelta(days=62))
        invitations = mail.outbox(s, kind=service.MAIL_KIND)
        assert audit.verify_chain(s).ok
    assert result.counts["appointment slots"] == len(slots)
    assert {slot.kind for slot in slots} == {"online_consultation", "follow_up_visit", "phone_call"}
    assert all(slot.start.astimezone(BERLIN).isoweekday() <= 5 for slot in slots)
    assert max(slot.start for slot in slots) - now > dt.timedelta(days=55)
    booked = [slot for slot in slots if slot.booked]
    assert len(booked) == result.counts["appointments"] - 1  # one was cancelled
    assert sum(1 for slot in slots if not slot.booked) > 200
    methods = [m.attachments[0].content_type for m in invitations]
    assert methods.count("text/calendar; method=CANCEL") == 1
    assert methods.count("text/calendar; method=REQUEST") == result.counts["appointments"]
