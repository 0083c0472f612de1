"""Accounts: creating users, signing in with lockout, resolving cookies and tokens to
an ``Actor``, and re-verifying a password for an e-signature.

Signing in never hashes inside a write transaction: the account is read in a short
read, the password is verified with no transaction open (argon2 takes tens of
milliseconds and, on SQLite, a write transaction holds the database's single write
lock), and the outcome is written in a short write transaction of its own. That write
counts a failure atomically (``UPDATE ... SET failed_logins = failed_logins + 1 ...
RETURNING``), so that parallel wrong guesses cannot overwrite each other's count; a
right password signs in only if that same write finds the account still unlocked and
its password unchanged. Failed sign-ins are also counted per client address (the
keyed hash of it, see ``respira.kit.ratelimit``): past ``login_rate_limit`` in
``login_rate_window_s`` the address is answered 429 before any hashing. Each sign-in,
failed sign-in and sign-out leaves one audit record; an attempted email that matches
no account is recorded only as its keyed hash (people type passwords into the email
field), and a password never."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from respira.accounts.models import SignInFailure, User
from respira.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    hash_password,
    password_problem,
    verify_password,
)
from respira.kit import audit, ratelimit, tokens
from respira.kit.actors import ALL_ROLES, Actor, Role, require_role
from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.errors import InvalidInput, NotAuthenticated, NotFound
from respira.kit.marks import N_
from respira.kit.validation import person_name_problem

SIGN_IN_FAILED = N_(
    "Sign-in failed: the email or password is not correct, or the account is locked "
    "for 15 minutes after 5 failed attempts in a row."
)
SIGN_IN_THROTTLED = N_(
    "Too many failed sign-ins from this address. Please wait a few minutes and try again."
)
SIGN_IN_SCOPE = "sign_in"
INVALID_EMAIL = N_("not a valid email address; write it as name@example.org")
GIVE_A_REASON = N_("give a reason; it is kept in the audit trail")


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
        raise InvalidInput({"email": INVALID_EMAIL}) from exc


def new_hash(session: Session, password: str) -> str | None:
    """The hash of a new password, computed now if ``session`` has no transaction open
    (so that the hash never holds SQLite's write lock), else None: the use case hashes
    it where it stores it. A password too long to be accepted is not hashed."""
    if session.in_transaction() or len(password) > MAX_PASSWORD_LENGTH:
        return None
    return hash_password(password)


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    patient_id: int | None = None,
    password_hash: str | None = None,
) -> UserView:
    """Create an account, audited. ``password_hash`` is the password's hash when the
    caller computed it before its transaction opened (``new_hash``)."""
    require_role(actor, {Role.ADMIN})
    hashed = password_hash or new_hash(session, password)
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if role not in ALL_ROLES:
        errors["role"] = N_("choose one of the roles")
    if not name.strip() or len(name) > 200:
        errors["name"] = N_("a name of 1 to 200 characters is required")
    elif problem := person_name_problem(name):
        errors["name"] = problem
    problem = password_problem(password, email=email, name=name)
    if problem:
        errors["password"] = problem
    if role == Role.PATIENT and patient_id is None:
        errors["patient"] = N_("a patient account must be linked to a patient record")
    if role != Role.PATIENT and patient_id is not None:
        errors["patient"] = N_("only a patient account can be linked to a patient record")
    if not errors and session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = N_("an account with this email already exists")
    if patient_id is not None and not errors:
        from respira.patients import service as patients_service

        if not patients_service.exists(session, patient_id):
            errors["patient"] = N_("no such patient")
        elif session.scalar(select(User.id).where(User.patient_id == patient_id)):
            errors["patient"] = N_("this patient already has an account")
    if errors:
        raise InvalidInput(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hashed or hash_password(password),
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
        row=user,
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
        raise InvalidInput({"reason": GIVE_A_REASON})
    user = _by_email(session, email)
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
            row=user,
            before={"is_active": not active},
            after={"is_active": active},
            reason=reason,
        )
    session.commit()
    return _view(user)


def _by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise InvalidInput({"email": N_("no account with this email")})
    return user


def get_user_by_email(session: Session, email: str) -> UserView:
    """The account with this email (for the command line); ``InvalidInput`` if none."""
    return _view(_by_email(session, email))


def unlock(session: Session, actor: Actor, email: str, reason: str) -> UserView:
    """Unlock an account locked after failed sign-ins (the person called the clinic)
    before its lockout runs out, and start its failure count again; audited."""
    require_role(actor, {Role.ADMIN})
    if not reason.strip():
        raise InvalidInput({"reason": GIVE_A_REASON})
    user = _by_email(session, email)
    if user.locked_until is not None or user.failed_logins:
        before = {"locked_until": user.locked_until, "failed_logins": user.failed_logins}
        user.locked_until = None
        user.failed_logins = 0
        audit.record(
            session,
            actor,
            entity_type="user",
            entity_id=user.id,
            action="unlock",
            row=user,
            before=before,
            after={"locked_until": None, "failed_logins": 0},
            reason=reason,
        )
    session.commit()
    return _view(user)


def patient_by_record_number(session: Session, record_number: str) -> int | None:
    """The patient a new patient account is for, by the record number staff see."""
    from respira.patients import service as patients_service  # as in create_user

    patient = patients_service.Patient
    return session.scalar(
        select(patient.id).where(patient.medical_record_number == record_number.strip())
    )


def get_user(session: Session, user_id: int) -> UserView:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    return _view(user)


def list_users(session: Session) -> list[UserView]:
    return [_view(u) for u in session.scalars(select(User).order_by(User.role, User.email))]


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the account, the session epoch its cookie or token carries
    and the actor it acts as."""

    user_id: int
    session_epoch: int
    actor: Actor
    # The password was right, but the account signs in with a second factor too
    # (``respira.accounts.two_factor.complete_sign_in``): no cookie or token yet.
    second_factor: bool = False


def _unlocked(now: dt.datetime) -> Any:
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def _still_open(user_id: int, password_hash: str, now: dt.datetime) -> tuple[Any, ...]:
    """The account is active, unlocked and still has the password that was checked:
    the condition of the write that accepts a right password."""
    return (
        User.id == user_id,
        User.is_active.is_(True),
        User.password_hash == password_hash,
        _unlocked(now),
    )


def _count_failure(
    session: Session,
    user_id: int,
    now: dt.datetime,
    actor: Actor,
    *,
    action: str,
    after: dict[str, Any],
) -> None:
    """Count one wrong password of an unlocked account in one statement (parallel
    failures each add one, on SQLite and PostgreSQL alike), audit it as ``action``
    and lock the account when the count reaches ``login_max_failures``. An account
    that is inactive or already locked is not counted again (a guess checked while
    another locked the account): its record says ``counted: false``."""
    s = get_settings()
    failures: int | None = session.execute(
        update(User)
        .where(User.id == user_id, User.is_active.is_(True), _unlocked(now))
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar()
    outcome = {**after, "failed_logins": failures} if failures else {**after, "counted": False}
    audit.record(
        session,
        actor,
        entity_type="user",
        entity_id=user_id,
        action=action,
        after=outcome,
        row=session.get(User, user_id),
    )
    if failures is not None and failures >= s.login_max_failures:
        until = now + dt.timedelta(seconds=s.login_lockout_s)
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_logins=0, locked_until=until)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            session,
            actor,
            entity_type="user",
            entity_id=user_id,
            action="lock",
            after={"locked_until": until},
            reason=f"{s.login_max_failures} failed password entries in a row",
            row=session.get(User, user_id),
        )


