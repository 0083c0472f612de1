"""Tables of the safety step.

- ``adverse_events``: one adverse event of a patient, following an administration where
  it does (with that administration's unit and lot, copied at recording so that the lot
  view reads its own table), graded with a CTCAE term (and the CTCAE version), its
  seriousness criteria, causality and the binary mapping, expectedness with the version
  of the reference list it was judged against, action, outcome, narrative, the
  reporting clock of a serious event and who acknowledged the alert. Never deleted:
  a correction changes the row under optimistic locking (``version``), audited with its
  reason (the history is the audit trail); a record entered in error is retracted.
- ``safety_reports``: the e-signed initial report of a serious event (number 1) and its
  follow-up reports (2, 3, ...), all kept.
- ``expected_reactions_lists``: the versioned reference list of expected reactions
  (clinical.md §4.2: judged against the version in force).
- ``on_call``: the on-call roster (physicians and the medical director) that serious
  event alerts go to.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.created import Created
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.records import RETRACTION_CONSISTENT, Recorded
from respira.safety.rules import CAUSALITY, OUTCOMES


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AdverseEvent(Recorded, Base):
    __tablename__ = "adverse_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    administration_id: Mapped[int | None] = reference("administrations.id", index=True)
    course_id: Mapped[int | None] = reference("courses.id")
    unit_id: Mapped[int | None] = reference("units.id")
    din: Mapped[str | None] = mapped_column(sa.String(13))
    lot_id: Mapped[int | None] = reference("lots.id", index=True)
    lot_code: Mapped[str | None] = mapped_column(sa.String(64))
    term: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    meddra_code: Mapped[str | None] = mapped_column(sa.String(16))
    ctcae_version: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    grade: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    onset_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    resolution_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    serious_criteria: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    serious: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    causality: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    related: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    expected: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    expected_list_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    action: Mapped[str | None] = mapped_column(sa.String(500))
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    narrative: Mapped[str | None] = mapped_column(sa.Text)
    # The reporting clock of a serious event: which clock, from when (first knowledge
    # of the event as serious), the initial report and follow-up report due times.
    clock: Mapped[str | None] = mapped_column(sa.String(64))
    clock_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    report_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    follow_up_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = reference("users.id")
    acknowledged_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("grade >= 1 AND grade <= 5", name="grade"),
        sa.CheckConstraint(_one_of("causality", CAUSALITY), name="causality"),
        sa.CheckConstraint(f"outcome IS NULL OR {_one_of('outcome', OUTCOMES)}", name="outcome"),
        sa.CheckConstraint("grade <> 5 OR outcome = 'fatal'", name="grade_five_fatal"),
        sa.CheckConstraint("grade <> 5 OR serious", name="grade_five_serious"),
        sa.CheckConstraint(
            "resolution_date IS NULL OR resolution_date >= onset_date", name="resolution"
        ),
        sa.CheckConstraint(
            "related = (causality IN ('possible', 'probable', 'definite'))", name="related"
        ),
        sa.CheckConstraint("serious OR report_due_at IS NULL", name="clock_serious_only"),
        sa.CheckConstraint(
            "(acknowledged_at IS NULL AND acknowledged_by_name IS NULL) OR "
            "(acknowledged_at IS NOT NULL AND acknowledged_by_name IS NOT NULL)",
            name="acknowledged",
        ),
        sa.Index("ix_adverse_events_serious_unacknowledged", "serious", "acknowledged_at"),
    )


class SafetyReport(Base):
    """An e-signed report of a serious event: number 1 is the initial report, the
    follow-up reports are 2, 3, ... The signature covers the text and the event as it
    stood (``event_version``)."""

    __tablename__ = "safety_reports"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    event_id: Mapped[int] = reference("adverse_events.id", index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    event_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    signature_id: Mapped[int] = reference("signatures.id")
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    signed_by_id: Mapped[int] = reference("users.id")
    signed_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "number"),
        sa.CheckConstraint("kind IN ('initial', 'follow_up')", name="kind"),
        sa.CheckConstraint("(kind = 'initial') = (number = 1)", name="initial_first"),
    )


class ExpectedReactionsList(Created, Base):
    __tablename__ = "expected_reactions_lists"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, unique=True)
    effective_from: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, unique=True)
    terms: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    source: Mapped[str] = mapped_column(sa.Text, nullable=False)

    __table_args__ = (sa.CheckConstraint("version >= 1", name="version"),)


class OnCall(Base):
    """A shift of the on-call roster: who (a physician's account; the medical director
    may be a physician or an admin), in which role, from when to when."""

    __tablename__ = "on_call"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = reference("users.id", index=True)
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (
        sa.CheckConstraint("role IN ('physician', 'medical_director')", name="role"),
        sa.CheckConstraint("ends_at > starts_at", name="times"),
        sa.Index("ix_on_call_times", "starts_at", "ends_at"),
    )
