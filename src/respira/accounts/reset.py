"""A forgotten password, reset through a one-time, expiring link sent by email.

Asking (``request_reset``) always answers the same, whether or not an account has the
address, so that the form cannot be used to find out who has an account. It is
throttled per client address (``public_rate_limit`` in ``public_rate_window_s``, as the
other public forms) and per email address asked for (``EMAIL_LIMIT`` in
``EMAIL_WINDOW_S``, counted by the address's keyed hash whether or not an account has
it, so that the throttle tells nothing either). An active account gets an email
through the outbox (``respira.mail.service.enqueue``, in the same transaction) with the
link ``{public_base_url}/password-reset/{token}``, in the patient's language for a
patient account and in English for staff; a new link revokes the account's older
unused ones. An administrator (``send_link``: the account page, ``respira users
reset-password``) sends the same link, with a reason for the audit trail.

The token is 32 random bytes; the table keeps only its keyed hash (HMAC-SHA256 with the
instance secret), and neither the audit trail nor a log ever holds it. A link works
for ``password_reset_ttl_s`` (default one hour) and once: ``complete_reset`` checks the
new password as any new password (``passwords.password_problem``), hashes it with no
transaction open (as sign-in does), then spends the link in one conditional ``UPDATE
... RETURNING`` (unused, not revoked, not expired), so that of two uses at the same
moment exactly one sets the password. The reset ends every session and token of the
account (the session epoch moves on) and clears its lockout. It only sets the password:
signing in afterwards asks for everything sign-in asks for (a second factor
included).

Opening the link's page does not spend it (mail scanners follow links); only posting
the new password does.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from respira.accounts.models import PasswordResetRequest, PasswordResetToken, User
from respira.accounts.passwords import hash_password, password_problem
from respira.accounts.service import GIVE_A_REASON, PASSWORDS_DIFFER, normalise_email
from respira.kit import ratelimit
from respira.kit.actors import Actor, Role, require_role
from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.errors import DomainError, InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg, gettext_in, paragraphs, patient_language
from respira.kit.trail import Trail

LINKS = Trail("password_reset_link")
USERS = Trail("user")
MAIL_KIND = "accounts.password_reset"
RESET_PATH = "/password-reset"
TOKEN_MAX_LENGTH = 100
CLIENT_SCOPE = "reset_client"
EMAIL_SCOPE = "reset_email"
# At most this many links asked for one email address per window: enough for a lost
# email or two, too few to fill someone's inbox.
EMAIL_LIMIT = 3
EMAIL_WINDOW_S = 3600

SENT = N_(
    "If an account has this email address, we have sent a link to it for choosing a new "
    "password. The link works once and for %(minutes)s minutes. Please look in your "
    "inbox, and in the spam folder too."
)
THROTTLED = N_("Too many requests for a new password. Please wait an hour and try again.")
LINK_UNUSABLE = N_(
    "This link for a new password has already been used, has expired or is not valid. "
    "Nothing was changed. Ask for a new link."
)
INACTIVE = N_("this account is deactivated; activate it before sending a link")

SUBJECT = N_("Choose a new password for Respira")
LINES = (
    N_("Hello %(name)s,"),
    N_("someone asked to choose a new password for your Respira account %(email)s."),
    N_(
        "Choose a new password with the link below. The link works once and for "
        "%(minutes)s minutes:"
    ),
    "%(url)s",
    N_("If you did not ask for this, you can ignore this email: your password stays as it is."),
    N_("Your clinic"),
)


class ResetLinkUnusable(DomainError):
    """A reset link that is used, revoked, expired or unknown (or whose account was
    deactivated since): one answer for all of them."""

    status_code = 400
    title = "Link no longer valid"

    def __init__(self) -> None:
        super().__init__(LINK_UNUSABLE)


def token_hash(token: str) -> str:
    return ratelimit.keyed_hash(get_settings().resolved_secret_key(), "password-reset", token)


def _email_key(address: str) -> str:
    return ratelimit.keyed_hash(get_settings().resolved_secret_key(), "password-reset-to", address)


def ttl_minutes() -> int:
    return get_settings().password_reset_ttl_s // 60


def sent_message() -> Msg:
    """What the person is told after asking (a page shows it in the reader's language)."""
    return Msg(SENT, minutes=ttl_minutes())


def _usable(now: dt.datetime) -> tuple[Any, ...]:
    return (
        PasswordResetToken.used_at.is_(None),
        PasswordResetToken.revoked_at.is_(None),
        PasswordResetToken.expires_at > now,
    )


def _revoke_unused(session: Session, user_id: int, now: dt.datetime) -> int:
    """Revoke the account's links that still work; how many."""
    result = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, *_usable(now))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _language(session: Session, user: User) -> str:
    """The language of the email: a patient's preferred one (as the portal writes to
    them), English for staff (Respira keeps no language of a staff account)."""
    if user.patient_id is None:
        return "en"
    from respira.patients import service as patients_service  # as accounts.service does

    patient = patients_service.find(session, user.patient_id)
    return patient_language(patient.preferred_language if patient else None)