def _is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and locked_until > now


_ACCOUNT_BY_EMAIL = select(User.id, User.password_hash, User.is_active, User.locked_until).where(
    User.email == bindparam("email")
)


def check_sign_in_throttle(session: Session, client: str, now: dt.datetime) -> None:
    """Raise ``RateLimited`` when the client has used up its failed sign-ins (wrong
    passwords and wrong two-factor codes alike)."""
    s = get_settings()
    ratelimit.check(
        session,
        SignInFailure,
        scope=SIGN_IN_SCOPE,
        key=client,
        limit=s.login_rate_limit,
        window_s=s.login_rate_window_s,
        now=now,
        message=SIGN_IN_THROTTLED,
    )


def authenticate(db: Database, email: str, password: str, *, client: str) -> SignedIn:
    """Check a sign-in from the client ``client`` (the keyed hash of its address) and
    write its outcome.

    Raises ``RateLimited`` when the client has used up its failed sign-ins, and
    ``NotAuthenticated`` with one message for every kind of failure, so that the answer
    does not tell whether an account exists or is locked.
    """
    now = utcnow()
    try:
        address: str | None = normalise_email(email)
    except InvalidInput:
        address = None
    with db.session() as read:
        check_sign_in_throttle(read, client, now)
        account = read.execute(_ACCOUNT_BY_EMAIL, {"email": address}).first() if address else None
    usable = (
        account is not None
        and account.is_active
        and not _is_locked(account.locked_until, now)
        and len(password) <= MAX_PASSWORD_LENGTH
    )
    # No transaction is open here: the hash takes its time without holding anything.
    right = verify_password(
        account.password_hash if usable and account else None, password[:MAX_PASSWORD_LENGTH]
    )
    with db.transaction() as write:
        if right and account is not None:
            signed_in = _sign_in(write, account, now, client)
            if signed_in is not None:
                return signed_in
        _sign_in_failed(write, account, address or email.strip().lower()[:254], now, client)
    raise NotAuthenticated(SIGN_IN_FAILED)


