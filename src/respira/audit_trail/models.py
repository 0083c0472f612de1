"""The audit trail's own tables, beside the hash chain (``respira.kit.audit``):

- ``access_records``: who read which patient's record, when and where (the patient
  page, the patient API). Written in batches off the request path
  (``respira.audit_trail.access``); not part of the hash chain (see
  ``docs/decisions/2026-12-06-hardening.md``).
- ``audit_patient_links``: which audit record concerns which patient, derived from the
  trail itself (``respira.audit_trail.links``), so that "the records of a patient" is one
  indexed range (``patient_id, seq``) however long the trail grows.
- ``audit_link_progress``: how far the links have been derived (the newest seq read).

It also indexes the chain's table for the trail's filters (the table is the kit's; its
columns are hashed, its indexes are not): by time, for a date range, and by actor, so
that "what did this user do, newest first" is one range of ``(actor_id, seq)``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.audit import AuditRecord
from respira.kit.db import Base, UTCDateTime

# Where a staff member read a patient's record: the patient's own page and API record;
# any other read is "<page|api|fhir>:<what>" (``respira.audit_trail.access``).
ACCESS_PLACES: tuple[str, ...] = ("patient_page", "patient_api")


class AccessRecord(Base):
    __tablename__ = "access_records"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # No foreign keys, like the audit trail's actor columns: a log entry outlives what it
    # names and a batch of them must never be refused as a whole.
    patient_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    place: Mapped[str] = mapped_column(sa.String(32), nullable=False)

    __table_args__ = (
        sa.Index("ix_access_records_patient_at", "patient_id", "at"),
        sa.Index("ix_access_records_actor_at", "actor_id", "at"),
    )


class AuditPatientLink(Base):
    __tablename__ = "audit_patient_links"

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    patient_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __table_args__ = (sa.Index("ix_audit_patient_links_patient_seq", "patient_id", "seq"),)


class AuditLinkProgress(Base):
    __tablename__ = "audit_link_progress"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


# The chain's table, indexed for the filters of the trail's page and API.
AUDIT_AT_INDEX = sa.Index("ix_audit_records_at", AuditRecord.at)
AUDIT_ACTOR_INDEX = sa.Index("ix_audit_records_actor_seq", AuditRecord.actor_id, AuditRecord.seq)
