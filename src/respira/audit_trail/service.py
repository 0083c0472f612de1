"""The audit trail's use cases: the filtered trail a page at a time, its CSV export
(itself audited), and who read a patient's record.

Filters (``Filters``): the records of one patient (through the derived links,
``respira.audit_trail.links``), of one user, of one kind of record (and one record of
it), of one action, within a date range (days of the clinic's calendar). Paging is by
``seq`` (keyset): a page costs the same however deep it lies. Newest first, except an
entity's history, which reads oldest first as it always did.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from respira.audit_trail import access, describe, links
from respira.audit_trail.models import AccessRecord, AuditPatientLink
from respira.kit import audit
from respira.kit.actors import Actor, Role, require_role
from respira.kit.audit import AuditRecord
from respira.kit.clinic_time import clinic_zone
from respira.kit.db import Database
from respira.kit.errors import Forbidden, InvalidInput
from respira.kit.marks import N_

READ_ROLES = frozenset({Role.ADMIN})
EXPORT_BATCH = 2_000
# Actions a record's headline is looked up for (they store only that they happened).
_HEADLINE_ACTIONS = ("retract", "sign", "supersede", "approve", "cancel")


@dataclass(frozen=True)
class Filters:
    patient_id: int | None = None
    actor_id: int | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def __post_init__(self) -> None:
        if self.entity_id and not self.entity_type:
            raise InvalidInput({"entity_id": N_("give the kind of record as well")})
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput({"date_to": N_("the end of the date range is before its start")})

    @property
    def history(self) -> bool:
        """One entity's history: read oldest first."""
        return bool(self.entity_type and self.entity_id)

    def active(self) -> dict[str, str]:
        """The filters given, as text (the export's audit record, the page's links)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class Page:
    records: list[AuditRecord]
    next_seq: int | None  # the cursor of the next page, None on the last


def _day_start(day: dt.date) -> dt.datetime:
    """The UTC moment a day of the clinic's calendar begins."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(clinic_zone()))
    return local.astimezone(dt.UTC)


