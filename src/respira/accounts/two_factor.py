"""Two-factor sign-in for staff: time-based one-time passwords (TOTP, RFC 6238: HMAC-SHA1,
six digits, 30-second steps: what every authenticator app reads from an ``otpauth://``
address), ten one-time recovery codes for a lost phone, and the administrator's
requirement per staff role.

Enrolment keeps nothing until the person proves their app works: the page carries the
new secret in a signed, expiring form field, and only a right code from it stores the
secret, turns two-factor sign-in on (ending the account's other sessions) and shows the
recovery codes once (only their keyed hashes are stored). The secret itself is stored as
it is (the kit has no encryption helper): it is never shown again and never enters the
audit trail.

A code is right for the time step before, of and after the server's clock
(``valid_window=1``) and counts once: the step of an accepted code is stored in the same
conditional ``UPDATE`` that accepts it, so a code seen over a shoulder, or replayed, is
refused. A wrong code counts toward the account's lockout exactly as a wrong password
does (``service._count_failure``), and toward the client address's throttle, so codes
cannot be guessed; the right password alone does not reset the count (see
``service._sign_in``). Between the password and the code the browser holds a signed
cookie that names the account and its session epoch for five minutes (fifteen for a
set-up the role requires), never a session.

A role whose two-factor sign-in an administrator requires: its accounts without it are
signed out when the requirement is set, and after the password they can only set it up
(the web) or are refused (a token, 403). Patients keep their one-time portal links and
are not part of this."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pyotp
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pyotp.utils import strings_equal
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from respira.accounts import service
from respira.accounts.models import RecoveryCode, TwoFactorPolicy, User
from respira.kit import actors, audit, ratelimit, tokens
from respira.kit.actors import Actor, Role, require_role
from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.errors import InvalidInput, NotAuthenticated
from respira.kit.marks import N_

ISSUER = "Respira"
STAFF_ROLES = tuple(role for role in Role if role in actors.STAFF_ROLES)  # in the usual order
RECOVERY_CODES = 10
# Recovery codes: ten characters (about 49 bits) from letters and digits that cannot be
# mistaken for one another, shown as two groups of five.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
ENROLMENT_MAX_AGE_S = 15 * 60
PENDING_COOKIE = "respira_second_factor"
Purpose = Literal["code", "enrol"]
PENDING_MAX_AGE_S: dict[str, int] = {"code": 5 * 60, "enrol": 15 * 60}

CODE_WRONG = N_(
    "This code is not right or was already used. Enter the newest 6-digit code from your "
    "authenticator app, or one of your recovery codes. After 5 wrong entries in a row the "
    "account is locked for 15 minutes."
)
CODE_NEEDED = "this account needs a two-factor code: send it in the form field totp"
ENROL_FIRST = "set up two-factor sign-in in the web app first"
ENROLMENT_CODE_WRONG = N_(
    "this code does not match: check that the app shows Respira with your email, and "
    "enter its newest code"
)
ENROLMENT_EXPIRED = N_("this set-up has expired: add the new key below to your app and try again")
ALREADY_ON = N_("two-factor sign-in is already on for this account")
NOT_ON = N_("two-factor sign-in is not on for this account")
REQUIRED_FOR_ROLE = N_("your role requires two-factor sign-in, so it cannot be turned off")
ENROL_YOURSELF_FIRST = N_(
    "turn on two-factor sign-in for your own account first, so that you are not locked out"
)
STAFF_ONLY = N_("two-factor sign-in is for staff accounts")


# --- the secret, its codes and the enrolment form --------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key(), salt=salt)


@dataclass(frozen=True)
class Enrolment:
    """A new secret offered for one account: the signed form field that carries it
    (``token``), the ``otpauth://`` address an app reads, and the secret in groups of
    four for typing in by hand."""

    token: str
    uri: str
    secret_groups: str


def new_enrolment(session: Session, actor: Actor, token: str | None = None) -> Enrolment:
    """The enrolment offered on the page: the one in ``token`` while it is still good (a
    wrong code shown again keeps the key the app already has), else a new secret."""
    user = _staff_user(session, actor)
    secret = _read_enrolment(token, user.id) if token else None
    if secret is None:
        secret = pyotp.random_base32()
        token = _serializer("two-factor-enrolment").dumps({"u": user.id, "s": secret})
    assert token is not None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    groups = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return Enrolment(token, uri, groups)


def _read_enrolment(token: str, user_id: int) -> str | None:
    try:
        data = _serializer("two-factor-enrolment").loads(token, max_age=ENROLMENT_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user_id:
        return None
    secret = data.get("s")
    return secret if isinstance(secret, str) else None


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:64]


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code ``code`` is (the step before, of or after ``now``), or
    None."""
    totp = pyotp.TOTP(secret)
    if not (len(code) == totp.digits and code.isdigit()):
        return None
    if not totp.verify(code, for_time=now, valid_window=1):
        return None
    for offset in (0, -1, 1):
        at = now + dt.timedelta(seconds=offset * totp.interval)
        if strings_equal(totp.at(at), code):
            return int(totp.timecode(at))
    return None


