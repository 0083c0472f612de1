"""One-time sign-in links: the link in a reminder or an invitation that signs the patient
in once and opens the page it names.

The token is 32 random bytes (``secrets.token_urlsafe``); the table keeps its SHA-256
only. A link is spent by one conditional ``UPDATE`` (still unused, not revoked, not
expired), so that of two clicks at the same moment exactly one signs in — on SQLite the
write transaction holds the database's write lock, on PostgreSQL the second ``UPDATE``
waits for the first's row lock and then finds the link used. The page it opens is a
path of this site only (no open redirect). A used, expired, revoked or unknown link
leads to the normal sign-in page with a notice, never to an error page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.kit.actors import Actor, Role
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput
from respira.kit.trail import Trail
from respira.portal.models import SignInLink

TRAIL = Trail("sign_in_link")

# Where a patient lands when a link does not say (and after a link that failed).
HOME_PATH = "/my"
# What the sign-in page is asked to tell the person whose link did not work
# (``/login?notice=link-used``): a key the sign-in page maps to its text, never free
# text from the address bar.
LINK_NOTICE = "link-used"
MAX_VALID_HOURS = 31 * 24
TOKEN_MAX_LENGTH = 100
# The portal's own entries in the audit trail (links issued, invitations sent).
PORTAL = Actor.system("respira-portal")


def is_local_path(path: str) -> bool:
    """A path of this site: starts with one "/", no backslash, no control character."""
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and all(ch.isprintable() and not ch.isspace() for ch in path)
        and len(path) <= 500
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PatientAccount:
    id: int
    email: str
    is_active: bool


def patient_account(session: Session, patient_id: int) -> PatientAccount | None:
    """The patient's own account (a patient has at most one), or None."""
    for user in accounts_service.list_users(session):
        if user.patient_id == patient_id and user.role == Role.PATIENT:
            return PatientAccount(user.id, user.email, user.is_active)
    return None


def issue_link(
    session: Session,
    patient_id: int,
    *,
    next_path: str,
    purpose: str,
    valid_hours: float,
) -> tuple[SignInLink, str] | None:
    """A new link for the patient's active account (the row and the absolute URL), in
    the caller's transaction; None when the patient has no active account."""
    errors: dict[str, str] = {}
    if not is_local_path(next_path):
        errors["next_path"] = "must be a path of this site, starting with one '/'"
    if not 0 < valid_hours <= MAX_VALID_HOURS:
        errors["valid_hours"] = f"must be more than 0 and at most {MAX_VALID_HOURS} hours"
    if not purpose.strip() or len(purpose) > 64:
        errors["purpose"] = "say what the link is for, in at most 64 characters"
    if errors:
        raise InvalidInput(errors)
    account = patient_account(session, patient_id)
    if account is None or not account.is_active:
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = SignInLink(
        token_hash=token_hash(token),
        user_id=account.id,
        patient_id=patient_id,
        purpose=purpose.strip(),
        next_path=next_path,
        created_at=now,
        expires_at=now + dt.timedelta(hours=valid_hours),
    )
    session.add(row)
    session.flush()
    after = {
        "patient_id": patient_id,
        "purpose": row.purpose,
        "next_path": next_path,
        "expires_at": row.expires_at,
    }
    TRAIL.record(session, PORTAL, row.id, "issue", after=after)
    return row, f"{get_settings().public_base_url}/login/link/{token}"


def sign_in_link(
    session: Session,
    patient_id: int,
    *,
    next_path: str,
    purpose: str,
    valid_hours: float = 72,
) -> str | None:
    """An absolute URL that signs the patient in once and opens ``next_path``, valid for
    ``valid_hours``; None when the patient has no active account. Written in the caller's
    transaction (no commit), audited without the token."""
    issued = issue_link(
        session, patient_id, next_path=next_path, purpose=purpose, valid_hours=valid_hours
    )
    return issued[1] if issued else None


def revoke_unused(session: Session, patient_id: int, purpose: str) -> int:
    """Revoke the patient's unused links of a purpose (a new invitation replaces the
    old ones)."""
    now = utcnow()
    which = (SignInLink.patient_id == patient_id, SignInLink.purpose == purpose)
    return _mark_usable(session, now, which, revoked_at=now)


def _mark_usable(session: Session, now: dt.datetime, which: Any, **values: Any) -> int:
    """Set ``values`` on the links ``which`` names that still work (not used, not
    revoked, not expired), in one statement (two at once: one wins); how many."""
    result = session.execute(
        update(SignInLink)
        .where(
            *which,
            SignInLink.used_at.is_(None),
            SignInLink.revoked_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Redeemed:
    """What a click on a link comes to: a session cookie (None: not signed in) and
    where to go."""

    cookie: str | None
    next_path: str


def redeem(session: Session, token: str) -> Redeemed:
    """Spend a link, in the caller's write transaction: sign its account in and answer
    where to go, or answer no cookie for a link that is used, revoked, expired, unknown,
    or whose account can no longer sign in."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return Redeemed(None, HOME_PATH)
    digest = token_hash(token)
    now = utcnow()
    spent = _mark_usable(session, now, (SignInLink.token_hash == digest,), used_at=now)
    row = session.scalar(select(SignInLink).where(SignInLink.token_hash == digest))
    if row is None:
        return Redeemed(None, HOME_PATH)
    if spent != 1:
        return Redeemed(None, row.next_path)
    started = accounts_service.start_session(session, row.user_id)
    if started is None:  # deactivated or locked since the link was sent
        return Redeemed(None, row.next_path)
    cookie, actor = started
    after = {"purpose": row.purpose, "next_path": row.next_path}
    TRAIL.record(session, actor, row.id, "sign_in", after=after)
    return Redeemed(cookie, row.next_path)
