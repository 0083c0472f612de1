"""The outbox: a message written in a transaction is sent by the sender job through a
real SMTP server (aiosmtpd); a server that is down delays it, never loses it; two
senders at once send it once; without an SMTP host it waits."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.errors import InvalidInput
from respira.mail import service
from respira.mail.service import Attachment

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def _enqueue(db: Database, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "to": ["dr.weber@clinic.example.org", "dr.ivanova@clinic.example.org"],
        "subject": "Serious adverse event reported",
        "text": "A serious adverse event was recorded. Open Respira to see it.",
        "kind": "safety.alert",
    }
    fields.update(overrides)
    with db.transaction() as session:
        return service.enqueue(session, **fields)


def _view(db: Database, message_id: int) -> service.OutboxView:
    with db.session() as session:
        return next(v for v in service.outbox(session) if v.id == message_id)


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESPIRA_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_message_arrives_with_its_subject_recipients_html_and_calendar_attachment(
    db, smtp_server, make_patient
):
    pid = make_patient()
    message_id = _enqueue(
        db,
        subject="Ihr Termin: Nachsorgegespräch",
        text="Guten Tag, Ihr Termin ist bestätigt.",
        html="<p>Guten Tag, Ihr Termin ist bestätigt.</p>",
        attachments=[Attachment("termin.ics", "text/calendar; method=REQUEST", ICS)],
        kind="appointments.invitation",
        patient_id=pid,
    )
    assert _view(db, message_id).state == "pending"

    assert service.send_due(db, utcnow()) == 1

    [msg] = smtp_server.messages
    assert msg["Subject"] == "Ihr Termin: Nachsorgegespräch"
    assert smtp_server.envelopes == [
        ["dr.weber@clinic.example.org", "dr.ivanova@clinic.example.org"]
    ]
    assert msg["From"] == "respira@clinic.example.org"
    parts = {part.get_content_type(): part for part in msg.walk()}
    assert "Ihr Termin ist bestätigt" in parts["text/plain"].get_payload(decode=True).decode()
    assert "text/html" in parts
    calendar = parts["text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_filename() == "termin.ics"
    assert calendar.get_payload(decode=True) == ICS
    sent = _view(db, message_id)
    assert sent.state == "sent" and sent.sent_at is not None and sent.attempts == 0


def test_with_the_server_down_a_message_waits_with_backoff_and_arrives_when_it_is_back(
    db, smtp_server
):
    message_id = _enqueue(db)
    smtp_server.stop()
    now = utcnow()

    assert service.send_due(db, now) == 0
    waiting = _view(db, message_id)
    assert waiting.state == "pending"
    assert waiting.attempts == 1
    assert waiting.next_attempt_at == now + dt.timedelta(minutes=1)
    assert waiting.last_error and "Refused" in waiting.last_error
    # Not due yet: no second attempt before the backoff has passed.
    assert service.send_due(db, now + dt.timedelta(seconds=30)) == 0
    assert _view(db, message_id).attempts == 1
    assert service.send_due(db, now + dt.timedelta(minutes=1)) == 0
    assert _view(db, message_id).next_attempt_at == now + dt.timedelta(minutes=3)

    smtp_server.start()
    assert service.send_due(db, now + dt.timedelta(minutes=3)) == 1
    assert len(smtp_server.messages) == 1
    delivered = _view(db, message_id)
    assert delivered.state == "sent" and delivered.attempts == 2


def test_backoff_doubles_from_one_minute_and_never_exceeds_an_hour():
    assert [service.backoff(n) for n in (1, 2, 3, 4)] == [
        dt.timedelta(minutes=m) for m in (1, 2, 4, 8)
    ]
    assert service.backoff(7) == dt.timedelta(hours=1)
    assert service.backoff(11) == dt.timedelta(hours=1)


def test_after_the_last_attempt_a_message_fails_and_an_admin_retry_sends_it(
    db, smtp_server, make_account
):
    message_id = _enqueue(db)
    smtp_server.stop()
    now = utcnow()
    for _ in range(service.MAX_ATTEMPTS):
        service.send_due(db, now)
        now += dt.timedelta(hours=1)
    failed = _view(db, message_id)
    assert failed.state == "failed" and failed.attempts == service.MAX_ATTEMPTS
    assert service.send_due(db, now + dt.timedelta(days=1)) == 0

    admin = make_account("admin")
    smtp_server.start()
    with db.transaction() as session:
        service.retry(session, admin.actor, message_id)
    assert service.send_due(db, utcnow()) == 1
    assert len(smtp_server.messages) == 1
    with db.session() as session:
        from respira.kit.audit import AuditRecord

        actions = [
            r.action
            for r in session.query(AuditRecord).filter_by(
                entity_type="outbox_message", entity_id=str(message_id)
            )
        ]
    assert actions == ["retry"]


@pytest.mark.parametrize("round_", range(2))
def test_two_senders_at_the_same_moment_deliver_each_message_once(db, smtp_server, round_):
    ids = [_enqueue(db, subject=f"Reminder {n}") for n in range(6)]
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []
    now = utcnow()

    def sender() -> None:
        try:
            barrier.wait()
            results.append(service.send_due(db, now))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sum(results) == len(ids)
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    assert subjects == sorted(f"Reminder {n}" for n in range(6))
    assert {_view(db, i).state for i in ids} == {"sent"}


def test_without_an_smtp_host_nothing_is_sent_and_messages_wait(db, no_smtp):
    message_id = _enqueue(db)
    assert service.send_due(db, utcnow() + dt.timedelta(days=1)) == 0
    waiting = _view(db, message_id)
    assert waiting.state == "pending" and waiting.attempts == 0


def test_enqueue_refuses_a_message_without_recipient_or_subject_and_writes_nothing(db):
    with db.transaction() as session:
        with pytest.raises(InvalidInput) as no_one:
            service.enqueue(session, to=[], subject="x", text="x", kind="safety.alert")
        with pytest.raises(InvalidInput) as bad:
            service.enqueue(session, to="not an address", subject="x", text="x", kind="k")
        with pytest.raises(InvalidInput) as blank:
            service.enqueue(session, to="a@b.example", subject=" \n", text="x", kind="k")
    assert set(no_one.value.errors) == {"to"}
    assert set(bad.value.errors) == {"to"}
    assert set(blank.value.errors) == {"subject"}
    with db.session() as session:
        assert service.outbox(session) == []


def test_enqueue_adds_to_the_callers_transaction_and_a_rollback_leaves_no_message(db):
    session = db.session(write=True)
    try:
        service.enqueue(session, to="a@b.example", subject="s", text="t", kind="k")
        session.rollback()
    finally:
        session.close()
    with db.session() as session:
        assert service.outbox(session) == []


def test_outbox_filters_by_kind_and_patient(db, make_patient):
    pid = make_patient()
    _enqueue(db, kind="followup.reminder", patient_id=pid)
    _enqueue(db, kind="safety.alert")
    with db.session() as session:
        assert [v.kind for v in service.outbox(session, patient_id=pid)] == ["followup.reminder"]
        assert len(service.outbox(session, kind="safety.alert")) == 1


def test_a_message_left_sending_by_a_sender_that_died_is_sent_again_later(db, smtp_server):
    from respira.mail.models import OutboxMessage

    message_id = _enqueue(db)
    now = utcnow()
    with db.transaction() as session:
        row = session.get(OutboxMessage, message_id)
        row.state, row.claimed_at = "sending", now - dt.timedelta(minutes=5)
    assert service.send_due(db, now) == 0  # another sender may still be at it
    assert service.send_due(db, now + dt.timedelta(minutes=6)) == 1
    delivered = _view(db, message_id)
    assert delivered.state == "sent" and delivered.attempts == 1
    assert len(smtp_server.messages) == 1
