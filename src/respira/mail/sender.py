"""The sender: the jobs process's ``mail.send`` job, which sends what is due in the
outbox through the SMTP server of the settings (``RESPIRA_SMTP_*``).

Each message is *claimed* before it leaves the database: an ``UPDATE ... SET
state='sending' WHERE id=? AND state='pending'`` committed on its own. Only one of two
sender processes changes the row (on PostgreSQL the second waits for the first's row
lock, then finds the state changed; on SQLite writers take turns), so each message is
sent once. The SMTP conversation runs outside any transaction; its outcome is written
afterwards: ``sent``; or back to ``pending`` with ``next_attempt_at`` moved by an
exponential backoff (1, 2, 4, ... minutes, at most an hour) after a temporary failure
(the server down, a 4xx answer); or ``failed`` after a permanent refusal (a 5xx answer)
or after ``MAX_ATTEMPTS`` attempts, for an admin to look at and send again. A sender
that died while sending leaves its claim; after ``CLAIM_TIMEOUT`` the message counts a
failed attempt and is sent again (a message may then arrive twice, never not at all).

Without an SMTP host nothing is sent: messages wait. The log names message ids and
error classes only, never recipients, subjects or content.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select, update

from respira.kit.config import Settings, get_settings
from respira.kit.db import Database
from respira.mail.models import OutboxMessage
from respira.mail.schemas import attachment_views

log = logging.getLogger("respira.mail")

MAX_ATTEMPTS = 12
FIRST_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=1)
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
BATCH = 100

_CONNECTION_ERRORS = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


class Unsendable(Exception):
    """The stored message cannot be made into an email (a malformed attachment type)."""


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4, ... minutes,
    never more than an hour."""
    wait: dt.timedelta = FIRST_BACKOFF * (2 ** max(attempts - 1, 0))
    return min(wait, MAX_BACKOFF)


def build_message(row: OutboxMessage, settings: Settings) -> EmailMessage:
    """The MIME message: plain text, an HTML alternative when there is one, then the
    attachments (``text/calendar; method=REQUEST`` keeps its method parameter so that
    calendar programs offer to add the event)."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(row.to_addresses)
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.created_at)
    domain = settings.smtp_from.rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(idstring=f"outbox{row.id}", domain=domain)
    msg.set_content(row.text)
    if row.html:
        msg.add_alternative(row.html, subtype="html")
    for attachment in attachment_views(row.attachments):
        mime, _, rest = attachment.content_type.partition(";")
        maintype, _, subtype = mime.strip().partition("/")
        params = {}
        for part in rest.split(";"):
            key, eq, value = part.strip().partition("=")
            if eq:
                params[key.strip().lower()] = value.strip().strip('"')
        msg.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
            params=params,
        )
    return msg


def _connect(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host
    timeout = settings.smtp_timeout_s
    smtp: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password or "")
    return smtp


def _claim(db: Database, message_id: int, now: dt.datetime) -> bool:
    with db.transaction() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "pending")
            .values(state="sending", claimed_at=now)
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def _error_text(exc: BaseException) -> str:
    # The SMTP answer's code and words say why; they do not repeat the message's content.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _why in exc.recipients.values()})
        return f"recipients refused (SMTP {', '.join(map(str, codes))})"
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"SMTP {exc.smtp_code}: {detail}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _permanent(exc: BaseException) -> bool:
    """A 5xx answer will not change by waiting (unknown mailbox, message refused)."""
    if isinstance(exc, Unsendable):
        return True
    if isinstance(exc, smtplib.SMTPConnectError):
        return False  # a server that turns connections away may take them later
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _why in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _finish(db: Database, message_id: int, now: dt.datetime, error: BaseException | None) -> None:
    with db.transaction() as session:
        row = session.get(OutboxMessage, message_id, with_for_update=True)
        if row is None or row.state != "sending":
            return
        row.claimed_at = None
        if error is None:
            row.state = "sent"
            row.sent_at = now
            row.last_error = None
            return
        row.attempts += 1
        row.last_error = _error_text(error)
        if _permanent(error) or row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
        else:
            row.state = "pending"
            row.next_attempt_at = now + backoff(row.attempts)
    log.warning("outbox message %d not sent (attempt failed: %s)", message_id, type(error).__name__)


def _release_stale_claims(db: Database, now: dt.datetime) -> None:
    """Messages claimed by a sender that never finished count a failed attempt and
    become due again."""
    with db.transaction() as session:
        stale = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.state == "sending",
                OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
            )
            .with_for_update()
        ).all()
        for row in stale:
            row.state = "pending"
            row.claimed_at = None
            row.attempts += 1
            row.last_error = "the sender stopped while sending; sending again"
            row.next_attempt_at = now


def send_due(db: Database, now: dt.datetime) -> int:
    """Send the messages whose time has come; answers how many were sent. With no SMTP
    host configured nothing is sent. A connection failure ends the round (the server is
    down): the message it happened on counts an attempt, the others wait their turn."""
    settings = get_settings()
    if not settings.smtp_host:
        return 0
    _release_stale_claims(db, now)
    with db.session() as session:
        due = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(BATCH)
            )
        )
    sent = 0
    smtp: smtplib.SMTP | None = None
    try:
        for message_id in due:
            if not _claim(db, message_id, now):
                continue  # another sender has it
            with db.session() as session:
                row = session.get(OutboxMessage, message_id)
                assert row is not None
                recipients = list(row.to_addresses)
                try:
                    message = build_message(row, settings)
                except (ValueError, TypeError) as exc:
                    _finish(db, message_id, now, Unsendable(type(exc).__name__))
                    continue
            try:
                if smtp is None:
                    smtp = _connect(settings)
                smtp.send_message(message, to_addrs=recipients)
            except (smtplib.SMTPException, OSError) as exc:
                _finish(db, message_id, now, exc)
                if isinstance(exc, _CONNECTION_ERRORS):
                    smtp = None
                    break
                continue
            _finish(db, message_id, now, None)
            sent += 1
    finally:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    return sent
