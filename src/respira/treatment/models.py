"""Tables of the stay: admissions, bedside checks, administrations with their vital
signs, and supporting sessions.

- ``admissions``: a patient admitted for an approved course, and discharged.
- ``bedside_checks``: every scan of a wristband and a unit at the bedside, accepted or
  refused, with the reasons; kept even when the code or the DIN named nothing.
- ``administrations``: one unit given to one patient (a unique key on ``unit_id``: a
  unit is given once), with the route, times, volume, rate, the operator (who recorded
  it), the witness, and the reactions observed; ``vital_signs`` before, during and
  after.
- ``supporting_sessions``: a supporting-therapy session of the course, done or skipped
  with a reason.

Records are never edited (``respira.kit.records``): who recorded them and when, and a
retraction ("entered in error") that is empty or complete. The plausible ranges of the
vital signs are checked at the edge (schemas) and repeated here as check constraints.
Sources: FACT-JACIE bedside verification and traceability (clinical.md §5.5).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime
from respira.kit.records import RETRACTION_CONSISTENT, Recorded

# Plausible ranges of the vital signs (inclusive), shared by schemas and constraints.
VITAL_RANGES: dict[str, tuple[float, float]] = {
    "temperature_c": (30, 43),
    "heart_rate_bpm": (20, 250),
    "systolic_mmhg": (50, 260),
    "diastolic_mmhg": (20, 160),
    "spo2_pct": (50, 100),
    "respiratory_rate_per_min": (4, 60),
}


class Admission(Recorded, Base):
    __tablename__ = "admissions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    course_id: Mapped[int] = reference("courses.id", index=True)
    admitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    discharged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    discharged_by_id: Mapped[int | None] = reference("users.id")
    discharged_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    discharge_note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint(
            "(discharged_at IS NULL AND discharged_by_name IS NULL) OR "
            "(discharged_at IS NOT NULL AND discharged_by_name IS NOT NULL "
            "AND discharged_at >= admitted_at)",
            name="discharge",
        ),
    )


class BedsideCheck(Base):
    """One scan at the bedside. ``patient_code`` and ``din_entered`` are what the nurse
    scanned or typed; ``patient_id`` and ``unit_id`` what they named, if anything."""

    __tablename__ = "bedside_checks"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    checked_by_id: Mapped[int | None] = reference("users.id")
    checked_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    patient_code: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    patient_id: Mapped[int | None] = reference("patients.id", index=True)
    din: Mapped[str] = mapped_column(sa.String(13), nullable=False)
    din_entered: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    unit_id: Mapped[int | None] = reference("units.id", index=True)
    course_id: Mapped[int | None] = reference("courses.id")
    ok: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)

    __table_args__ = (
        sa.Index("ix_bedside_checks_unit_patient_at", "unit_id", "patient_id", "checked_at"),
    )


def _range(column: str) -> str:
    low, high = VITAL_RANGES[column]
    return f"{column} IS NULL OR ({column} >= {low} AND {column} <= {high})"


class Administration(Recorded, Base):
    """One unit given: ``recorded_by`` is the operator (the signed-in nurse or
    physician), ``witness`` the second person of the bedside check."""

    __tablename__ = "administrations"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    unit_id: Mapped[int] = reference("units.id", unique=True)
    din: Mapped[str] = mapped_column(sa.String(13), nullable=False)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    course_id: Mapped[int] = reference("courses.id", index=True)
    admission_id: Mapped[int | None] = reference("admissions.id")
    bedside_check_id: Mapped[int] = reference("bedside_checks.id")
    infusion_day: Mapped[int | None] = mapped_column(sa.Integer)
    route: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    volume_ml: Mapped[float] = mapped_column(sa.Float, nullable=False)
    rate_ml_per_h: Mapped[float] = mapped_column(sa.Float, nullable=False)
    witness_id: Mapped[int] = reference("users.id")
    witness_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    reactions: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    reaction_notes: Mapped[str | None] = mapped_column(sa.Text)

    vitals: Mapped[list[VitalSigns]] = relationship(
        back_populates="administration", order_by="VitalSigns.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("route IN ('iv', 'nebulised')", name="route"),
        sa.CheckConstraint("ended_at >= started_at", name="times"),
        sa.CheckConstraint("volume_ml > 0 AND volume_ml <= 1000", name="volume"),
        sa.CheckConstraint("rate_ml_per_h > 0 AND rate_ml_per_h <= 2000", name="rate"),
        sa.CheckConstraint("witness_id <> recorded_by_id", name="witness_not_operator"),
    )


class VitalSigns(Base):
    __tablename__ = "vital_signs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    administration_id: Mapped[int] = reference("administrations.id", ondelete="CASCADE", index=True)
    phase: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    temperature_c: Mapped[float | None] = mapped_column(sa.Float)
    heart_rate_bpm: Mapped[float | None] = mapped_column(sa.Float)
    systolic_mmhg: Mapped[float | None] = mapped_column(sa.Float)
    diastolic_mmhg: Mapped[float | None] = mapped_column(sa.Float)
    spo2_pct: Mapped[float | None] = mapped_column(sa.Float)
    respiratory_rate_per_min: Mapped[float | None] = mapped_column(sa.Float)

    administration: Mapped[Administration] = relationship(back_populates="vitals")

    __table_args__ = (
        sa.CheckConstraint("phase IN ('before', 'during', 'after')", name="phase"),
        *(sa.CheckConstraint(_range(c), name=f"{c}_range") for c in VITAL_RANGES),
        sa.CheckConstraint(
            "systolic_mmhg IS NULL OR diastolic_mmhg IS NULL OR systolic_mmhg > diastolic_mmhg",
            name="pressure_pair",
        ),
    )


class SupportingSession(Recorded, Base):
    __tablename__ = "supporting_sessions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    course_id: Mapped[int] = reference("courses.id", index=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    modality: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    day: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    done: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("done OR reason IS NOT NULL", name="skipped_with_reason"),
        sa.UniqueConstraint("course_id", "modality", "day"),
    )
