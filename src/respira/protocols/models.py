"""Tables of the protocol step: the programme's limits (versioned data) and the
treatment courses with their IV infusions, nebulised doses and supporting modalities.

- Programme limits are never edited: a change is a new row with the next ``version``,
  and the newest version is the one in force. A course names the version it was
  checked against (``limits_id``).
- A course is a plan for one stay. Its identity for people is the patient's course
  ``number`` (1, 2, ... per patient; a repeat course is a new number, linked with
  ``repeat_of_id``) and its ``version`` (a revision of an approved course is a new row
  of the same number with the next version, pointing at it with ``revises_id``, unique:
  a course is revised at most once). ``status`` is ``draft``, ``approved`` or
  ``superseded``; an approved row never changes except to become ``superseded`` when its
  revision is approved (a revised draft is superseded at once: it was in force nowhere).
- Each IV infusion stores the dose per kg and the absolute cell count computed from the
  plan's weight, with the weight and its date on the course (clinical.md §5.3 "Dose
  normalisation": store both, with the weight used and its date).
- Day-of-stay columns keep their calendar date too (``on_date``), so that the infusion
  room's daily capacity and the ward's board query one indexed column.
- Self-references have no ON DELETE action (as in screening): the database checks them
  at the end of each statement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.marks import N_
from respira.protocols.schemas import Modality, Source, Status

# The values the API accepts (``respira.protocols.schemas``) are the values the tables hold.
SOURCES: tuple[str, ...] = get_args(Source)
STATUSES: tuple[str, ...] = get_args(Status)
MODALITIES: tuple[str, ...] = get_args(Modality)
APPROVAL_MEANING = N_("approved protocol")
OVERRIDE_MEANING = N_("approved limit override")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ProgrammeLimits(Base):
    """One version of the programme's limits."""

    __tablename__ = "programme_limits"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, unique=True, nullable=False)
    dose_min_million_cells_per_kg: Mapped[float] = mapped_column(sa.Float, nullable=False)
    dose_max_million_cells_per_kg: Mapped[float] = mapped_column(sa.Float, nullable=False)
    max_infusions_per_course: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    stay_min_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    stay_max_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    lead_time_bone_marrow_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    lead_time_adipose_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    infusion_chairs_per_day: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = reference("users.id")
    created_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (
        sa.CheckConstraint(
            "dose_min_million_cells_per_kg > 0 AND "
            "dose_min_million_cells_per_kg <= dose_max_million_cells_per_kg",
            name="dose_range",
        ),
        sa.CheckConstraint("max_infusions_per_course >= 1", name="max_infusions"),
        sa.CheckConstraint("stay_min_days >= 1 AND stay_min_days <= stay_max_days", name="stay"),
        sa.CheckConstraint(
            "lead_time_bone_marrow_days >= 0 AND lead_time_adipose_days >= 0", name="lead_times"
        ),
        sa.CheckConstraint("infusion_chairs_per_day >= 1", name="chairs"),
    )


