"""Accounts: creating users, signing in with lockout, resolving cookies and tokens to
an ``Actor``, and re-verifying a password for an e-signature."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from respira.accounts.models import User
from respira.accounts.passwords import hash_password, password_problem, verify_password
from respira.kit import audit, tokens
from respira.kit.actors import ALL_ROLES, Actor, Role, require_role
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput, NotAuthenticated

SIGN_IN_FAILED = (
    "Sign-in failed: the email or password is not correct, or the account is locked "
    "for 15 minutes after 5 failed attempts in a row."
)


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    name: str
    role: str
    is_active: bool
    patient_id: int | None
    locked_until: dt.datetime | None


def _view(u: User) -> UserView:
    return UserView(u.id, u.email, u.name, u.role, u.is_active, u.patient_id, u.locked_until)


def to_actor(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, name=user.name, patient_id=user.patient_id)


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput({"email": f"not a valid email address ({exc})"}) from exc


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    patient_id: int | None = None,
) -> UserView:
    require_role(actor, {Role.ADMIN})
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if role not in ALL_ROLES:
        errors["role"] = f"must be one of: {', '.join(sorted(ALL_ROLES))}"
    if not name.strip() or len(name) > 200:
        errors["name"] = "a name of 1 to 200 characters is required"
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    if role == Role.PATIENT and patient_id is None:
        errors["patient"] = "a patient account must be linked to a patient record"
    if role != Role.PATIENT and patient_id is not None:
        errors["patient"] = "only a patient account can be linked to a patient record"
    if not errors and session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = "an account with this email already exists"
    if patient_id is not None and not errors:
        from respira.patients import service as patients_service

        if not patients_service.exists(session, patient_id):
            errors["patient"] = "no such patient"
        elif session.scalar(select(User.id).where(User.patient_id == patient_id)):
            errors["patient"] = "this patient already has an account"
    if errors:
        raise InvalidInput(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        patient_id=patient_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="user",
        entity_id=user.id,
        action="create",
        after={
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "patient_id": user.patient_id,
        },
    )
    session.commit()
    return _view(user)


def set_active(session: Session, actor: Actor, email: str, active: bool, reason: str) -> UserView:
    """Deactivate an account (someone left the clinic) or activate it again.
    Deactivation bumps the session epoch, so the person's open sessions and tokens stop
    working at once; the account and everything it signed stay in the record."""
    require_role(actor, {Role.ADMIN})
    if not reason.strip():
        raise InvalidInput({"reason": "give a reason; it is kept in the audit trail"})
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise InvalidInput({"email": "no account with this email"})
    if user.is_active != active:
        user.is_active = active
        if not active:
            user.session_epoch += 1
        audit.record(
            session,
            actor,
            entity_type="user",
            entity_id=user.id,
            action="activate" if active else "deactivate",
            before={"is_active": not active},
            after={"is_active": active},
            reason=reason,
        )
    session.commit()
    return _view(user)


def list_users(session: Session) -> list[UserView]:
    return [_view(u) for u in session.scalars(select(User).order_by(User.role, User.email))]


def _register_failure(session: Session, user: User, actor_for_audit: Actor | None) -> None:
    s = get_settings()
    user.failed_logins += 1
    if user.failed_logins >= s.login_max_failures:
        user.failed_logins = 0
        user.locked_until = utcnow() + dt.timedelta(seconds=s.login_lockout_s)
        audit.record(
            session,
            actor_for_audit or to_actor(user),
            entity_type="user",
            entity_id=user.id,
            action="lock",
            after={"locked_until": user.locked_until},
            reason=f"{s.login_max_failures} failed password entries in a row",
        )


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def authenticate(session: Session, email: str, password: str) -> User:
    """Check a sign-in and commit its effect on the failure counter.

    Raises ``NotAuthenticated`` with one message for every kind of failure, so the
    answer does not tell whether an account exists or is locked.
    """
    try:
        email = normalise_email(email)
    except InvalidInput:
        verify_password(None, password)
        raise NotAuthenticated(SIGN_IN_FAILED) from None
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        verify_password(None, password)
        raise NotAuthenticated(SIGN_IN_FAILED)
    if _is_locked(user):
        verify_password(None, password)
        raise NotAuthenticated(SIGN_IN_FAILED)
    if not verify_password(user.password_hash, password):
        _register_failure(session, user, None)
        session.commit()
        raise NotAuthenticated(SIGN_IN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    session.commit()
    return user


def reverify_password(session: Session, user_id: int, password: str) -> User | None:
    """For an e-signature: the signer's password again. On failure, the caller's
    pending work is rolled back, the failure is counted (and may lock the account)
    and committed, and None is returned."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if not _is_locked(user) and verify_password(user.password_hash, password):
        user.failed_logins = 0
        return user
    session.rollback()
    user = session.get(User, user_id)
    if user is not None and not _is_locked(user):
        _register_failure(session, user, None)
        session.commit()
    return None