def _recovery_hash(user_id: int, code: str) -> str:
    return ratelimit.keyed_hash(
        get_settings().resolved_secret_key(), "recovery-code", f"{user_id}|{code}"
    )


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    """Ten new recovery codes in place of the account's old ones (only their hashes
    are stored; the codes are shown once)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    session.add_all(
        RecoveryCode(user_id=user_id, code_hash=_recovery_hash(user_id, c)) for c in codes
    )
    half = _RECOVERY_LENGTH // 2
    return [f"{c[:half]}-{c[half:]}" for c in codes]


def _accept_code(
    session: Session, actor: Actor, user_id: int, secret: str, code: str, now: dt.datetime
) -> str | None:
    """Spend ``code`` of the account: a TOTP code of a step newer than the last one
    accepted, or an unused recovery code, each in one conditional ``UPDATE`` (two
    requests with the same code: one wins). Answers how ("totp", "recovery") or None.
    A recovery code used is audited."""
    code = _normalised(code)
    step = _matching_step(secret, code, now)
    if step is not None:
        taken = session.execute(
            update(User)
            .where(
                User.id == user_id,
                User.totp_secret == secret,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .returning(User.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        return "totp" if taken is not None else None
    if len(code) != _RECOVERY_LENGTH:
        return None
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _recovery_hash(user_id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(RecoveryCode.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if spent is None:
        return None
    left = _codes_left(session, user_id)
    _audit(session, actor, user_id, "recovery_code_used", after={"recovery_codes_left": left})
    return "recovery"


def _audit(session: Session, actor: Actor, user_id: int, action: str, **change: Any) -> None:
    """One audit record of the account's two-factor sign-in, with the hash of its row
    (never the secret: it is not among the hashed columns)."""
    row = session.get(User, user_id)
    audit.record(
        session, actor, entity_type="user", entity_id=user_id, action=action, row=row, **change
    )


def _codes_left(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


# --- the person's own two-factor sign-in ------------------------------------------------


def _staff_user(session: Session, actor: Actor) -> User:
    if actor.user_id is None:
        raise NotAuthenticated("please sign in")
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("please sign in")
    if user.role not in STAFF_ROLES:
        raise InvalidInput({"__all__": STAFF_ONLY})
    return user


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled_at: dt.datetime | None
    recovery_codes_left: int
    required: bool


def status(session: Session, user_id: int) -> TwoFactorStatus:
    user = session.get(User, user_id)
    if user is None:
        return TwoFactorStatus(None, 0, False)
    return TwoFactorStatus(
        user.totp_enabled_at, _codes_left(session, user_id), required_for(session, user.role)
    )


@dataclass(frozen=True)
class Enabled:
    """Two-factor sign-in turned on: this session's new cookie (the others ended) and
    the recovery codes, to show once."""

    session_cookie: str
    recovery_codes: list[str]


def enable(session: Session, actor: Actor, *, enrolment: str, code: str) -> Enabled:
    """Turn two-factor sign-in on with the secret of ``enrolment`` once ``code`` from
    the person's app matches it: stores the secret, makes ten recovery codes and ends
    the account's other sessions and tokens. Commits."""
    user = _staff_user(session, actor)
    session.refresh(user, with_for_update=True)
    if user.totp_enabled_at is not None:
        raise InvalidInput({"__all__": ALREADY_ON})
    secret = _read_enrolment(enrolment, user.id)
    if secret is None:
        raise InvalidInput({"code": ENROLMENT_EXPIRED})
    now = utcnow()
    step = _matching_step(secret, _normalised(code), now)
    if step is None:
        raise InvalidInput({"code": ENROLMENT_CODE_WRONG})
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = step
    user.session_epoch += 1
    codes = _new_recovery_codes(session, user.id)
    _audit(session, actor, user.id, "two_factor_enabled", after={"recovery_codes": len(codes)})
    session.commit()
    return Enabled(tokens.make_session_cookie(user.id, user.session_epoch), codes)


