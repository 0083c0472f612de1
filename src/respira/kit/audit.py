"""The append-only, hash-chained audit trail and electronic signatures.

Every create, update and delete of clinical data appends one ``AuditRecord`` in the
same transaction as the change: who (user and role), when (UTC), what (entity type and
id, action, the fields before and after) and why (reason, when given). Records form a
chain: each stores the SHA-256 of its own content and the hash of the record before it,
and a gap-free sequence number, so that altering, removing or inserting a record out of
order is detected by ``verify_chain`` (``respira audit verify``). The application never
updates or deletes an audit record.

Appends are serialised at the chain's head: on PostgreSQL with a transaction-scoped
advisory lock, on SQLite by the database's single writer (write transactions begin with
``BEGIN IMMEDIATE``, see ``respira.kit.db``). The unique sequence number is the last line
of defence: a fork could never commit.

E-signatures follow the spirit of 21 CFR Part 11 §11.200: a signature needs the
signer's password again at the moment of signing, and stores the signer, the time, the
meaning of the signature and the hash of exactly what was signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from respira.kit.actors import Actor
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.errors import Forbidden, InvalidInput

GENESIS_HASH = "0" * 64
# An arbitrary 63-bit key for pg_advisory_xact_lock: "respira audit head".
AUDIT_LOCK_KEY = 0x52455350_41554454


class AuditRecord(Base):
    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (Index("ix_audit_records_entity", "entity_type", "entity_id", "seq"),)


class Signature(Base):
    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    signer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    signer_role: Mapped[str] = mapped_column(String(32), nullable=False)
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    meaning: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (Index("ix_signatures_entity", "entity_type", "entity_id"),)


def canonical_json(value: Any) -> str:
    """The one serialisation that hashes are computed over: sorted keys, no spaces,
    dates in ISO 8601."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__} for the audit trail")


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def _timestamp(at: dt.datetime) -> str:
    """The canonical form of a record's time in its hash: UTC, ISO 8601, microseconds."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _record_hash(
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_role: str,
    actor_name: str,
    entity_type: str,
    entity_id: str,
    action: str,
    before: str | None,
    after: str | None,
    reason: str | None,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [
            seq,
            _timestamp(at),
            actor_id,
            actor_role,
            actor_name,
            entity_type,
            entity_id,
            action,
            before,
            after,
            reason,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_head(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})


def record(
    session: Session,
    actor: Actor,
    *,
    entity_type: str,
    entity_id: object,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditRecord:
    """Append one record to the chain in the session's transaction (not committed here).

    ``before`` and ``after`` hold only the fields that changed for an update; the
    whole record for a create (after) or a delete (before).
    """
    session.flush()
    _lock_head(session)
    head = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    at = utcnow()
    before_json = canonical_json(before) if before is not None else None
    after_json = canonical_json(after) if after is not None else None
    rec = AuditRecord(
        seq=seq,
        at=at,
        actor_id=actor.user_id,
        actor_role=actor.role,
        actor_name=actor.name,
        entity_type=entity_type,
        entity_id=str(entity_id),
        action=action,
        before=before_json,
        after=after_json,
        reason=reason,
        prev_hash=prev_hash,
        hash=_record_hash(
            seq,
            at,
            actor.user_id,
            actor.role,
            actor.name,
            entity_type,
            str(entity_id),
            action,
            before_json,
            after_json,
            reason,
            prev_hash,
        ),
    )
    session.add(rec)
    session.flush()
    return rec


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that changed, as (before, after) dictionaries."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def history(
    session: Session,
    entity_type: str,
    entity_id: object,
    *,
    after_seq: int = 0,
    limit: int | None = None,
) -> list[AuditRecord]:
    """One entity's records, oldest first; ``after_seq`` and ``limit`` page through a
    long trail on the (entity_type, entity_id, seq) index, so a page costs the same
    however long the trail has grown."""
    stmt = (
        select(AuditRecord)
        .where(
            AuditRecord.entity_type == entity_type,
            AuditRecord.entity_id == str(entity_id),
            AuditRecord.seq > after_seq,
        )
        .order_by(AuditRecord.seq)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str | None = None


_VERIFY_SQL = (
    "SELECT id, seq, at, actor_id, actor_role, actor_name, entity_type, entity_id, action, "
    "before, after, reason, prev_hash, hash FROM audit_records ORDER BY seq"
)


def _sqlite_timestamp(raw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as "YYYY-MM-DD HH:MM:SS.ffffff"; other
    # writers may drop a zero fraction. The hash is over the ISO form with a "T" and
    # six digits of microseconds.
    text = str(raw).replace(" ", "T", 1)
    return text + ".000000" if len(text) == 19 else text


def verify_chain(
    session: Session,
    *,
    batch_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk the whole chain in sequence order and recompute every hash.

    Detects an altered record (its hash no longer matches its content), a removed
    record (a gap in the sequence, or a broken link to the previous hash) and a record
    inserted out of order (a link that points to the wrong predecessor). Removing the
    newest records leaves a shorter but consistent chain; anchoring the head elsewhere
    (a printed or exported head hash) is how an operator detects that.

    Reads through the driver's own cursor (a server-side cursor on PostgreSQL), so that
    a million records verify in seconds and in constant memory.
    """
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    postgres = connection.dialect.name == "postgresql"
    cursor = dbapi.cursor(name="respira_audit_verify") if postgres else dbapi.cursor()
    if postgres:
        cursor.itersize = batch_size  # type: ignore[attr-defined]
    stamp = _timestamp if postgres else _sqlite_timestamp
    sha256 = hashlib.sha256
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    try:
        cursor.execute(_VERIFY_SQL)
        while True:
            rows = cursor.fetchmany(batch_size)
            if not rows:
                break
            # One name per column of _VERIFY_SQL, unpacked in the loop header: the fastest
            # form in CPython (a starred target builds a list per record).
            for (
                rid,
                seq,
                at,
                actor_id,
                role,
                name,
                etype,
                eid,
                action,
                before,
                after,
                reason,
                prev_hash,
                stored,
            ) in rows:
                if seq != expected_seq:
                    return ChainReport(
                        False,
                        checked,
                        seq,
                        rid,
                        f"sequence gap: expected {expected_seq}, found {seq} "
                        "(a record was removed or inserted)",
                    )
                if prev_hash != prev:
                    return ChainReport(
                        False,
                        checked,
                        seq,
                        rid,
                        "link broken: previous-hash does not match the record before",
                    )
                payload = dumps(
                    [
                        seq,
                        stamp(at),
                        actor_id,
                        role,
                        name,
                        etype,
                        eid,
                        action,
                        before,
                        after,
                        reason,
                        prev_hash,
                    ]
                )
                if sha256(payload.encode()).hexdigest() != stored:
                    return ChainReport(
                        False,
                        checked,
                        seq,
                        rid,
                        "content altered: stored hash does not match the content",
                    )
                prev = stored
                expected_seq += 1
                checked += 1
            if progress is not None:
                progress(checked)
    finally:
        cursor.close()
    return ChainReport(True, checked)