def _statement(filters: Filters) -> Select[AuditRecord]:
    stmt = select(AuditRecord)
    if filters.patient_id is not None:
        stmt = stmt.join(AuditPatientLink, AuditPatientLink.seq == AuditRecord.seq).where(
            AuditPatientLink.patient_id == filters.patient_id
        )
    if filters.actor_id is not None:
        stmt = stmt.where(AuditRecord.actor_id == filters.actor_id)
    if filters.entity_type:
        stmt = stmt.where(AuditRecord.entity_type == filters.entity_type)
    if filters.entity_id:
        stmt = stmt.where(AuditRecord.entity_id == filters.entity_id)
    if filters.action:
        stmt = stmt.where(AuditRecord.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditRecord.at >= _day_start(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditRecord.at < _day_start(filters.date_to + dt.timedelta(days=1)))
    return stmt


def _seq_column(filters: Filters) -> Any:
    # With a patient, order by the link's seq: the (patient_id, seq) index serves it.
    return AuditPatientLink.seq if filters.patient_id is not None else AuditRecord.seq


def page(
    session: Session,
    actor: Actor,
    filters: Filters,
    *,
    after_seq: int = 0,
    before_seq: int | None = None,
    limit: int = 50,
) -> Page:
    """One page of the filtered trail: newest first below ``before_seq``, or, for an
    entity's history, oldest first above ``after_seq``."""
    require_role(actor, READ_ROLES)
    seq = _seq_column(filters)
    stmt = _statement(filters)
    if filters.history:
        stmt = stmt.where(seq > after_seq).order_by(seq)
    else:
        if before_seq is not None:
            stmt = stmt.where(seq < before_seq)
        stmt = stmt.order_by(seq.desc())
    records = list(session.scalars(stmt.limit(limit)))
    return Page(records, records[-1].seq if len(records) == limit else None)


def catch_up_links(db: Database) -> int:
    """Link the newest records to their patients before a page filters by patient."""
    return links.catch_up(db)


def headlines(
    session: Session, records: Sequence[AuditRecord], gettext: Any
) -> dict[tuple[str, str], str]:
    """The headline of each entity a retraction or signature on the page concerns, from
    its creation record ("ACT score 12"), one query for the page."""
    wanted = {
        (r.entity_type, r.entity_id)
        for r in records
        if r.action in _HEADLINE_ACTIONS and r.entity_type in describe.HEADLINES
    }
    if not wanted:
        return {}
    rows = session.execute(
        select(AuditRecord.entity_type, AuditRecord.entity_id, AuditRecord.after).where(
            AuditRecord.action == "create",
            or_(
                *(and_(AuditRecord.entity_type == t, AuditRecord.entity_id == i) for t, i in wanted)
            ),
        )
    )
    out: dict[tuple[str, str], str] = {}
    for etype, eid, after in rows:
        line = describe.headline(etype, describe.fields_of(after), gettext)
        if line:
            out[(etype, eid)] = line
    return out


def describe_page(
    session: Session, records: Sequence[AuditRecord], gettext: Any, lang: str
) -> list[describe.Entry]:
    known = headlines(session, records, gettext)
    return [describe.describe(r, gettext, lang, headlines=known) for r in records]


# --- the CSV export --------------------------------------------------------------

CSV_COLUMNS = (
    "seq",
    "at_utc",
    "at_clinic",
    "actor_id",
    "actor_name",
    "actor_role",
    "entity_type",
    "entity_id",
    "action",
    "description",
    "before",
    "after",
    "reason",
    "hash",
)


def record_export(session: Session, actor: Actor, filters: Filters) -> None:
    """The export is itself a record of the trail: who exported what (the filters).
    Committed before the first row is sent, so an export cannot leave no trace."""
    require_role(actor, READ_ROLES)
    audit.record(
        session,
        actor,
        entity_type="audit_trail",
        entity_id="export",
        action="export",
        after={"format": "csv", "filters": filters.active()},
    )


def export_rows(
    db: Database, actor: Actor, filters: Filters, gettext: Any, lang: str
) -> Iterator[str]:
    """The filtered trail as CSV text, newest first, read ``EXPORT_BATCH`` records at a
    time on short read transactions (the response streams; memory stays flat)."""
    if actor.role not in READ_ROLES:
        raise Forbidden("your role may not do this")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    after, before = 0, None
    zone = ZoneInfo(clinic_zone())
    while True:
        session = db.session()
        try:
            batch = page(
                session, actor, filters, before_seq=before, after_seq=after, limit=EXPORT_BATCH
            )
            known = headlines(session, batch.records, gettext)
        finally:
            session.close()
        for r in batch.records:
            entry = describe.describe(r, gettext, lang, headlines=known, limit=None)
            text = "; ".join([entry.summary, *(describe.change_line(c) for c in entry.changes)])
            writer.writerow(
                [
                    r.seq,
                    r.at.astimezone(dt.UTC).isoformat(),
                    r.at.astimezone(zone).isoformat(),
                    "" if r.actor_id is None else r.actor_id,
                    _safe_cell(r.actor_name),
                    r.actor_role,
                    r.entity_type,
                    r.entity_id,
                    r.action,
                    _safe_cell(text),
                    _safe_cell(r.before or ""),
                    _safe_cell(r.after or ""),
                    _safe_cell(r.reason or ""),
                    r.hash,
                ]
            )
        yield _drain(buffer)
        if batch.next_seq is None:
            return
        if filters.history:  # an entity's history reads oldest first
            after = batch.next_seq
        else:
            before = batch.next_seq


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection: =, +, -, @)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- who read a patient's record -----------------------------------------------


@dataclass(frozen=True)
class Access:
    at: dt.datetime
    actor_name: str
    actor_role: str
    place: str


def record_access(db: Database, actor: Actor, patient_id: int, place: str) -> None:
    """Note a staff member's read of a patient's record; returns at once (the record is
    written in a batch off the request path, ``respira.audit_trail.access``)."""
    access.record(db, actor, patient_id, place)


def accesses(session: Session, actor: Actor, patient_id: int, *, limit: int = 50) -> list[Access]:
    """Who read the patient's record, newest first: for the patient themself and for
    admins. Reads are written within ``access.FLUSH_INTERVAL_S`` of happening; this
    read does not wait for them (nor write anything itself)."""
    if actor.role == Role.PATIENT:
        if actor.patient_id != patient_id:
            raise Forbidden("a patient sees only who read their own record")
    else:
        require_role(actor, READ_ROLES)
    rows = session.scalars(
        select(AccessRecord)
        .where(AccessRecord.patient_id == patient_id)
        .order_by(AccessRecord.at.desc(), AccessRecord.id.desc())
        .limit(limit)
    )
    return [Access(r.at, r.actor_name, r.actor_role, r.place) for r in rows]