def _sign_in(session: Session, account: Any, now: dt.datetime, client: str) -> SignedIn | None:
    """Sign the account in if it is still active and unlocked and its password is still
    the one checked (all in the same statement), with one audit record. An account with
    two-factor sign-in keeps its run of failures until its code is right too, so that
    the right password between wrong codes does not start the count again."""
    two_factor = User.totp_enabled_at.is_not(None)
    row = session.execute(
        update(User)
        .where(*_still_open(account.id, account.password_hash, now))
        .values(
            failed_logins=case((two_factor, User.failed_logins), else_=0),
            locked_until=None,
            last_login_at=case((two_factor, User.last_login_at), else_=now),
        )
        .returning(User.session_epoch, User.role, User.name, User.patient_id, User.totp_enabled_at)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    actor = Actor(user_id=account.id, role=row.role, name=row.name, patient_id=row.patient_id)
    second_factor = row.totp_enabled_at is not None
    audit.record(
        session,
        actor,
        entity_type="user",
        entity_id=account.id,
        action="password_accepted" if second_factor else "sign_in",
        after={"client": client},
        row=session.get(User, account.id),
    )
    return SignedIn(account.id, row.session_epoch, actor, second_factor)


def _sign_in_failed(
    session: Session,
    account: Any,
    attempted: str,
    now: dt.datetime,
    client: str,
    *,
    action: str = "sign_in_failed",
) -> None:
    """Count a failed sign-in (``action``: a wrong password, or a wrong two-factor
    code) toward the client's throttle and, for an account, toward its lockout; one
    audit record (two when the account locks)."""
    s = get_settings()
    ratelimit.count(
        session,
        SignInFailure,
        scope=SIGN_IN_SCOPE,
        key=client,
        window_s=s.login_rate_window_s,
        now=now,
    )
    if account is None:
        email_key = ratelimit.keyed_hash(s.resolved_secret_key(), "sign-in-email", attempted)
        audit.record(
            session,
            Actor.public(),
            entity_type="sign_in",
            entity_id=email_key,
            action="sign_in_failed",
            after={"client": client, "account": "unknown"},
        )
        return
    _count_failure(
        session, account.id, now, Actor.public(), action=action, after={"client": client}
    )


@dataclass(frozen=True)
class PasswordProof:
    """The outcome of checking a password with no transaction open: which account, the
    stored hash it was checked against, a keyed digest of the password given (never the
    password) and whether it was right. It lives on one request's session only."""

    user_id: int
    password_hash: str
    digest: bytes
    right: bool


# The key of the digests in proofs: new at every start, never stored.
_PROOF_KEY = secrets.token_bytes(32)


def _proof_digest(password: str) -> bytes:
    return hmac.new(_PROOF_KEY, password.encode("utf-8", "surrogatepass"), "sha256").digest()


def precheck_password(db: Database, user_id: int, password: str) -> PasswordProof | None:
    """Check the password of the account ``user_id`` in a short read of its own and
    hash with no transaction open (``respira.kit.audit.precheck_password`` calls this
    before a signing route's transaction opens). Counts nothing: the signing use case
    counts the outcome in its transaction (``reverify_password``)."""
    with db.session() as read:
        stored = read.scalar(select(User.password_hash).where(User.id == user_id))
    if stored is None:
        return None
    right = len(password) <= MAX_PASSWORD_LENGTH and verify_password(stored, password)
    return PasswordProof(user_id, stored, _proof_digest(password), right)


def _proven(session: Session, user_id: int, password: str, stored: str) -> bool | None:
    """The precheck's outcome for this password of this account, taken off the session
    (used once), or None when there is none or the password has changed since."""
    proofs: list[PasswordProof] = session.info.get(audit.PASSWORD_PROOFS, [])
    digest = _proof_digest(password)
    for proof in proofs:
        if proof.user_id == user_id and hmac.compare_digest(proof.digest, digest):
            proofs.remove(proof)
            return proof.right if proof.password_hash == stored else None
    return None


def reverify_password(session: Session, user_id: int, password: str) -> User | None:
    """For an e-signature: the signer's password again, in the caller's (signing)
    transaction. A right password counts only if, in the same statement that resets the
    failure count, the account is found active, unlocked and with that password. On
    failure, the caller's pending work is rolled back (which ends its transaction and,
    on SQLite, releases the write lock), the failure is counted atomically in a short
    transaction of its own (and may lock the account) and committed, and None is
    returned.

    The hash was computed before the transaction opened when the route declared the
    password (``uses(access, signature=...)``; ``precheck_password``): then this only
    reads the account and counts. Without a precheck (the CLI, the demo, a direct call)
    the hash is computed here, inside the caller's transaction."""
    now = utcnow()
    account = session.execute(
        select(User.password_hash, User.is_active, User.locked_until).where(User.id == user_id)
    ).first()
    if account is None or not account.is_active:
        return None
    proven = _proven(session, user_id, password, account.password_hash)
    right = not _is_locked(account.locked_until, now) and (
        proven
        if proven is not None
        else verify_password(account.password_hash, password[:MAX_PASSWORD_LENGTH])
    )
    if right and len(password) <= MAX_PASSWORD_LENGTH:
        still = session.execute(
            update(User)
            .where(*_still_open(user_id, account.password_hash, now))
            .values(failed_logins=0)
            .returning(User.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        if still is not None:
            return session.get(User, user_id)
    session.rollback()
    signer = session.get(User, user_id)
    if signer is not None:
        _count_failure(
            session,
            user_id,
            utcnow(),
            to_actor(signer),
            action="signature_password_failed",
            after={},
        )
        session.commit()
    return None


def start_session(session: Session, user_id: int) -> tuple[str, Actor] | None:
    """Sign an account in without its password, for a step that has checked who the
    person is another way (the portal's one-time sign-in link): a new session cookie
    and the actor, or None when the account is inactive or locked. Records the sign-in
    time in the caller's transaction (the caller commits)."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None or not user.is_active or _is_locked(user.locked_until, utcnow()):
        return None
    user.last_login_at = utcnow()
    return tokens.make_session_cookie(user.id, user.session_epoch), to_actor(user)


def set_own_password(
    session: Session, actor: Actor, password: str, *, password_hash: str | None = None
) -> str:
    """The signed-in person chooses a new password (a patient after the portal's
    invitation): checked as any new password, stored, audited without it. The session
    epoch moves on, so every other session and token of the account ends; answers a new
    session cookie for this one. The caller commits. ``password_hash`` is the password's
    hash when the caller computed it before its transaction opened (``new_hash``)."""
    if actor.user_id is None:
        raise NotAuthenticated("please sign in")
    user = session.get(User, actor.user_id, with_for_update=True)
    if user is None or not user.is_active:
        raise NotAuthenticated("please sign in")
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise InvalidInput({"password": problem})
    user.password_hash = password_hash or hash_password(password)
    user.session_epoch += 1
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        session,
        actor,
        entity_type="user",
        entity_id=user.id,
        action="set_password",
        row=user,
        after={"password": "changed"},
    )
    return tokens.make_session_cookie(user.id, user.session_epoch)


CURRENT_PASSWORD_WRONG = N_(
    "this is not your current password (after 5 wrong entries in a row the account is "
    "locked for 15 minutes)"
)
PASSWORDS_DIFFER = N_("the two new passwords are not the same; type the same password twice")


def change_own_password(
    session: Session, actor: Actor, *, current: str, password: str, repeat: str
) -> str:
    """A signed-in person changes their password, giving the current one first: a wrong
    current password counts toward the account's lockout as a wrong sign-in does
    (``reverify_password``). Answers the new session cookie of this session; every other
    session and token of the account ends. Commits."""
    if actor.user_id is None:
        raise NotAuthenticated("please sign in")
    if password != repeat:
        raise InvalidInput({"repeat": PASSWORDS_DIFFER})
    new = new_hash(session, password)
    if reverify_password(session, actor.user_id, current) is None:
        raise InvalidInput({"current": CURRENT_PASSWORD_WRONG})
    cookie = set_own_password(session, actor, password, password_hash=new)
    session.commit()
    return cookie


def sign_out(session: Session, actor: Actor) -> None:
    """End every session and token of the account (the epoch moves on), audited."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is not None:
        user.session_epoch += 1
        audit.record(
            session,
            actor,
            entity_type="user",
            entity_id=user.id,
            action="sign_out",
            row=user,
        )
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


def patient_language(session: Session, actor: Actor) -> str | None:
    """A patient account's preferred language (from the patient's record), so that the
    patient's pages open in it; None for staff and for a patient without one."""
    if actor.patient_id is None:
        return None
    from respira.patients import service as patients_service  # as in create_user

    patient = patients_service.get_visible(session, actor, actor.patient_id)
    return patient.preferred_language or None
