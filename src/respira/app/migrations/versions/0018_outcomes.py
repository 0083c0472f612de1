"""outcomes: the outcome registry (a projection of the record) and the registry exits

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# A copy of respira.kit.records.RETRACTION_CONSISTENT as it was (migrations are frozen).
RETRACTION_CONSISTENT = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL AND retraction_reason IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "outcome_exits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('withdrawn', 'died', 'lost')", name=op.f("ck_outcome_exits_kind")
        ),
        sa.CheckConstraint(
            RETRACTION_CONSISTENT,
            name=op.f("ck_outcome_exits_retraction"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_outcome_exits_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_outcome_exits_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_outcome_exits_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_exits")),
    )
    with op.batch_alter_table("outcome_exits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_exits_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "outcome_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_number", sa.Integer(), nullable=False),
        sa.Column("treated_on", sa.Date(), nullable=False),
        sa.Column("cell_source", sa.String(length=32), nullable=False),
        sa.Column("dose_million_cells_per_kg", sa.Float(), nullable=False),
        sa.Column("phenotype", sa.String(length=64), nullable=True),
        sa.Column("gina_step", sa.Integer(), nullable=True),
        sa.Column("baseline_control", sa.String(length=32), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("age_years", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=True),
        sa.Column("act_baseline", sa.Float(), nullable=True),
        sa.Column("acq_baseline", sa.Float(), nullable=True),
        sa.Column("rescue_puffs_per_week_baseline", sa.Float(), nullable=True),
        sa.Column("fev1_l_baseline", sa.Float(), nullable=True),
        sa.Column("fev1_pp_baseline", sa.Float(), nullable=True),
        sa.Column("fev1_z_baseline", sa.Float(), nullable=True),
        sa.Column("feno_ppb_baseline", sa.Float(), nullable=True),
        sa.Column("eosinophils_per_ul_baseline", sa.Float(), nullable=True),
        sa.Column("ocs_mg_per_day_baseline", sa.Float(), nullable=True),
        sa.Column("exacerbations_12m_baseline", sa.Integer(), nullable=True),
        sa.Column("exacerbations_after", sa.Integer(), nullable=False),
        sa.Column("exposure_days_after", sa.Integer(), nullable=False),
        sa.Column("first_exacerbation_day", sa.Integer(), nullable=True),
        sa.Column("exit_kind", sa.String(length=16), nullable=True),
        sa.Column("exit_on", sa.Date(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(origin = 'clinic') = (course_id IS NOT NULL)",
            name=op.f("ck_outcome_courses_origin_course"),
        ),
        sa.CheckConstraint(
            "exit_kind IS NULL OR exit_kind IN ('withdrawn', 'died', 'lost')",
            name=op.f("ck_outcome_courses_exit_kind"),
        ),
        sa.CheckConstraint(
            "origin IN ('clinic', 'synthetic')", name=op.f("ck_outcome_courses_origin")
        ),
        sa.CheckConstraint(
            "(exit_kind IS NULL) = (exit_on IS NULL)", name=op.f("ck_outcome_courses_exit_pair")
        ),
        sa.CheckConstraint(
            "exacerbations_after >= 0 AND exposure_days_after >= 0",
            name=op.f("ck_outcome_courses_exposure"),
        ),
        sa.CheckConstraint(
            "first_exacerbation_day IS NULL OR first_exacerbation_day >= 0",
            name=op.f("ck_outcome_courses_first_day"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_outcome_courses_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_outcome_courses_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_courses")),
        sa.UniqueConstraint("course_id", name=op.f("uq_outcome_courses_course_id")),
    )
    with op.batch_alter_table("outcome_courses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_courses_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outcome_courses_treated_on"), ["treated_on"], unique=False
        )

    op.create_table(
        "outcome_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome_course_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("act", sa.Float(), nullable=True),
        sa.Column("acq", sa.Float(), nullable=True),
        sa.Column("rescue_puffs_per_week", sa.Float(), nullable=True),
        sa.Column("fev1_l", sa.Float(), nullable=True),
        sa.Column("fev1_pp", sa.Float(), nullable=True),
        sa.Column("fev1_z", sa.Float(), nullable=True),
        sa.Column("feno_ppb", sa.Float(), nullable=True),
        sa.Column("eosinophils_per_ul", sa.Float(), nullable=True),
        sa.Column("ocs_mg_per_day", sa.Float(), nullable=True),
        sa.Column("exacerbations", sa.Integer(), nullable=True),
        sa.CheckConstraint("month IN (1, 3, 6, 12)", name=op.f("ck_outcome_windows_month")),
        sa.CheckConstraint(
            "window_start <= due_date AND due_date <= window_end",
            name=op.f("ck_outcome_windows_window_order"),
        ),
        sa.ForeignKeyConstraint(
            ["outcome_course_id"],
            ["outcome_courses.id"],
            name=op.f("fk_outcome_windows_outcome_course_id_outcome_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_windows")),
        sa.UniqueConstraint(
            "outcome_course_id", "month", name=op.f("uq_outcome_windows_outcome_course_id_month")
        ),
    )
    with op.batch_alter_table("outcome_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_windows_outcome_course_id"), ["outcome_course_id"], unique=False
        )

    op.create_table(
        "outcome_adverse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome_course_id", sa.Integer(), nullable=False),
        sa.Column("adverse_event_id", sa.Integer(), nullable=True),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("related", sa.Boolean(), nullable=False),
        sa.Column("onset_day", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "grade >= 1 AND grade <= 5", name=op.f("ck_outcome_adverse_events_grade")
        ),
        sa.ForeignKeyConstraint(
            ["adverse_event_id"],
            ["adverse_events.id"],
            name=op.f("fk_outcome_adverse_events_adverse_event_id_adverse_events"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_course_id"],
            ["outcome_courses.id"],
            name=op.f("fk_outcome_adverse_events_outcome_course_id_outcome_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_adverse_events")),
        sa.UniqueConstraint(
            "adverse_event_id", name=op.f("uq_outcome_adverse_events_adverse_event_id")
        ),
    )
    with op.batch_alter_table("outcome_adverse_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_adverse_events_outcome_course_id"),
            ["outcome_course_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("outcome_adverse_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_adverse_events_outcome_course_id"))

    op.drop_table("outcome_adverse_events")
    with op.batch_alter_table("outcome_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_windows_outcome_course_id"))

    op.drop_table("outcome_windows")
    with op.batch_alter_table("outcome_courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_courses_treated_on"))
        batch_op.drop_index(batch_op.f("ix_outcome_courses_patient_id"))

    op.drop_table("outcome_courses")
    with op.batch_alter_table("outcome_exits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_exits_patient_id"))

    op.drop_table("outcome_exits")
