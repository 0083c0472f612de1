"""The append-only, keyed hash chain of the audit trail, its anchor, and e-signatures.

Every create, update and delete of clinical data appends one ``AuditRecord`` in the
same transaction as the change: who (user and role), when (UTC), what (entity type and
id, action, the fields before and after) and why (reason, when given). Records form a
chain: each stores an HMAC-SHA256 of its own content and of the hash of the record
before it, under the **audit key** (``RESPIRA_AUDIT_KEY`` or the file
``RESPIRA_AUDIT_KEY_FILE``, kept outside the database), and a gap-free sequence number.
Without the key nobody can alter, insert or re-hash records so that ``verify_chain``
(``respira audit verify``) still passes. The application never updates or deletes an
audit record.

A chain can still be cut short from its newest end. The **anchor** catches that: the
head (sequence number and hash, with an HMAC of its own) is appended now and then to an
append-only file outside the database (``RESPIRA_AUDIT_ANCHOR_FILE``; the jobs process
and ``respira audit anchor`` write it), and ``verify`` compares the chain with the latest
anchor of this chain.

A record may carry the hash of the audited row as stored after the change (``row=``:
``row_table`` and ``row_hash``), so that ``verify_rows`` (``respira audit verify
--records``) finds rows edited, inserted or deleted behind the application's back.

Appends are serialised at the chain's head: on PostgreSQL with a transaction-scoped
advisory lock, on SQLite by the database's single writer (write transactions begin with
``BEGIN IMMEDIATE``, see ``respira.kit.db``). The unique sequence number is the last line
of defence: a fork could never commit.

E-signatures follow the spirit of 21 CFR Part 11 §11.200: a signature needs the
signer's password again at the moment of signing, and stores the signer, the time, the
meaning of the signature and the hash of exactly what was signed.

See ``docs/decisions/2026-12-06-hardening.md``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from respira.kit.actors import Actor
from respira.kit.config import get_settings
from respira.kit.db import Base, Database, UTCDateTime, utcnow
from respira.kit.errors import Forbidden, InvalidInput
from respira.kit.marks import N_

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
    # The audited row as stored after the change: its table and the hash of its columns
    # (``row_digest``); empty for records of no single row and for older records.
    row_table: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
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


# --- the key -------------------------------------------------------------------------

_KEYS: dict[tuple[str | None, str], bytes] = {}


def audit_key() -> bytes:
    """The audit key from the settings (created once in ``audit_key_file`` when unset)."""
    settings = get_settings()
    cache_key = (settings.audit_key, str(settings.audit_key_file))
    key = _KEYS.get(cache_key)
    if key is None:
        key = _KEYS[cache_key] = settings.resolved_audit_key().encode()
    return key


def key_id(key: bytes) -> str:
    """A short public name of a key (shown by ``audit head``; never the key itself)."""
    return hmac.new(key, b"respira audit key id", hashlib.sha256).hexdigest()[:12]


# --- the chain -----------------------------------------------------------------------


def _timestamp(at: dt.datetime) -> str:
    """The canonical form of a record's time in its hash: UTC, ISO 8601, microseconds."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


# A record's content in its hash, between its time and its row hash: actor id, role and
# name, entity type and id, action, before, after, reason.
Content = tuple[Any, ...]


def _content(
    actor: Actor, entity_type: str, entity_id: str, action: str, before: str | None,
    after: str | None, reason: str | None,
) -> Content:  # fmt: skip
    return (actor.user_id, actor.role, actor.name, entity_type, entity_id, action, before,
            after, reason)  # fmt: skip


def _record_payload(
    seq: int, at: str, content: Content, row_table: str | None, row_hash: str | None,
    prev_hash: str,
) -> bytes:  # fmt: skip
    return _dumps([seq, at, *content, row_table, row_hash, prev_hash]).encode()


