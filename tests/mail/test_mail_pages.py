"""The admins' outbox: counts by state, the list without bodies, failures first, the
"not configured" notice, a body shown only on request and audited, "Retry now"."""

from __future__ import annotations

from respira.kit.audit import AuditRecord
from respira.kit.config import get_settings
from respira.mail import service


def _enqueue(db, subject: str = "Your appointment", **kw) -> int:
    with db.transaction() as session:
        return service.enqueue(
            session,
            to=kw.pop("to", "greta@mail.example"),
            subject=subject,
            text=kw.pop("text", "Secret body text of the message"),
            kind=kw.pop("kind", "appointments.invitation"),
            **kw,
        )


def _fail(db, message_id: int, error: str = "ConnectionRefusedError: down") -> None:
    from respira.mail.models import OutboxMessage

    with db.transaction() as session:
        row = session.get(OutboxMessage, message_id)
        row.state, row.attempts, row.last_error = "failed", service.MAX_ATTEMPTS, error


def test_outbox_page_says_mail_is_not_configured_when_no_smtp_host(db, page_as, monkeypatch):
    monkeypatch.delenv("RESPIRA_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    _enqueue(db)
    admin = page_as("admin")
    r = admin.get("/admin/outbox")
    assert r.status_code == 200
    assert "Mail is not configured: messages wait here" in r.text
    assert "Your appointment" in r.text
    assert "Secret body text" not in r.text


def test_outbox_page_with_a_server_configured_has_no_notice(db, page_as, smtp_server):
    admin = page_as("admin")
    assert "Mail is not configured" not in admin.get("/admin/outbox").text


def test_outbox_lists_failures_first_with_their_last_error_and_counts_by_state(db, page_as):
    failed = _enqueue(db, subject="Alert that failed")
    _enqueue(db, subject="Newer waiting message")
    _fail(db, failed, "SMTP 550: mailbox unavailable")
    admin = page_as("admin")
    text = admin.get("/admin/outbox?failures_first=1").text
    assert text.index("Alert that failed") < text.index("Newer waiting message")
    assert "SMTP 550: mailbox unavailable" in text
    newest_first = admin.get("/admin/outbox").text
    assert newest_first.index("Newer waiting message") < newest_first.index("Alert that failed")
    only_failed = admin.get("/admin/outbox?state=failed").text
    assert "Newer waiting message" not in only_failed


def test_the_body_is_shown_only_on_request_and_the_reading_is_audited(db, page_as):
    message_id = _enqueue(db)
    admin = page_as("admin")
    page = admin.get(f"/admin/outbox/{message_id}")
    assert page.status_code == 200 and "Secret body text" not in page.text
    shown = admin.post_form(f"/admin/outbox/{message_id}/content", {})
    assert shown.status_code == 200 and "Secret body text of the message" in shown.text
    with db.session() as session:
        reads = session.query(AuditRecord).filter_by(
            entity_type="outbox_message", entity_id=str(message_id), action="read"
        )
        assert [r.actor_id for r in reads] == [admin.account.id]


def test_the_body_of_a_message_carrying_a_one_time_link_is_never_shown(db, page_as, make_account):
    """An admin reading the outbox must not be able to use someone's reset or sign-in
    link: the message is listed, its body withheld (in the reader's language)."""
    account = make_account("nurse")
    link = "https://clinic.example/password-reset/tok-4f9a1c"
    for kind in sorted(service.KEY_KINDS):
        message_id = _enqueue(db, subject="A link", to=account.email, kind=kind, text=link)
        admin = page_as("admin")
        assert "A link" in admin.get("/admin/outbox").text
        shown = admin.post_form(f"/admin/outbox/{message_id}/content", {})
        assert shown.status_code == 200
        assert "tok-4f9a1c" not in shown.text and "its text is not shown" in shown.text
        german = admin.post_form(
            f"/admin/outbox/{message_id}/content", {}, headers={"Accept-Language": "de"}
        )
        assert "tok-4f9a1c" not in german.text
    ordinary = _enqueue(db, text="Your appointment is at 9:00")
    shown = page_as("admin").post_form(f"/admin/outbox/{ordinary}/content", {})
    assert "Your appointment is at 9:00" in shown.text


def test_retry_now_puts_a_failed_message_back_in_line_and_is_audited(db, page_as):
    message_id = _enqueue(db)
    _fail(db, message_id)
    admin = page_as("admin")
    r = admin.post_form(f"/admin/outbox/{message_id}/retry", {}, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as session:
        [view] = service.outbox(session)
        assert view.state == "pending" and view.attempts == 0
        assert session.query(AuditRecord).filter_by(action="retry").count() == 1


def test_a_sent_message_cannot_be_sent_again(db, page_as, api_as, smtp_server):
    from respira.kit.db import utcnow

    message_id = _enqueue(db)
    service.send_due(db, utcnow())
    admin = page_as("admin")
    r = admin.post_form(f"/admin/outbox/{message_id}/retry", {})
    assert r.status_code == 409
    assert "only a failed or waiting one is sent again" in r.text
    api = api_as("admin")
    assert api.post(f"/api/v1/outbox/{message_id}/retry").status_code == 409


def test_api_lists_the_outbox_for_admins_without_bodies(db, api_as):
    message_id = _enqueue(db)
    _fail(db, message_id)
    _enqueue(db, subject="second")
    r = api_as("admin").get("/api/v1/outbox?failures_first=true")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2 and body["items"][0]["state"] == "failed"
    assert "text" not in body["items"][0]
    assert api_as("admin").post(f"/api/v1/outbox/{message_id}/retry").json()["state"] == ("pending")
    assert api_as("physician").get("/api/v1/outbox").status_code == 403
    assert api_as("admin").get("/api/v1/outbox?state=lost").status_code == 422


def test_admins_see_a_banner_on_every_page_for_failed_and_waiting_mail(db, page_as, monkeypatch):
    monkeypatch.delenv("RESPIRA_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    _fail(db, _enqueue(db))
    _enqueue(db)
    admin = page_as("admin")
    home = admin.get("/").text
    assert "Emails that could not be sent: 1." in home
    assert "Mail is not configured: emails waiting in the outbox: 1" in home
    assert "could not be sent" not in page_as("physician").get("/").text
