"""followup: the plan, the schedules and their check-ins after discharge, the answers,
phone calls and reminders

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# As in respira.kit.records (a migration keeps its own copy: it must not change later).
RETRACTION_CONSISTENT = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL "
    "AND retraction_reason IS NOT NULL)"
)
TABLES = (
    "follow_up_plans",
    "follow_up_schedules",
    "follow_ups",
    "follow_up_check_ins",
    "follow_up_contacts",
    "follow_up_reminders",
)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"),
        ondelete="RESTRICT",
    )


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def _created(table: str) -> list[Any]:
    """Who made a row and when."""
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        _fk(table, "created_by_id", "users.id"),
    ]


def _recorded(table: str) -> list[Any]:
    """The columns of a record (respira.kit.records.Recorded) and their constraints."""
    return [
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        _ck(table, "retraction", RETRACTION_CONSISTENT),
        _fk(table, "recorded_by_id", "users.id"),
        _fk(table, "retracted_by_id", "users.id"),
    ]


def _of_a_follow_up(table: str) -> list[Any]:
    """The id, the follow-up and the patient a row belongs to."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        _fk(table, "follow_up_id", "follow_ups.id"),
        _fk(table, "patient_id", "patients.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    t = "follow_up_plans"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("closing_soon_days", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        *_created(t),
        _ck(t, "closing", "closing_soon_days >= 0 AND closing_soon_days <= 30"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("version", name=op.f(f"uq_{t}_version")),
    )

    t = "follow_up_schedules"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("course_number", sa.Integer(), nullable=False),
        sa.Column("admission_id", sa.Integer(), nullable=True),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("anchor_source", sa.String(length=32), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        sa.Column("baseline_score", sa.Float(), nullable=True),
        sa.Column("baseline_on", sa.Date(), nullable=True),
        *_created(t),
        _ck(t, "anchor_source", "anchor_source IN ('last_administration', 'discharge')"),
        _ck(t, "instrument", "instrument IN ('act', 'cact', 'acq5', 'acq6', 'acq7')"),
        _fk(t, "admission_id", "admissions.id"),
        _fk(t, "course_id", "courses.id"),
        _fk(t, "patient_id", "patients.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint(
            "patient_id", "course_number", name=op.f(f"uq_{t}_patient_id_course_number")
        ),
    )
    for column in ("admission_id", "course_id", "patient_id"):
        _index(t, column)

    t = "follow_ups"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        _ck(t, "window_order", "window_start <= due_date AND due_date <= window_end"),
        _fk(t, "patient_id", "patients.id"),
        _fk(t, "schedule_id", "follow_up_schedules.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("schedule_id", "month", name=op.f(f"uq_{t}_schedule_id_month")),
    )
    for column in ("patient_id", "window_end"):
        _index(t, column)

    t = "follow_up_check_ins"
    op.create_table(
        t,
        *_of_a_follow_up(t),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("respondent", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        sa.Column("recall_days", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=32), nullable=False),
        sa.Column("algorithm_version", sa.String(length=120), nullable=False),
        sa.Column("rescue_puffs_per_week", sa.Float(), nullable=False),
        sa.Column("exacerbations", sa.JSON(), nullable=False),
        sa.Column("exacerbation_count", sa.Integer(), nullable=False),
        sa.Column("severe_exacerbation_count", sa.Integer(), nullable=False),
        sa.Column("maintenance_ocs_mg_per_day", sa.Float(), nullable=False),
        sa.Column("medication_changed", sa.Boolean(), nullable=False),
        sa.Column("medication_changes", sa.Text(), nullable=True),
        sa.Column("fev1_l", sa.Float(), nullable=True),
        sa.Column("fvc_l", sa.Float(), nullable=True),
        sa.Column("spirometry", sa.JSON(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        *_recorded(t),
        _ck(t, "mode", "mode IN ('web', 'paper', 'interview')"),
        _ck(t, "spirometry_pair", "(fev1_l IS NULL) = (fvc_l IS NULL)"),
        _ck(
            t,
            "ocs_range",
            "maintenance_ocs_mg_per_day >= 0 AND maintenance_ocs_mg_per_day <= 100",
        ),
        _ck(t, "rescue_range", "rescue_puffs_per_week >= 0 AND rescue_puffs_per_week <= 400"),
        _ck(
            t,
            "exacerbation_counts",
            "severe_exacerbation_count >= 0 AND severe_exacerbation_count <= exacerbation_count",
        ),
    )
    _index(t, "patient_id")
    # One live check-in per follow-up (a retracted one may be entered again).
    op.create_index(
        "uq_follow_up_check_ins_live",
        t,
        ["follow_up_id"],
        unique=True,
        sqlite_where=sa.text("retracted_at IS NULL"),
        postgresql_where=sa.text("retracted_at IS NULL"),
    )

    t = "follow_up_contacts"
    op.create_table(
        t,
        *_of_a_follow_up(t),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        *_recorded(t),
        _ck(t, "channel", "channel IN ('phone')"),
    )
    for column in ("follow_up_id", "patient_id"):
        _index(t, column)

    t = "follow_up_reminders"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _ck(t, "queued_has_mail", "(outcome = 'queued') = (outbox_id IS NOT NULL)"),
        _ck(t, "kind", "kind IN ('window_open', 'closing')"),
        _ck(t, "outcome", "outcome IN ('queued', 'no_email', 'no_account', 'skipped')"),
        _fk(t, "follow_up_id", "follow_ups.id"),
        _fk(t, "outbox_id", "outbox.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("follow_up_id", "kind", name=op.f(f"uq_{t}_follow_up_id_kind")),
    )
    _index(t, "outbox_id")


def downgrade() -> None:
    # Indexes go with their tables.
    for table in reversed(TABLES):
        op.drop_table(table)