def _record_hash(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def plain_record_hash(seq: int, at: str, content: Content, prev_hash: str) -> str:
    """The unkeyed SHA-256 of Respira before keyed chains (migration 0022): recognised
    by ``verify_chain`` to name such records, and re-chained by ``rekey``."""
    return hashlib.sha256(_dumps([seq, at, *content, prev_hash]).encode()).hexdigest()


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
    row: Any = None,
) -> AuditRecord:
    """Append one record to the chain in the session's transaction (not committed here).

    ``before`` and ``after`` hold only the fields that changed for an update; the
    whole record for a create (after) or a delete (before). ``row``, the ORM object
    changed (not for a delete), adds the hash of the row as now stored, for
    ``verify_rows``: pass it on every change of a row of a table it is passed for once.
    """
    session.flush()
    row_table = row_hash = None
    if row is not None:
        row_table, row_hash = _stored_row_hash(session, row)
    _lock_head(session)
    head = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    at = utcnow()
    before_json = canonical_json(before) if before is not None else None
    after_json = canonical_json(after) if after is not None else None
    content = _content(actor, entity_type, str(entity_id), action, before_json, after_json, reason)
    payload = _record_payload(seq, _timestamp(at), content, row_table, row_hash, prev_hash)
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
        row_table=row_table,
        row_hash=row_hash,
        prev_hash=prev_hash,
        hash=_record_hash(audit_key(), payload),
    )
    session.add(rec)
    session.flush()
    return rec


def record_created_rows(
    session: Session,
    actor: Actor,
    table_name: str,
    ids: Sequence[int],
    *,
    entity_type: str,
    reason: str,
    batch_size: int = 5_000,
) -> int:
    """Append one "create" record for each row of a row-hashed table (``table_name``,
    one of ``row_hashed_models``) with these ids, inserted in
    bulk in the session's transaction without the ORM (a synthetic registry's patients):
    each record holds the row as stored and its row hash, so that the trail knows them
    as ``record`` would have and ``verify_rows`` checks them. One hold of the chain's
    head for all of them; returns how many records were appended."""
    if not ids:
        return 0
    session.flush()
    _lock_head(session)
    head = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS_HASH)
    model = row_hashed_models()[table_name]
    table: Table = model.__table__  # type: ignore[attr-defined]
    pk, columns = _pk(table), hashed_columns(model)
    key, at = audit_key(), utcnow()
    stamp = _timestamp(at)
    appended = 0
    ordered = sorted(ids)
    for start in range(0, len(ordered), batch_size):
        chunk = ordered[start : start + batch_size]
        stored = session.execute(
            select(pk.label("__pk"), *(table.c[n] for n in columns))
            .where(pk.in_(chunk))
            .order_by(pk)
        ).mappings()
        rows: list[dict[str, Any]] = []
        for mapping in stored:
            values = dict(mapping)
            entity_id = str(values.pop("__pk"))
            after_json = json.dumps(
                values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                default=_row_default,
            )  # fmt: skip
            seq += 1
            row_hash = row_digest(values)
            content = _content(actor, entity_type, entity_id, "create", None, after_json, reason)
            digest = _record_hash(
                key, _record_payload(seq, stamp, content, table.name, row_hash, prev_hash)
            )
            rows.append(
                {
                    "seq": seq,
                    "at": at,
                    "actor_id": actor.user_id,
                    "actor_role": actor.role,
                    "actor_name": actor.name,
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "action": "create",
                    "before": None,
                    "after": after_json,
                    "reason": reason,
                    "row_table": table.name,
                    "row_hash": row_hash,
                    "prev_hash": prev_hash,
                    "hash": digest,
                }
            )
            prev_hash = digest
        if rows:
            session.execute(insert(AuditRecord), rows)
            appended += len(rows)
    return appended


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
    # The chain's first and newest hashes (of the part checked, when broken).
    first_hash: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