def disable(session: Session, actor: Actor, *, password: str, code: str) -> None:
    """Turn the person's own two-factor sign-in off, with a code (or a recovery code)
    and their password; either wrong counts toward the lockout. The code is checked
    first, so that a right password (which ends a run of failures) cannot make room for
    guessing codes. Refused while their role requires it. Commits."""
    user = _staff_user(session, actor)
    if user.totp_enabled_at is None or user.totp_secret is None:
        raise InvalidInput({"__all__": NOT_ON})
    if required_for(session, user.role):
        raise InvalidInput({"__all__": REQUIRED_FOR_ROLE})
    if service._is_locked(user.locked_until, utcnow()) or (
        _accept_code(session, actor, user.id, user.totp_secret, code, utcnow()) is None
    ):
        session.rollback()
        service._count_failure(
            session, actor.user_id or 0, utcnow(), actor, action="two_factor_failed", after={}
        )
        session.commit()
        raise InvalidInput({"code": CODE_WRONG})
    # A wrong password rolls the spent code back and counts (reverify_password).
    if service.reverify_password(session, user.id, password) is None:
        raise InvalidInput({"password": service.CURRENT_PASSWORD_WRONG})
    _turn_off(session, user)
    _audit(session, actor, user.id, "two_factor_disabled")
    session.commit()