def start_session(session: Session, user_id: int) -> tuple[str, Actor] | None:
    """Sign an account in without its password, for a step that has checked who the
    person is another way (the portal's one-time sign-in link): a new session cookie
    and the actor, or None when the account is inactive or locked. Records the sign-in
    time in the caller's transaction (the caller commits)."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None or not user.is_active or _is_locked(user):
        return None
    user.last_login_at = utcnow()
    return tokens.make_session_cookie(user.id, user.session_epoch), to_actor(user)


def set_own_password(session: Session, actor: Actor, password: str) -> str:
    """The signed-in person chooses a new password (a patient after the portal's
    invitation): checked as any new password, stored, audited without it. The session
    epoch moves on, so every other session and token of the account ends; answers a new
    session cookie for this one. The caller commits."""
    if actor.user_id is None:
        raise NotAuthenticated("please sign in")
    problem = password_problem(password)
    if problem:
        raise InvalidInput({"password": problem})
    user = session.get(User, actor.user_id, with_for_update=True)
    if user is None or not user.is_active:
        raise NotAuthenticated("please sign in")
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        session,
        actor,
        entity_type="user",
        entity_id=user.id,
        action="set_password",
        after={"password": "changed"},
    )
    return tokens.make_session_cookie(user.id, user.session_epoch)


def sign_out(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.session_epoch += 1
        session.commit()


# Built once: composing a WHERE clause costs more than running it.
_ACTOR_BY_ID = select(
    User.id, User.role, User.name, User.patient_id, User.is_active, User.session_epoch
).where(User.id == bindparam("user_id"))


def actor_from_claims(conn: Session | Connection, user_id: int, epoch: int) -> Actor | None:
    """Every request re-reads the account (one primary-key read), so that signing out,
    a password change or deactivation takes effect at once."""
    row = conn.execute(_ACTOR_BY_ID, {"user_id": user_id}).first()
    if row is None or not row.is_active or row.session_epoch != epoch:
        return None
    return Actor(user_id=row.id, role=row.role, name=row.name, patient_id=row.patient_id)


def actor_from_session_cookie(
    conn: Session | Connection, cookie: str | None
) -> tuple[Actor, str] | None:
    """The actor and the session nonce, or None."""
    if not cookie:
        return None
    claims = tokens.read_session_cookie(cookie)
    if claims is None:
        return None
    actor = actor_from_claims(conn, claims.user_id, claims.epoch)
    return (actor, claims.nonce) if actor else None


def actor_from_token(conn: Session | Connection, token: str) -> Actor | None:
    claims = tokens.read_api_token(token)
    if claims is None:
        return None
    return actor_from_claims(conn, *claims)


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def patient_language(session: Session, user: User) -> str | None:
    """A patient account's preferred language (from the patient's record), so that the
    patient's pages open in it; None for staff and for a patient without one."""
    if user.patient_id is None:
        return None
    from respira.patients import service as patients_service  # as in create_user

    patient = patients_service.get_visible(session, to_actor(user), user.patient_id)
    return patient.preferred_language or None
