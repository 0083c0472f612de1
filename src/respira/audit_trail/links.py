"""Which audit records concern which patient: links derived from the trail itself.

The chain's records name an entity (``entity_type``, ``entity_id``), not a patient, and
``respira.kit.audit`` stays as it is (its columns are hashed). Asking every step's
tables "is this row yours?" would make the audit trail know every step's tables, and a
row's patient could be changed or the row gone by the time it is asked. The trail
already says it: a patient's own records are ``entity_type == "patient"``, a record
created for a patient carries ``patient_id`` in what it stored, a record made under
another one names its parent (``visit_id``, ``course_id``, ...), and a signature names
what it signs. So a record's patient is, in order:

1. the entity itself when it is a patient;
2. the ``patient_id`` the record stores (after, then before);
3. the patient of the entity's earlier records (an update, a retraction, a sign);
4. the patient of the entity a signature signs, or of the parent the record names
   (``PARENT_KEYS``).

When an entity gets its patient only later (a consultation request converted into a
patient), its earlier records are linked then too. ``catch_up`` walks the records added
since its last run in ``seq`` order, in batches, and stores one ``(seq, patient_id)``
row per linked record: "the records of patient 17, newest first" is then one range of
the ``(patient_id, seq)`` index. It runs as a job and, before a page filters by patient,
on demand; both are safe at once (the progress row is locked, and on SQLite write
transactions are serialised by ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from respira.audit_trail.models import AuditLinkProgress, AuditPatientLink
from respira.kit.audit import AuditRecord
from respira.kit.db import Database

PROGRESS = "patients"
BATCH = 5_000

# A stored field that names the record's parent → the parent's entity type.
PARENT_KEYS: dict[str, str] = {
    "visit_id": "diagnostic_visit",
    "course_id": "course",
    "admission_id": "admission",
    "administration_id": "administration",
    "thread_id": "message_thread",
    "stay_id": "stay",
    "quote_id": "quote",
    "invoice_id": "invoice",
    "findings_id": "screening_findings",
    "follow_up_id": "follow_up_check_in",
    "event_id": "adverse_event",
    "harvest_id": "harvest",
    "screening_id": "screening",
    "summary_id": "medical_summary",
}


def _fields(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


class _Resolver:
    """The entity → patient map of one run: what this run found, then the stored links."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[tuple[str, str], int | None] = {}

    def patient_of(self, entity_type: str, entity_id: str) -> int | None:
        key = (entity_type, entity_id)
        if key not in self.known:
            self.known[key] = self.session.scalar(
                select(AuditPatientLink.patient_id)
                .join(AuditRecord, AuditRecord.seq == AuditPatientLink.seq)
                .where(AuditRecord.entity_type == entity_type, AuditRecord.entity_id == entity_id)
                .limit(1)
            )
        return self.known[key]

    def resolve(self, r: AuditRecord) -> int | None:
        if r.entity_type == "patient":
            return _as_id(r.entity_id)
        after, before = _fields(r.after), _fields(r.before)
        for fields in (after, before):
            found = _as_id(fields.get("patient_id"))
            if found is not None:
                return found
        earlier = self.patient_of(r.entity_type, r.entity_id)
        if earlier is not None:
            return earlier
        signed_type, signed_id = after.get("entity_type"), after.get("entity_id")
        if r.entity_type == "signature" and isinstance(signed_type, str) and signed_id:
            return self.patient_of(signed_type, str(signed_id))
        for key, parent_type in PARENT_KEYS.items():
            parent_id = _as_id(after.get(key))
            if parent_id is not None:
                found = self.patient_of(parent_type, str(parent_id))
                if found is not None:
                    return found
        return None


def _progress(session: Session) -> AuditLinkProgress:
    """The progress row, locked until the transaction ends (on SQLite the write
    transaction itself is the lock). Two first runs at once both insert it: PostgreSQL
    keeps one (``ON CONFLICT DO NOTHING``), and the other waits on its lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            pg_insert(AuditLinkProgress)
            .values(name=PROGRESS, seq=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return session.scalars(
            select(AuditLinkProgress).where(AuditLinkProgress.name == PROGRESS).with_for_update()
        ).one()
    row = session.get(AuditLinkProgress, PROGRESS)
    if row is None:
        row = AuditLinkProgress(name=PROGRESS, seq=0)
        session.add(row)
        session.flush()
    return row


def catch_up_session(session: Session, *, batch: int = BATCH) -> int:
    """Link the records added since the last run, one batch; answers how many records
    were read (0: up to date). In the caller's transaction."""
    progress = _progress(session)
    records = list(
        session.scalars(
            select(AuditRecord)
            .where(AuditRecord.seq > progress.seq)
            .order_by(AuditRecord.seq)
            .limit(batch)
        )
    )
    if not records:
        return 0
    resolver = _Resolver(session)
    links: list[dict[str, int]] = []
    for r in records:
        patient_id = resolver.resolve(r)
        key = (r.entity_type, r.entity_id)
        if patient_id is None:
            resolver.known.setdefault(key, None)
            continue
        if r.entity_type != "patient" and resolver.known.get(key) is None:
            # The entity's first link: its earlier records (a request before it was
            # converted into a patient) belong to the patient too.
            earlier = session.scalars(
                select(AuditRecord.seq).where(
                    AuditRecord.entity_type == r.entity_type,
                    AuditRecord.entity_id == r.entity_id,
                    AuditRecord.seq < r.seq,
                )
            )
            linked = {link["seq"] for link in links}
            links += [{"seq": s, "patient_id": patient_id} for s in earlier if s not in linked]
            resolver.known[key] = patient_id
        links.append({"seq": r.seq, "patient_id": patient_id})
    if links:
        fresh = _not_linked(session, links)
        if fresh:
            session.execute(insert(AuditPatientLink), fresh)
    progress.seq = records[-1].seq
    session.flush()
    return len(records)


def _not_linked(session: Session, links: list[dict[str, int]]) -> list[dict[str, int]]:
    """The links whose record has none yet (an earlier record linked twice, or by an
    earlier run, keeps its first link)."""
    seqs = sorted({link["seq"] for link in links})
    taken: set[int] = set()
    for start in range(0, len(seqs), 900):
        chunk = seqs[start : start + 900]
        taken |= set(
            session.scalars(select(AuditPatientLink.seq).where(AuditPatientLink.seq.in_(chunk)))
        )
    out: dict[int, dict[str, int]] = {}
    for link in links:
        if link["seq"] not in taken and link["seq"] not in out:
            out[link["seq"]] = link
    return list(out.values())


def catch_up(db: Database, now: dt.datetime | None = None) -> int:
    """The job: link every record added since the last run, a batch per transaction;
    answers how many records were read."""
    total = 0
    while True:
        with db.transaction() as session:
            done = catch_up_session(session)
        total += done
        if done < BATCH:
            return total