def _turn_off(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def reset(session: Session, actor: Actor, user_id: int, reason: str) -> TwoFactorStatus:
    """An administrator turns off someone's two-factor sign-in (a lost phone, after
    identifying the person): their sessions and tokens end; where their role requires
    it, they set it up again at their next sign-in. Audited with the reason. Commits."""
    require_role(actor, {Role.ADMIN})
    if not reason.strip():
        raise InvalidInput({"reason": service.GIVE_A_REASON})
    user = session.get(User, user_id, with_for_update=True)
    if user is None or user.totp_enabled_at is None:
        raise InvalidInput({"reason": NOT_ON})
    _turn_off(session, user)
    user.session_epoch += 1
    _audit(session, actor, user.id, "two_factor_reset", reason=reason.strip()[:500])
    session.commit()
    return status(session, user_id)


# --- signing in with the second factor ---------------------------------------------------


def next_step(db: Database, signed_in: service.SignedIn) -> Purpose | None:
    """What a right password still lacks: the code ("code"), a set-up that the
    account's role requires ("enrol"), or nothing."""
    if signed_in.second_factor:
        return "code"
    if signed_in.actor.role not in STAFF_ROLES:
        return None
    with db.session() as read:
        return "enrol" if required_for(read, signed_in.actor.role) else None


def complete_sign_in(
    db: Database, user_id: int, epoch: int, code: str, *, client: str
) -> service.SignedIn:
    """The second half of a sign-in: the code (or a recovery code) of the account whose
    password was right. A wrong code counts toward the lockout and the client's
    throttle; raises ``RateLimited`` or ``NotAuthenticated`` (``CODE_WRONG``)."""
    now = utcnow()
    with db.session() as read:
        service.check_sign_in_throttle(read, client, now)
    with db.transaction() as write:
        user = write.get(User, user_id)
        if user is None:
            raise NotAuthenticated(CODE_WRONG)
        secret = user.totp_secret
        usable = (
            user.is_active
            and user.session_epoch == epoch
            and not service._is_locked(user.locked_until, now)
        )
        actor = service.to_actor(user)
        how = None
        if usable and secret is not None:
            how = _accept_code(write, actor, user.id, secret, code, now)
        if how is not None:
            row = write.execute(
                update(User)
                .where(User.id == user_id, User.session_epoch == epoch, service._unlocked(now))
                .where(User.is_active.is_(True))
                .values(failed_logins=0, locked_until=None, last_login_at=now)
                .returning(User.id)
                .execution_options(synchronize_session=False)
            ).scalar()
            if row is not None:
                _audit(write, actor, user_id, "sign_in", after={"client": client, "by": how})
                return service.SignedIn(user_id, epoch, actor)
            write.rollback()
        service._sign_in_failed(write, user, user.email, now, client, action="two_factor_failed")
    raise NotAuthenticated(CODE_WRONG)


@dataclass(frozen=True)
class Pending:
    """The signed-in-by-password half of a sign-in, from its cookie."""

    user_id: int
    epoch: int
    purpose: Purpose
    next: str


def pending_cookie(signed_in: service.SignedIn, purpose: Purpose, nxt: str) -> str:
    return _serializer("two-factor-pending").dumps(
        {"u": signed_in.user_id, "e": signed_in.session_epoch, "p": purpose, "n": nxt}
    )


def read_pending(value: str | None, purpose: Purpose) -> Pending | None:
    if not value:
        return None
    try:
        data = _serializer("two-factor-pending").loads(value, max_age=PENDING_MAX_AGE_S[purpose])
        found = Pending(int(data["u"]), int(data["e"]), data["p"], str(data["n"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return found if found.purpose == purpose else None


def enrolling_actor(session: Session, pending: Pending) -> Actor | None:
    """Who sets up the two-factor sign-in their role requires (after their password),
    or None when the account has since changed (signed out, deactivated)."""
    user = session.get(User, pending.user_id)
    if user is None or not user.is_active or user.session_epoch != pending.epoch:
        return None
    return service.to_actor(user)


# --- the per-role requirement -------------------------------------------------------------


def required_for(session: Session, role: str) -> bool:
    return bool(
        session.scalar(select(TwoFactorPolicy.required).where(TwoFactorPolicy.role == role))
    )


@dataclass(frozen=True)
class RolePolicy:
    role: str
    required: bool
    accounts: int
    enabled: int
    changed_at: dt.datetime | None


def policies(session: Session) -> list[RolePolicy]:
    """Each staff role: whether it requires two-factor sign-in, and how many of its
    active accounts have it on."""
    rows = {p.role: p for p in session.scalars(select(TwoFactorPolicy))}
    counts = {
        role: (total, on)
        for role, total, on in session.execute(
            select(User.role, func.count(User.id), func.count(User.totp_enabled_at))
            .where(User.is_active.is_(True))
            .group_by(User.role)
        )
    }
    out = []
    for role in STAFF_ROLES:
        row = rows.get(role)
        total, on = counts.get(role, (0, 0))
        out.append(
            RolePolicy(role, bool(row and row.required), total, on, row.changed_at if row else None)
        )
    return out


def set_policy(session: Session, actor: Actor, roles: Iterable[str]) -> int:
    """Require two-factor sign-in of exactly the staff roles in ``roles``; answers
    how many roles changed. A role newly required signs out its accounts without
    two-factor sign-in, so that they set it up at their next sign-in. An administrator
    without it cannot require it of administrators (they would lock themselves out
    of this page). Each change is audited. Commits."""
    require_role(actor, {Role.ADMIN})
    required = set(roles)
    unknown = required - set(STAFF_ROLES)
    if unknown:
        raise InvalidInput({"__all__": N_("choose among the staff roles")})
    if Role.ADMIN in required and not required_for(session, Role.ADMIN):
        me = session.get(User, actor.user_id) if actor.user_id is not None else None
        if me is None or me.totp_enabled_at is None:
            raise InvalidInput({"__all__": ENROL_YOURSELF_FIRST})
    now = utcnow()
    changed = 0
    for role in STAFF_ROLES:
        want = role in required
        row = session.get(TwoFactorPolicy, str(role), with_for_update=True)
        if bool(row and row.required) == want:
            continue
        if row is None:
            row = TwoFactorPolicy(role=str(role), required=want, changed_by_id=actor.user_id)
            session.add(row)
        row.required = want
        row.changed_by_id = actor.user_id  # type: ignore[assignment]
        row.changed_at = now
        signed_out = 0
        if want:
            signed_out = session.execute(
                update(User)
                .where(User.role == role, User.totp_enabled_at.is_(None))
                .values(session_epoch=User.session_epoch + 1)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
        audit.record(
            session,
            actor,
            entity_type="two_factor_policy",
            entity_id=str(role),
            action="two_factor_policy_changed",
            row=row,
            before={"required": not want},
            after={"required": want, "accounts_signed_out": signed_out},
        )
        changed += 1
    session.commit()
    return changed