class Course(Base):
    """One version of a patient's treatment course."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id")
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    source: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    harvest_id: Mapped[int | None] = reference("harvests.id", index=True)
    start_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    stay_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    end_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    weight_kg: Mapped[float] = mapped_column(sa.Float, nullable=False)
    weight_measured_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    premedication: Mapped[str | None] = mapped_column(sa.Text)
    repeat_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id"))
    revises_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id"), unique=True)
    limits_id: Mapped[int] = reference("programme_limits.id")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = reference("users.id")
    created_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # A second physician's e-signed override of the limits the plan is outside of.
    override_limits: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    override_by_id: Mapped[int | None] = reference("users.id")
    override_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    override_signature_id: Mapped[int | None] = reference("signatures.id", unique=True)
    # The approving physician's e-signature.
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = reference("users.id")
    approved_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    approval_signature_id: Mapped[int | None] = reference("signatures.id", unique=True)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    medication_at_approval: Mapped[str | None] = mapped_column(sa.Text)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    infusions: Mapped[list[CourseInfusion]] = relationship(
        order_by="CourseInfusion.day", cascade="all, delete-orphan", lazy="selectin"
    )
    nebulisations: Mapped[list[CourseNebulisation]] = relationship(
        order_by=lambda: [CourseNebulisation.day, CourseNebulisation.id],
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    supporting: Mapped[list[CourseSupporting]] = relationship(
        order_by="CourseSupporting.id", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        sa.UniqueConstraint("patient_id", "number", "version"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint(_in("source", SOURCES), name="source"),
        sa.CheckConstraint(
            "(source = 'allogeneic_cord' AND harvest_id IS NULL) OR "
            "(source <> 'allogeneic_cord' AND harvest_id IS NOT NULL)",
            name="harvest_for_autologous",
        ),
        sa.CheckConstraint("number >= 1 AND version >= 1", name="numbering"),
        sa.CheckConstraint("stay_days >= 1", name="stay_days"),
        sa.CheckConstraint("weight_kg > 0", name="weight"),
        sa.CheckConstraint(
            "(override_signature_id IS NULL AND override_by_id IS NULL "
            "AND override_by_name IS NULL AND override_reason IS NULL "
            "AND override_limits IS NULL) OR "
            "(override_signature_id IS NOT NULL AND override_by_id IS NOT NULL "
            "AND override_by_name IS NOT NULL AND override_reason IS NOT NULL "
            "AND override_limits IS NOT NULL)",
            name="override_whole",
        ),
        sa.CheckConstraint(
            "override_by_id IS NULL OR override_by_id <> created_by_id", name="override_second"
        ),
        sa.CheckConstraint(
            "(approval_signature_id IS NULL AND approved_at IS NULL AND approved_by_id IS NULL "
            "AND approved_by_name IS NULL AND content_hash IS NULL "
            "AND medication_at_approval IS NULL) OR "
            "(approval_signature_id IS NOT NULL AND approved_at IS NOT NULL "
            "AND approved_by_id IS NOT NULL AND approved_by_name IS NOT NULL "
            "AND content_hash IS NOT NULL AND medication_at_approval IS NOT NULL)",
            name="approval_whole",
        ),
        sa.CheckConstraint(
            "(status = 'approved' AND approval_signature_id IS NOT NULL) OR "
            "(status = 'draft' AND approval_signature_id IS NULL) OR status = 'superseded'",
            name="approval_status",
        ),
        sa.CheckConstraint(
            "(status = 'superseded') = (superseded_at IS NOT NULL)", name="superseded_dated"
        ),
        sa.Index("ix_courses_stay", "status", "start_date", "end_date"),
    )


class CourseInfusion(Base):
    """One IV infusion of a course: day of the stay, dose per kg and the cells."""

    __tablename__ = "course_infusions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    course_id: Mapped[int] = reference("courses.id", ondelete="CASCADE")
    day: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    on_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, index=True)
    dose_million_cells_per_kg: Mapped[float] = mapped_column(sa.Float, nullable=False)
    cells_total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("course_id", "day"),
        sa.CheckConstraint("day >= 1", name="day"),
        sa.CheckConstraint("dose_million_cells_per_kg > 0 AND cells_total > 0", name="dose"),
    )


class CourseNebulisation(Base):
    """One nebulised dose of a course (amount in 10^6 cells)."""

    __tablename__ = "course_nebulisations"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    course_id: Mapped[int] = reference("courses.id", ondelete="CASCADE", index=True)
    day: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    on_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    amount_million_cells: Mapped[float] = mapped_column(sa.Float, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("day >= 1", name="day"),
        sa.CheckConstraint("amount_million_cells > 0", name="amount"),
    )


class CourseSupporting(Base):
    """A supporting modality of a course: how many sessions, on which days of the stay
    (``days``: a JSON list of day numbers, ascending)."""

    __tablename__ = "course_supporting"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    course_id: Mapped[int] = reference("courses.id", ondelete="CASCADE")
    modality: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    days: Mapped[list[int]] = mapped_column(sa.JSON, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("course_id", "modality"),
        sa.CheckConstraint(_in("modality", MODALITIES), name="modality"),
        sa.CheckConstraint("count >= 1", name="count"),
    )