def reset_email(lang: str, *, name: str, email: str, url: str) -> tuple[str, str]:
    """The email's subject and text in ``lang``."""
    _ = gettext_in(lang)
    params = {"name": name, "email": email, "url": url, "minutes": ttl_minutes()}
    return _(SUBJECT), paragraphs(_, LINES, params)


def _issue(
    session: Session,
    actor: Actor,
    user: User,
    requested_by: str,
    *,
    reason: str | None = None,
    client: str | None = None,
) -> int:
    """A new link for ``user`` (its older unused links revoked), emailed through the
    outbox and audited without the token, in the caller's transaction; the outbox id."""
    now = utcnow()
    revoked = _revoke_unused(session, user.id, now)
    token = secrets.token_urlsafe(32)
    row = PasswordResetToken(
        token_hash=token_hash(token),
        user_id=user.id,
        requested_by=requested_by,
        requested_by_id=actor.user_id if requested_by == "admin" else None,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=get_settings().password_reset_ttl_s),
    )
    session.add(row)
    session.flush()
    lang = _language(session, user)
    # The page opens in the email's language (the form posts back to the same address).
    url = f"{get_settings().public_base_url}{RESET_PATH}/{token}" + (
        f"?lang={lang}" if lang != "en" else ""
    )
    subject, text = reset_email(lang, name=user.name, email=user.email, url=url)
    from respira.mail import service as mail_service  # a later step's public face

    outbox_id = mail_service.enqueue(
        session, to=user.email, subject=subject, text=text, kind=MAIL_KIND
    )
    after = {
        "user_id": user.id,
        "requested_by": requested_by,
        "expires_at": row.expires_at,
        "outbox_id": outbox_id,
        "older_links_revoked": revoked,
    }
    if client is not None:  # who asked: the keyed hash of the client's address
        after["client"] = client
    LINKS.record(session, actor, row.id, "issue", after=after, reason=reason)
    return outbox_id


def request_reset(session: Session, email: str, *, client: str) -> str:
    """Someone who forgot their password asks for a link (the public form, the API),
    from the client ``client`` (the keyed hash of its address). Answers the same text
    whether or not an account has the address; raises ``RateLimited`` past either
    throttle and ``InvalidInput`` for text that is no email address. Commits."""
    s = get_settings()
    address = normalise_email(email)
    now = utcnow()
    email_key = _email_key(address)
    ratelimit.serialise(session, CLIENT_SCOPE, client)
    ratelimit.serialise(session, EMAIL_SCOPE, email_key)
    for scope, key, limit, window_s in (
        (CLIENT_SCOPE, client, s.public_rate_limit, s.public_rate_window_s),
        (EMAIL_SCOPE, email_key, EMAIL_LIMIT, EMAIL_WINDOW_S),
    ):
        ratelimit.check(
            session,
            PasswordResetRequest,
            scope=scope,
            key=key,
            limit=limit,
            window_s=window_s,
            now=now,
            message=THROTTLED,
        )
        ratelimit.count(
            session, PasswordResetRequest, scope=scope, key=key, window_s=window_s, now=now
        )
    user = session.scalar(select(User).where(User.email == address))
    if user is not None and user.is_active:
        _issue(session, Actor.public(), user, "self", client=client)
    else:
        # Recorded by the keyed hash of the address only, as a failed sign-in is.
        LINKS.record(
            session,
            Actor.public(),
            email_key,
            "not_sent",
            after={"client": client, "account": "inactive" if user else "unknown"},
        )
    session.commit()
    return sent_message()