# --- e-signatures ----------------------------------------------------------------

# Who checks a signer's password is the accounts step's business; the kit must not import
# a step, so the application installs the check once at start-up (respira.app.steps).
PasswordCheck = Callable[[Session, int, str], object]  # truthy when the password is right
_password_check: PasswordCheck | None = None


def install_password_check(check: PasswordCheck) -> None:
    """Install the function that re-checks a signer's password (counting a wrong one
    toward the account's lockout). Called by the application when it loads its steps."""
    global _password_check
    _password_check = check


def esign(
    session: Session,
    actor: Actor,
    *,
    password: str,
    meaning: str,
    allowed_meanings: Iterable[str],
    entity_type: str,
    entity_id: object,
    content: Mapping[str, Any],
) -> Signature:
    """Sign ``content`` as ``actor``, who must give their password again.

    A wrong password counts toward the account's lockout like a failed sign-in and
    raises ``Forbidden``; the signature and its audit record are written in the
    caller's transaction.
    """
    allowed = set(allowed_meanings)
    if meaning not in allowed:
        raise InvalidInput({"meaning": f"must be one of: {', '.join(sorted(allowed))}"})
    if actor.user_id is None:
        raise Forbidden("only a signed-in user can sign")
    if _password_check is None:
        raise RuntimeError("no password check installed (respira.app.steps.load() installs it)")
    if not _password_check(session, actor.user_id, password):
        raise Forbidden("the password given for the signature is not correct")
    sig = Signature(
        signer_id=actor.user_id,
        signer_name=actor.name,
        signer_role=actor.role,
        signed_at=utcnow(),
        meaning=meaning,
        entity_type=entity_type,
        entity_id=str(entity_id),
        content_hash=content_hash(content),
    )
    session.add(sig)
    session.flush()
    record(
        session,
        actor,
        entity_type="signature",
        entity_id=sig.id,
        action="sign",
        after={
            "meaning": meaning,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "content_hash": sig.content_hash,
            "signed_at": sig.signed_at,
        },
    )
    return sig
