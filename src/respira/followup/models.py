"""Tables of the follow-up after discharge.

- ``follow_up_plans``: versions of the schedule (the months, each window's days, how
  many days before a window closes the second reminder goes out), newest in force; with
  none stored the programme's default (``respira.followup.windows``) is in force.
- ``follow_up_schedules``: one per course of a patient (a repeat course has its own),
  anchored on the day of the course's last infusion, with the plan version it was made
  with and the baseline questionnaire that the check-ins repeat.
- ``follow_ups``: the check-ins of a schedule with their due dates and windows (fixed
  when scheduled: a later plan does not move them).
- ``follow_up_check_ins``: what the patient answered (or staff entered on the
  patient's behalf): the questionnaire's items and score, rescue-inhaler use,
  exacerbations, maintenance oral corticosteroid, changes of regular medication,
  spirometry with its interpretation, free text. One live check-in per follow-up (a
  partial unique index); records are never edited, only retracted.
- ``follow_up_contacts``: a coordinator's phone call, reached or not, with a note.
- ``follow_up_reminders``: each reminder of a follow-up once (a unique key on the
  follow-up and the kind): sent (with its outbox message), or why it could not be.

Storage of questionnaire responses after clinical.md §1.4 (instrument and version,
language, mode, respondent, recall period, completion time, item-level answers, the
computed score with the algorithm version).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.created import Created
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.records import RETRACTION_CONSISTENT, Recorded

REMINDER_KINDS = ("window_open", "closing")
REMINDER_OUTCOMES = ("queued", "no_email", "no_account", "skipped")
CONTACT_CHANNELS = ("phone",)
CHECK_IN_MODES = ("web", "paper", "interview")


class FollowUpPlan(Created, Base):
    __tablename__ = "follow_up_plans"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, unique=True)
    # [{"month": 1, "before_days": 7, "after_days": 7}, ...]
    windows: Mapped[list[dict[str, int]]] = mapped_column(sa.JSON, nullable=False)
    closing_soon_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    source: Mapped[str] = mapped_column(sa.Text, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("closing_soon_days >= 0 AND closing_soon_days <= 30", name="closing"),
    )


class FollowUpSchedule(Created, Base):
    __tablename__ = "follow_up_schedules"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    course_id: Mapped[int] = reference("courses.id", index=True)
    course_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    admission_id: Mapped[int | None] = reference("admissions.id", index=True)
    # The clinic's calendar day the clock starts: the last infusion's, or the
    # discharge's when no infusion was recorded (``anchor_source`` says which).
    anchor_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    anchor_source: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    plan_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    instrument: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    baseline_score: Mapped[float | None] = mapped_column(sa.Float)
    baseline_on: Mapped[dt.date | None] = mapped_column(sa.Date)

    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="schedule", order_by="FollowUp.month"
    )

    __table_args__ = (
        sa.UniqueConstraint("patient_id", "course_number"),
        sa.CheckConstraint(
            "anchor_source IN ('last_administration', 'discharge')", name="anchor_source"
        ),
        sa.CheckConstraint(
            "instrument IN ('act', 'cact', 'acq5', 'acq6', 'acq7')", name="instrument"
        ),
    )


class FollowUp(Base):
    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    schedule_id: Mapped[int] = reference("follow_up_schedules.id")
    patient_id: Mapped[int] = reference("patients.id", index=True)
    month: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    due_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    window_start: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    window_end: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, index=True)

    schedule: Mapped[FollowUpSchedule] = relationship(back_populates="follow_ups")
    check_ins: Mapped[list[CheckIn]] = relationship(
        order_by="CheckIn.recorded_at.desc(), CheckIn.id.desc()"
    )
    contacts: Mapped[list[FollowUpContact]] = relationship(
        order_by="FollowUpContact.recorded_at.desc(), FollowUpContact.id.desc()"
    )
    reminders: Mapped[list[FollowUpReminder]] = relationship(order_by="FollowUpReminder.id")

    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "month"),
        sa.CheckConstraint(
            "window_start <= due_date AND due_date <= window_end", name="window_order"
        ),
    )


class CheckIn(Recorded, Base):
    __tablename__ = "follow_up_check_ins"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    follow_up_id: Mapped[int] = reference("follow_ups.id")
    patient_id: Mapped[int] = reference("patients.id", index=True)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    answered_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    on_behalf: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    respondent: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    language: Mapped[str] = mapped_column(sa.String(35), nullable=False)
    # The questionnaire (clinical.md §1.4).
    instrument: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    recall_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    answers: Mapped[list[Any]] = mapped_column(sa.JSON, nullable=False)
    score: Mapped[float] = mapped_column(sa.Float, nullable=False)
    band: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    algorithm_version: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    # Since the last check-in.
    rescue_puffs_per_week: Mapped[float] = mapped_column(sa.Float, nullable=False)
    exacerbations: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)
    exacerbation_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    severe_exacerbation_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    maintenance_ocs_mg_per_day: Mapped[float] = mapped_column(sa.Float, nullable=False)
    medication_changed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    medication_changes: Mapped[str | None] = mapped_column(sa.Text)
    # Home or local spirometry, interpreted as at diagnostics (GLI).
    fev1_l: Mapped[float | None] = mapped_column(sa.Float)
    fvc_l: Mapped[float | None] = mapped_column(sa.Float)
    spirometry: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("mode IN ('web', 'paper', 'interview')", name="mode"),
        sa.CheckConstraint(
            "rescue_puffs_per_week >= 0 AND rescue_puffs_per_week <= 400", name="rescue_range"
        ),
        sa.CheckConstraint(
            "maintenance_ocs_mg_per_day >= 0 AND maintenance_ocs_mg_per_day <= 100",
            name="ocs_range",
        ),
        sa.CheckConstraint(
            "severe_exacerbation_count >= 0 AND severe_exacerbation_count <= exacerbation_count",
            name="exacerbation_counts",
        ),
        sa.CheckConstraint("(fev1_l IS NULL) = (fvc_l IS NULL)", name="spirometry_pair"),
        # One live check-in per follow-up (a retracted one may be entered again).
        sa.Index(
            "uq_follow_up_check_ins_live",
            "follow_up_id",
            unique=True,
            sqlite_where=sa.text("retracted_at IS NULL"),
            postgresql_where=sa.text("retracted_at IS NULL"),
        ),
    )


class FollowUpContact(Recorded, Base):
    __tablename__ = "follow_up_contacts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    follow_up_id: Mapped[int] = reference("follow_ups.id", index=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    channel: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reached: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False)

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("channel IN ('phone')", name="channel"),
    )


class FollowUpReminder(Base):
    __tablename__ = "follow_up_reminders"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    follow_up_id: Mapped[int] = reference("follow_ups.id")
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    language: Mapped[str | None] = mapped_column(sa.String(35))
    outbox_id: Mapped[int | None] = reference("outbox.id", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("follow_up_id", "kind"),
        sa.CheckConstraint("kind IN ('window_open', 'closing')", name="kind"),
        sa.CheckConstraint(
            "outcome IN ('queued', 'no_email', 'no_account', 'skipped')", name="outcome"
        ),
        sa.CheckConstraint(
            "(outcome = 'queued') = (outbox_id IS NOT NULL)", name="queued_has_mail"
        ),
    )