@dataclass(frozen=True)
class LinkSent:
    email: str
    outbox_id: int


def send_link(session: Session, actor: Actor, email: str, reason: str) -> LinkSent:
    """An administrator (or the operator at the command line) sends an account a reset
    link: the same link and email as the person's own request, recorded with who sent it
    and why. Not throttled. Commits."""
    require_role(actor, {Role.ADMIN})
    if not reason.strip():
        raise InvalidInput({"reason": GIVE_A_REASON})
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise InvalidInput({"email": N_("no account with this email")})
    if not user.is_active:
        raise InvalidInput({"reason": INACTIVE})
    requested_by = "admin" if actor.user_id is not None else "operator"
    outbox_id = _issue(session, actor, user, requested_by, reason=reason.strip()[:500])
    session.commit()
    return LinkSent(user.email, outbox_id)


def link_usable(session: Session, token: str) -> bool:
    """Whether the link still works (the page's GET: it does not spend it)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return False
    found = session.scalar(
        select(PasswordResetToken.id)
        .join(User, User.id == PasswordResetToken.user_id)
        .where(PasswordResetToken.token_hash == token_hash(token), User.is_active.is_(True))
        .where(*_usable(utcnow()))
    )
    return found is not None


def complete_reset(db: Database, token: str, password: str, repeat: str) -> None:
    """Set the new password with a link: checked, hashed with no transaction open, then
    the link spent and the password stored in one short write transaction (the link's
    use is one conditional ``UPDATE``: of two uses at once, one wins). Every session and
    token of the account ends and its lockout is cleared; audited without the password
    or the token. Raises ``ResetLinkUnusable`` (nothing changed) or ``InvalidInput``."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise ResetLinkUnusable()
    digest = token_hash(token)
    with db.session() as read:
        account = read.execute(
            select(User.id, User.email, User.name)
            .join(PasswordResetToken, PasswordResetToken.user_id == User.id)
            .where(PasswordResetToken.token_hash == digest, User.is_active.is_(True))
            .where(*_usable(utcnow()))
        ).first()
    if account is None:
        raise ResetLinkUnusable()
    if password != repeat:
        raise InvalidInput({"repeat": PASSWORDS_DIFFER})
    problem = password_problem(password, email=account.email, name=account.name)
    if problem:
        raise InvalidInput({"password": problem})
    # No transaction is open here: the hash takes its time without holding anything.
    new_hash = hash_password(password)
    with db.transaction() as write:
        now = utcnow()
        spent = write.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.token_hash == digest, *_usable(now))
            .values(used_at=now)
            .returning(PasswordResetToken.id, PasswordResetToken.user_id)
            .execution_options(synchronize_session=False)
        ).first()
        if spent is None:
            raise ResetLinkUnusable()
        changed = write.execute(
            update(User)
            .where(User.id == spent.user_id, User.is_active.is_(True))
            .values(
                password_hash=new_hash,
                session_epoch=User.session_epoch + 1,
                failed_logins=0,
                locked_until=None,
            )
            .returning(User.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        if changed is None:  # deactivated since the page was read: the rollback keeps all
            raise ResetLinkUnusable()
        _revoke_unused(write, spent.user_id, now)
        user = write.get(User, spent.user_id)
        assert user is not None
        owner = Actor(user_id=user.id, role=user.role, name=user.name, patient_id=user.patient_id)
        LINKS.record(write, owner, spent.id, "use", after={"user_id": user.id})
        USERS.record(
            write,
            owner,
            user.id,
            "reset_password",
            row=user,
            after={"password": "changed", "link_id": spent.id, "sessions": "ended"},
        )