_VERIFY_SQL = (
    "SELECT id, seq, at, actor_id, actor_role, actor_name, entity_type, entity_id, action, "
    "before, after, reason, row_table, row_hash, prev_hash, hash FROM audit_records ORDER BY seq"
)


def _sqlite_timestamp(raw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as "YYYY-MM-DD HH:MM:SS.ffffff"; other
    # writers may drop a zero fraction. The hash is over the ISO form with a "T" and
    # six digits of microseconds.
    text = str(raw).replace(" ", "T", 1)
    return text + ".000000" if len(text) == 19 else text


def _walk(
    session: Session, batch_size: int, progress: Callable[[int], None] | None
) -> Iterable[tuple[Any, ...]]:
    """Every record in sequence order as a tuple of ``_VERIFY_SQL``'s columns (the time
    already in its canonical text), through the driver's own cursor (a server-side
    cursor on PostgreSQL): a million records in constant memory."""
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    postgres = connection.dialect.name == "postgresql"
    cursor = dbapi.cursor(name="respira_audit_verify") if postgres else dbapi.cursor()
    if postgres:
        cursor.itersize = batch_size  # type: ignore[attr-defined]
    stamp = _timestamp if postgres else _sqlite_timestamp
    done = 0
    try:
        cursor.execute(_VERIFY_SQL)
        while True:
            rows = cursor.fetchmany(batch_size)
            if not rows:
                break
            for row in rows:
                yield (*row[:2], stamp(row[2]), *row[3:])
            done += len(rows)
            if progress is not None:
                progress(done)
    finally:
        cursor.close()


def verify_chain(
    session: Session,
    *,
    key: bytes | None = None,
    batch_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk the whole chain in sequence order and recompute every HMAC under the audit
    key (``key``, by default the configured one).

    Detects an altered record (its hash no longer matches its content), a removed
    record (a gap in the sequence, or a broken link to the previous hash), a record
    inserted out of order (a link that points to the wrong predecessor) and a record
    forged or re-hashed without the key. Removing the newest records leaves a shorter
    but consistent chain: ``check_anchor`` compares the head with the anchor for that.
    """
    key = audit_key() if key is None else key
    mac = hmac.new(key, digestmod=hashlib.sha256)
    expected_seq = 1
    prev = GENESIS_HASH
    first: str | None = None
    checked = 0

    def broken(rid: int, seq: int, problem: str) -> ChainReport:
        return ChainReport(False, checked, seq, rid, problem, first, expected_seq - 1, prev)

    for row in _walk(session, batch_size, progress):
        rid, seq, at = row[:3]
        content = row[3:12]
        row_table, row_hash, prev_hash, stored = row[12:]
        if seq != expected_seq:
            return broken(
                rid,
                seq,
                f"sequence gap: expected {expected_seq}, found {seq} "
                "(a record was removed or inserted)",
            )
        if prev_hash != prev:
            return broken(rid, seq, "link broken: previous-hash does not match the record before")
        m = mac.copy()
        m.update(_record_payload(seq, at, content, row_table, row_hash, prev_hash))
        if not hmac.compare_digest(m.hexdigest(), stored):
            plain = plain_record_hash(seq, at, content, prev_hash)
            if plain == stored and row_table is None:
                return broken(
                    rid,
                    seq,
                    "content altered or unkeyed: the record carries a plain SHA-256 "
                    "instead of an HMAC under the audit key (forged without the key, or "
                    "written before keyed chains: see `respira audit rekey`)",
                )
            return broken(
                rid,
                seq,
                "content altered: stored hash does not match the content under the audit "
                "key (changed, forged, or hashed with another key)",
            )
        if first is None:
            first = stored
        prev = stored
        expected_seq += 1
        checked += 1
    return ChainReport(True, checked, first_hash=first, head_seq=checked, head_hash=prev)


def rekey(session: Session, actor: Actor, *, key: bytes | None = None) -> int:
    """Re-chain a trail written before keyed chains (plain SHA-256) under the audit key,
    once: every record must still match its plain hash and no record may be keyed yet;
    ends with an audited ``rekey`` record naming the old head. Answers the number of
    records re-chained. The caller commits."""
    key = audit_key() if key is None else key
    rows = list(_walk(session, 20_000, None))
    prev_plain = prev_new = GENESIS_HASH
    updates: list[dict[str, Any]] = []
    for n, row in enumerate(rows, 1):
        rid, seq, at = row[:3]
        content = row[3:12]
        row_table, row_hash, prev_hash, stored = row[12:]
        if seq != n or prev_hash != prev_plain or row_table is not None or row_hash is not None:
            raise InvalidInput({"chain": f"the chain is not intact at seq {seq}; not re-keyed"})
        if plain_record_hash(seq, at, content, prev_hash) != stored:
            raise InvalidInput(
                {"chain": f"record seq {seq} does not carry a plain hash; not re-keyed"}
            )
        new = _record_hash(key, _record_payload(seq, at, content, None, None, prev_new))
        updates.append({"rid": rid, "p": prev_new, "h": new})
        prev_plain, prev_new = stored, new
    if not updates:
        return 0
    for chunk in range(0, len(updates), 5_000):
        session.execute(
            text("UPDATE audit_records SET prev_hash = :p, hash = :h WHERE id = :rid"),
            updates[chunk : chunk + 5_000],
        )
    record(
        session,
        actor,
        entity_type="audit_trail",
        entity_id="chain",
        action="rekey",
        before={"head_seq": len(updates), "plain_head_hash": prev_plain},
        after={"head_seq": len(updates), "keyed_head_hash": prev_new, "key_id": key_id(key)},
        reason="re-chained under the audit key",
    )
    return len(updates)


# --- rows: what the trail says each audited row holds --------------------------------


def _row_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return _json_default(value)


def row_digest(values: Mapping[str, Any]) -> str:
    """The hash of a row's hashed columns, as read back from the database."""
    return hashlib.sha256(
        json.dumps(
            values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_row_default
        ).encode()
    ).hexdigest()


def hashed_columns(model: type) -> list[str]:
    """The columns of a model's row hash: ``__audit_row_columns__`` when the model names
    them (a table with bookkeeping that changes without an audit record, such as the
    users' failed sign-ins), else every column but ``__audit_row_exclude__``."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    chosen = getattr(model, "__audit_row_columns__", None)
    if chosen is not None:
        return list(chosen)
    excluded = set(getattr(model, "__audit_row_exclude__", ()))
    return [c.name for c in table.columns if c.name not in excluded]


def _pk(table: Table) -> Any:
    (pk,) = table.primary_key.columns
    return pk


def _stored_row_hash(session: Session, row: Any) -> tuple[str, str]:
    model = type(row)
    table: Table = model.__table__
    identity = inspect(row).identity
    assert identity is not None and len(identity) == 1, "row hashes need a one-column key"
    columns = hashed_columns(model)
    stored = (
        session.execute(select(*(table.c[n] for n in columns)).where(_pk(table) == identity[0]))
        .mappings()
        .one()
    )
    return table.name, row_digest(dict(stored))


def row_hashed_models() -> dict[str, type]:
    """Table name → model of every table whose rows ``verify_rows`` checks: the models
    that choose their hashed columns, and every record kept with who recorded it and
    its retraction (``respira.kit.records.Recorded``)."""
    found: dict[str, type] = {}
    for mapper in Base.registry.mappers:
        model = mapper.class_
        table = mapper.local_table
        if not isinstance(table, Table) or len(table.primary_key.columns) != 1:
            continue
        names = set(table.columns.keys())
        if (
            hasattr(model, "__audit_row_columns__")
            or hasattr(model, "__audit_row_exclude__")
            or {"recorded_at", "retracted_at", "retraction_reason"} <= names
        ):
            found[table.name] = model
    return found


@dataclass
class RowsReport:
    checked: int = 0
    # (table, id, what is wrong): each a row changed behind the application's back.
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    # table → rows whose newest audit record carries no row hash (written before row
    # hashes, or changed by a use case that does not pass its row): not checkable.
    unhashed: dict[str, int] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_rows(session: Session, *, limit: int = 1000) -> RowsReport:
    """Compare every row of every row-hashed table (``row_hashed_models``) with its
    audit trail: the newest record of the row's entity must carry the hash of the row as
    stored now. Finds a row edited directly (hash differs), inserted directly (no audit
    record) and deleted directly (its trail's last change is not a delete). Reports at
    most ``limit`` problems."""
    report = RowsReport()
    models = row_hashed_models()
    # The entity types each table was audited under, learnt from the trail itself.
    types: dict[str, set[str]] = {}
    for table_name, etype in session.execute(
        select(AuditRecord.row_table, AuditRecord.entity_type)
        .where(AuditRecord.row_table.is_not(None))
        .distinct()
    ):
        if table_name is not None:
            types.setdefault(table_name, set()).add(etype)
    for table_name, model in sorted(models.items()):
        report.tables.append(table_name)
        table: Table = model.__table__  # type: ignore[attr-defined]
        etypes = types.get(table_name, set())
        # entity id → (action, row_table, row_hash) of its newest record.
        newest: dict[str, tuple[str, str | None, str | None]] = {}
        if etypes:
            for eid, action, rtable, rhash in session.execute(
                select(
                    AuditRecord.entity_id,
                    AuditRecord.action,
                    AuditRecord.row_table,
                    AuditRecord.row_hash,
                )
                .where(AuditRecord.entity_type.in_(sorted(etypes)))
                .order_by(AuditRecord.seq)
            ):
                newest[eid] = (action, rtable, rhash)
        columns = hashed_columns(model)
        pk = _pk(table)
        seen: set[str] = set()
        result = session.execute(
            select(pk.label("__pk"), *(table.c[n] for n in columns)).order_by(pk)
        ).mappings()
        for mapping in result:
            report.checked += 1
            values = dict(mapping)
            eid = str(values.pop("__pk"))
            seen.add(eid)
            last = newest.get(eid)
            if last is None:
                if etypes:
                    report.problems.append(
                        (table_name, eid, "no audit record: inserted behind the application")
                    )
                else:
                    report.unhashed[table_name] = report.unhashed.get(table_name, 0) + 1
            elif last[2] is None or last[1] != table_name:
                report.unhashed[table_name] = report.unhashed.get(table_name, 0) + 1
            elif row_digest(values) != last[2]:
                report.problems.append(
                    (table_name, eid, "content differs from its last audit record: edited "
                     "behind the application")
                )  # fmt: skip
        for eid, (_action, rtable, rhash) in newest.items():
            # A delete's record carries no row hash: a row whose newest record has one
            # should still be there.
            if rtable == table_name and rhash is not None and eid not in seen:
                report.problems.append(
                    (table_name, eid, "row missing: deleted behind the application")
                )
        if len(report.problems) > limit:
            del report.problems[limit:]
            break
    return report


# --- the anchor ----------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """One line of the anchor file: the head of a chain at a time, keyed."""

    seq: int
    hash: str
    chain: str  # the hash of the chain's first record: which chain this anchors
    at: str
    note: str = ""

    def fields(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "chain": self.chain, "at": self.at,
                "note": self.note}  # fmt: skip

    def mac(self, key: bytes) -> str:
        message = b"respira audit anchor\n" + canonical_json(self.fields()).encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def line(self, key: bytes) -> str:
        return canonical_json({**self.fields(), "mac": self.mac(key)})


@dataclass
class AnchorFile:
    anchors: list[Anchor] = field(default_factory=list)
    # (line number, why): lines that are not anchors made with the key.
    bad_lines: list[tuple[int, str]] = field(default_factory=list)

    def latest(self, chain: str | None) -> Anchor | None:
        """The newest anchor of this chain."""
        return next((a for a in reversed(self.anchors) if a.chain == chain), None)


def anchor_path() -> Path:
    return get_settings().resolved_audit_anchor_file()


def read_anchors(path: Path | None = None, *, key: bytes | None = None) -> AnchorFile:
    path = anchor_path() if path is None else path
    key = audit_key() if key is None else key
    found = AnchorFile()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return found
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor(
                seq=int(data["seq"]),
                hash=str(data["hash"]),
                chain=str(data["chain"]),
                at=str(data["at"]),
                note=str(data.get("note", "")),
            )
            given = str(data["mac"])
        except (ValueError, KeyError, TypeError):
            found.bad_lines.append((number, "not an anchor line"))
            continue
        if not hmac.compare_digest(anchor.mac(key), given):
            found.bad_lines.append((number, "its HMAC does not match under the audit key"))
            continue
        found.anchors.append(anchor)
    return found


def head(session: Session) -> tuple[int, str, str | None]:
    """The chain's newest (seq, hash) and the hash of its first record (``None`` when
    the chain is empty), as committed."""
    last = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    first = session.scalar(select(AuditRecord.hash).where(AuditRecord.seq == 1))
    return (last[0], last[1], first) if last else (0, GENESIS_HASH, None)


def write_anchor(
    session: Session,
    *,
    path: Path | None = None,
    key: bytes | None = None,
    note: str = "",
    min_age_s: float = 0.0,
    now: dt.datetime | None = None,
) -> Anchor | None:
    """Append the chain's head to the anchor file (created 0600), unless the newest
    anchor of this chain already holds it or is younger than ``min_age_s``. Answers the
    anchor written, or ``None``."""
    path = anchor_path() if path is None else path
    key = audit_key() if key is None else key
    seq, head_hash, first = head(session)
    if first is None:
        return None
    now = now or utcnow()
    latest = read_anchors(path, key=key).latest(first)
    if latest is not None and not note:
        if latest.seq == seq and latest.hash == head_hash:
            return None
        age = (now - dt.datetime.fromisoformat(latest.at)).total_seconds()
        if age < min_age_s:
            return None
    anchor = Anchor(seq, head_hash, first, now.astimezone(dt.UTC).isoformat(), note)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (anchor.line(key) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return anchor


def anchor_job(db: Any, now: dt.datetime) -> int:
    """The jobs process's anchoring (``audit_trail`` step): the head, when it moved and
    the last anchor is older than ``audit_anchor_every_s``."""
    with db.transaction() as session:
        written = write_anchor(session, min_age_s=get_settings().audit_anchor_every_s, now=now)
    return 1 if written else 0


def check_anchor(session: Session, report: ChainReport, anchors: AnchorFile) -> list[str]:
    """What the anchor file says is wrong with an intact chain: cut short (its head is
    below the anchored sequence number) or rewritten (the anchored record's hash
    differs); and anchor lines not made with the key."""
    problems = [
        f"anchor file line {number}: {why} (a forged or altered anchor)"
        for number, why in anchors.bad_lines
    ]
    latest = anchors.latest(report.first_hash)
    if latest is None:
        return problems
    if report.head_seq < latest.seq:
        problems.append(
            f"truncated: the anchor of {latest.at} says the chain reached seq {latest.seq}, "
            f"but it ends at seq {report.head_seq} ({latest.seq - report.head_seq} newest "
            "records removed)"
        )
        return problems
    at_seq = session.scalar(select(AuditRecord.hash).where(AuditRecord.seq == latest.seq))
    if at_seq != latest.hash:
        problems.append(
            f"rewritten: the record at anchored seq {latest.seq} no longer has the hash "
            f"anchored at {latest.at}"
        )
    return problems


def has_data(session: Session) -> bool:
    """Whether the database holds users, patients or clinical records: such a database
    cannot have an empty audit trail."""
    names = ["users", "patients", *row_hashed_models()]
    tables = Base.metadata.tables
    return any(
        session.scalar(select(func.count()).select_from(select(tables[n]).limit(1).subquery()))
        for n in dict.fromkeys(names)
        if n in tables
    )


@dataclass
class Verdict:
    """``verify``'s answer: the chain, the anchor, and (when asked) the rows."""

    chain: ChainReport
    problems: list[str]
    notes: list[str]
    rows: RowsReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    session: Session,
    *,
    records: bool = False,
    progress: Callable[[int], None] | None = None,
    anchors: AnchorFile | None = None,
) -> Verdict:
    """The whole check of ``respira audit verify``: the keyed chain, an empty chain in a
    database with data, the latest anchor, and with ``records`` every row-hashed row."""
    chain = verify_chain(session, progress=progress)
    problems: list[str] = []
    notes: list[str] = []
    if not chain.ok:
        problems.append(
            f"chain broken at record seq {chain.broken_seq} (id {chain.broken_id}): "
            f"{chain.problem}; {chain.checked} records before it are intact"
        )
    anchors = read_anchors() if anchors is None else anchors
    if chain.ok and chain.checked == 0 and has_data(session):
        problems.append(
            "the audit trail is empty, but the database holds users, patients or clinical "
            "records: its records were removed"
        )
    if chain.ok:
        problems += check_anchor(session, chain, anchors)
        if chain.checked and anchors.latest(chain.first_hash) is None:
            notes.append(
                "no anchor of this chain yet: removing its newest records could not be "
                "detected (run `respira audit anchor`; the jobs process anchors it)"
            )
    else:
        problems += [f"anchor file line {n}: {why}" for n, why in anchors.bad_lines]
    rows = None
    if records:
        rows = verify_rows(session)
        problems += [f"{t} id {i}: {why}" for t, i, why in rows.problems]
        for table_name, n in sorted(rows.unhashed.items()):
            notes.append(
                f"{table_name}: {n} rows not checkable (their newest audit record carries no "
                "row hash)"
            )
    return Verdict(chain, problems, notes, rows)


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


# The password of a signature is hashed before the signing transaction opens: a route
# that takes one declares it (``uses(access, signature="password")``), the kit checks the
# password in a short read of its own with no transaction open and leaves the outcome,
# a ``PasswordProof``, on the request's session; the signing transaction's password
# check then only counts it (see ``respira.accounts.service.reverify_password``).
PasswordPrecheck = Callable[[Database, int, str], object]  # (database, user id, password)
PASSWORD_PROOFS = "respira.password_proofs"  # noqa: S105 (a key of session.info)
PASSWORD_PRECHECKED = "respira.password_prechecked"  # noqa: S105 (a key of session.info)
_password_precheck: PasswordPrecheck | None = None


def install_password_precheck(precheck: PasswordPrecheck) -> None:
    """Install the function that checks a password with no transaction open and answers
    a proof of the outcome (the accounts step's ``precheck_password``)."""
    global _password_precheck
    _password_precheck = precheck


def precheck_password(db: Database, session: Session, user_id: int, password: str) -> None:
    """Check ``password`` of the account ``user_id`` before ``session`` opens its
    transaction, and leave the proof on the session for the signature's password check.
    Marks the session as prechecked even when there is nothing to check, so that a
    signed form can tell a route that forgot to declare its password."""
    session.info[PASSWORD_PRECHECKED] = True
    if _password_precheck is None or not password:
        return
    proof = _password_precheck(db, user_id, password)
    if proof is not None:
        session.info.setdefault(PASSWORD_PROOFS, []).append(proof)


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
        raise Forbidden(N_("only a signed-in user can sign"))
    if _password_check is None:
        raise RuntimeError("no password check installed (respira.app.steps.load() installs it)")
    if not _password_check(session, actor.user_id, password):
        raise Forbidden(N_("the password given for the signature is not correct"))
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
