"""Tables of the outcome registry.

The registry is a projection: ``outcome_courses``, ``outcome_windows`` and
``outcome_adverse_events`` are recomputed from the clinical record (the course, the
baseline work-up, the follow-up check-ins, adverse events and registry exits) by
``respira.outcomes.projection`` whenever one of them changes and by the
``outcomes.refresh`` job, so the report reads one narrow table per question instead of
walking the record. ``outcome_exits`` is the one source table of this step: a patient who
withdrew from follow-up, died, or was lost to follow-up, recorded by staff, audited and
retractable.

Rows with ``origin = 'synthetic'`` were made by ``respira demo registry`` (benchmarks and
the demo clinic's history); they have no course and every report says how many it holds.

Units are in the column names. Dates are the clinic's calendar days. Exacerbations are
severe exacerbations (clinical.md §2.5). OCS doses are prednisone-equivalent mg/day.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.records import RETRACTION_CONSISTENT, Recorded

ORIGINS = ("clinic", "synthetic")
EXIT_KINDS = ("withdrawn", "died", "lost")
WINDOW_MONTHS = (1, 3, 6, 12)


class OutcomeExit(Recorded, Base):
    """A patient left follow-up: withdrew consent, died, or could not be reached any more
    (``lost``). Applies to every course of the patient from ``on_date``."""

    __tablename__ = "outcome_exits"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    on_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("kind IN ('withdrawn', 'died', 'lost')", name="kind"),
    )


class OutcomeCourse(Base):
    """One treated course: who (filter dimensions), the baseline, and the exacerbation
    exposure after treatment. ``treated_on`` is the day of the last infusion (the
    follow-up clock's anchor)."""

    __tablename__ = "outcome_courses"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="clinic")
    course_id: Mapped[int | None] = reference("courses.id", unique=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    course_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    treated_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, index=True)
    # Filter dimensions, as they were at treatment.
    cell_source: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    dose_million_cells_per_kg: Mapped[float] = mapped_column(sa.Float, nullable=False)
    phenotype: Mapped[str | None] = mapped_column(sa.String(64))
    gina_step: Mapped[int | None] = mapped_column(sa.Integer)
    baseline_control: Mapped[str | None] = mapped_column(sa.String(32))
    sex: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    age_years: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # The baseline (the newest live value on or before the course's start).
    instrument: Mapped[str | None] = mapped_column(sa.String(8))
    act_baseline: Mapped[float | None] = mapped_column(sa.Float)
    acq_baseline: Mapped[float | None] = mapped_column(sa.Float)
    rescue_puffs_per_week_baseline: Mapped[float | None] = mapped_column(sa.Float)
    fev1_l_baseline: Mapped[float | None] = mapped_column(sa.Float)
    fev1_pp_baseline: Mapped[float | None] = mapped_column(sa.Float)
    fev1_z_baseline: Mapped[float | None] = mapped_column(sa.Float)
    feno_ppb_baseline: Mapped[float | None] = mapped_column(sa.Float)
    eosinophils_per_ul_baseline: Mapped[float | None] = mapped_column(sa.Float)
    ocs_mg_per_day_baseline: Mapped[float | None] = mapped_column(sa.Float)
    exacerbations_12m_baseline: Mapped[int | None] = mapped_column(sa.Integer)
    # After treatment: severe exacerbations counted at check-ins, the days observed
    # (treated_on to the last completed check-in or the exit), the first one's day.
    exacerbations_after: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    exposure_days_after: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    first_exacerbation_day: Mapped[int | None] = mapped_column(sa.Integer)
    # An exit (withdrawn / died / lost) and its day, copied from outcome_exits.
    exit_kind: Mapped[str | None] = mapped_column(sa.String(16))
    exit_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("origin IN ('clinic', 'synthetic')", name="origin"),
        sa.CheckConstraint("(origin = 'clinic') = (course_id IS NOT NULL)", name="origin_course"),
        sa.CheckConstraint(
            "exit_kind IS NULL OR exit_kind IN ('withdrawn', 'died', 'lost')", name="exit_kind"
        ),
        sa.CheckConstraint("(exit_kind IS NULL) = (exit_on IS NULL)", name="exit_pair"),
        sa.CheckConstraint(
            "first_exacerbation_day IS NULL OR first_exacerbation_day >= 0", name="first_day"
        ),
        sa.CheckConstraint(
            "exacerbations_after >= 0 AND exposure_days_after >= 0", name="exposure"
        ),
    )


class OutcomeWindow(Base):
    """One follow-up window of a treated course and what was measured in it (NULL where
    nothing was). Its state (upcoming, open, completed, completed late, missed, withdrawn,
    died, lost) is derived when read, from the dates, ``answered_on`` and the course's exit."""

    __tablename__ = "outcome_windows"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    outcome_course_id: Mapped[int] = reference("outcome_courses.id", ondelete="CASCADE", index=True)
    month: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    due_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    window_start: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    window_end: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    answered_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    act: Mapped[float | None] = mapped_column(sa.Float)
    acq: Mapped[float | None] = mapped_column(sa.Float)
    rescue_puffs_per_week: Mapped[float | None] = mapped_column(sa.Float)
    fev1_l: Mapped[float | None] = mapped_column(sa.Float)
    fev1_pp: Mapped[float | None] = mapped_column(sa.Float)
    fev1_z: Mapped[float | None] = mapped_column(sa.Float)
    feno_ppb: Mapped[float | None] = mapped_column(sa.Float)
    eosinophils_per_ul: Mapped[float | None] = mapped_column(sa.Float)
    ocs_mg_per_day: Mapped[float | None] = mapped_column(sa.Float)
    exacerbations: Mapped[int | None] = mapped_column(sa.Integer)

    __table_args__ = (
        sa.UniqueConstraint("outcome_course_id", "month"),
        sa.CheckConstraint("month IN (1, 3, 6, 12)", name="month"),
        sa.CheckConstraint(
            "window_start <= due_date AND due_date <= window_end", name="window_order"
        ),
    )


class OutcomeAdverseEvent(Base):
    """An adverse event of a treated course (live ones only), for the report's table of
    events by term and grade per patient treated."""

    __tablename__ = "outcome_adverse_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    outcome_course_id: Mapped[int] = reference("outcome_courses.id", ondelete="CASCADE", index=True)
    adverse_event_id: Mapped[int | None] = reference("adverse_events.id", unique=True)
    term: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    grade: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    serious: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    related: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    onset_day: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __table_args__ = (sa.CheckConstraint("grade >= 1 AND grade <= 5", name="grade"),)
