"""treatment: admissions, bedside checks, administrations with vital signs, supporting
sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# As in respira.kit.records (a migration keeps its own copy: it must not change later).
RETRACTION_CONSISTENT = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL "
    "AND retraction_reason IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discharged_by_id", sa.Integer(), nullable=True),
        sa.Column("discharged_by_name", sa.String(length=200), nullable=True),
        sa.Column("discharge_note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(discharged_at IS NULL AND discharged_by_name IS NULL) OR "
            "(discharged_at IS NOT NULL AND discharged_by_name IS NOT NULL "
            "AND discharged_at >= admitted_at)",
            name=op.f("ck_admissions_discharge"),
        ),
        sa.CheckConstraint(
            RETRACTION_CONSISTENT,
            name=op.f("ck_admissions_retraction"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_admissions_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["discharged_by_id"],
            ["users.id"],
            name=op.f("fk_admissions_discharged_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_admissions_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_admissions_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_admissions_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admissions")),
    )
    op.create_index(op.f("ix_admissions_course_id"), "admissions", ["course_id"], unique=False)
    op.create_index(op.f("ix_admissions_patient_id"), "admissions", ["patient_id"], unique=False)
    op.create_table(
        "supporting_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("modality", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            RETRACTION_CONSISTENT,
            name=op.f("ck_supporting_sessions_retraction"),
        ),
        sa.CheckConstraint(
            "done OR reason IS NOT NULL", name=op.f("ck_supporting_sessions_skipped_with_reason")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_supporting_sessions_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_supporting_sessions_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_supporting_sessions_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_supporting_sessions_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supporting_sessions")),
        sa.UniqueConstraint(
            "course_id",
            "modality",
            "day",
            name=op.f("uq_supporting_sessions_course_id_modality_day"),
        ),
    )
    op.create_index(
        op.f("ix_supporting_sessions_course_id"), "supporting_sessions", ["course_id"], unique=False
    )
    op.create_index(
        op.f("ix_supporting_sessions_patient_id"),
        "supporting_sessions",
        ["patient_id"],
        unique=False,
    )
    op.create_table(
        "bedside_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_by_name", sa.String(length=200), nullable=False),
        sa.Column("patient_code", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("din", sa.String(length=13), nullable=False),
        sa.Column("din_entered", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_bedside_checks_checked_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_bedside_checks_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_bedside_checks_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_bedside_checks_unit_id_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bedside_checks")),
    )
    op.create_index(
        op.f("ix_bedside_checks_patient_id"), "bedside_checks", ["patient_id"], unique=False
    )
    op.create_index(op.f("ix_bedside_checks_unit_id"), "bedside_checks", ["unit_id"], unique=False)
    op.create_index(
        "ix_bedside_checks_unit_patient_at",
        "bedside_checks",
        ["unit_id", "patient_id", "checked_at"],
        unique=False,
    )
    op.create_table(
        "administrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("din", sa.String(length=13), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("admission_id", sa.Integer(), nullable=True),
        sa.Column("bedside_check_id", sa.Integer(), nullable=False),
        sa.Column("infusion_day", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("volume_ml", sa.Float(), nullable=False),
        sa.Column("rate_ml_per_h", sa.Float(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=False),
        sa.Column("witness_name", sa.String(length=200), nullable=False),
        sa.Column("reactions", sa.JSON(), nullable=False),
        sa.Column("reaction_notes", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("route IN ('iv', 'nebulised')", name=op.f("ck_administrations_route")),
        sa.CheckConstraint(
            RETRACTION_CONSISTENT,
            name=op.f("ck_administrations_retraction"),
        ),
        sa.CheckConstraint("ended_at >= started_at", name=op.f("ck_administrations_times")),
        sa.CheckConstraint(
            "rate_ml_per_h > 0 AND rate_ml_per_h <= 2000", name=op.f("ck_administrations_rate")
        ),
        sa.CheckConstraint(
            "volume_ml > 0 AND volume_ml <= 1000", name=op.f("ck_administrations_volume")
        ),
        sa.CheckConstraint(
            "witness_id <> recorded_by_id", name=op.f("ck_administrations_witness_not_operator")
        ),
        sa.ForeignKeyConstraint(
            ["admission_id"],
            ["admissions.id"],
            name=op.f("fk_administrations_admission_id_admissions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["bedside_check_id"],
            ["bedside_checks.id"],
            name=op.f("fk_administrations_bedside_check_id_bedside_checks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_administrations_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_administrations_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_administrations_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_administrations_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_administrations_unit_id_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["witness_id"],
            ["users.id"],
            name=op.f("fk_administrations_witness_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administrations")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_administrations_unit_id")),
    )
    op.create_index(
        op.f("ix_administrations_course_id"), "administrations", ["course_id"], unique=False
    )
    op.create_index(
        op.f("ix_administrations_patient_id"), "administrations", ["patient_id"], unique=False
    )
    op.create_table(
        "vital_signs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("heart_rate_bpm", sa.Float(), nullable=True),
        sa.Column("systolic_mmhg", sa.Float(), nullable=True),
        sa.Column("diastolic_mmhg", sa.Float(), nullable=True),
        sa.Column("spo2_pct", sa.Float(), nullable=True),
        sa.Column("respiratory_rate_per_min", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "phase IN ('before', 'during', 'after')", name=op.f("ck_vital_signs_phase")
        ),
        sa.CheckConstraint(
            "diastolic_mmhg IS NULL OR (diastolic_mmhg >= 20 AND diastolic_mmhg <= 160)",
            name=op.f("ck_vital_signs_diastolic_mmhg_range"),
        ),
        sa.CheckConstraint(
            "heart_rate_bpm IS NULL OR (heart_rate_bpm >= 20 AND heart_rate_bpm <= 250)",
            name=op.f("ck_vital_signs_heart_rate_bpm_range"),
        ),
        sa.CheckConstraint(
            "respiratory_rate_per_min IS NULL OR "
            "(respiratory_rate_per_min >= 4 AND respiratory_rate_per_min <= 60)",
            name=op.f("ck_vital_signs_respiratory_rate_per_min_range"),
        ),
        sa.CheckConstraint(
            "spo2_pct IS NULL OR (spo2_pct >= 50 AND spo2_pct <= 100)",
            name=op.f("ck_vital_signs_spo2_pct_range"),
        ),
        sa.CheckConstraint(
            "systolic_mmhg IS NULL OR (systolic_mmhg >= 50 AND systolic_mmhg <= 260)",
            name=op.f("ck_vital_signs_systolic_mmhg_range"),
        ),
        sa.CheckConstraint(
            "systolic_mmhg IS NULL OR diastolic_mmhg IS NULL OR systolic_mmhg > diastolic_mmhg",
            name=op.f("ck_vital_signs_pressure_pair"),
        ),
        sa.CheckConstraint(
            "temperature_c IS NULL OR (temperature_c >= 30 AND temperature_c <= 43)",
            name=op.f("ck_vital_signs_temperature_c_range"),
        ),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name=op.f("fk_vital_signs_administration_id_administrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_signs")),
    )
    op.create_index(
        op.f("ix_vital_signs_administration_id"), "vital_signs", ["administration_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_vital_signs_administration_id"), table_name="vital_signs")
    op.drop_table("vital_signs")
    op.drop_index(op.f("ix_administrations_patient_id"), table_name="administrations")
    op.drop_index(op.f("ix_administrations_course_id"), table_name="administrations")
    op.drop_table("administrations")
    op.drop_index("ix_bedside_checks_unit_patient_at", table_name="bedside_checks")
    op.drop_index(op.f("ix_bedside_checks_unit_id"), table_name="bedside_checks")
    op.drop_index(op.f("ix_bedside_checks_patient_id"), table_name="bedside_checks")
    op.drop_table("bedside_checks")
    op.drop_index(op.f("ix_supporting_sessions_patient_id"), table_name="supporting_sessions")
    op.drop_index(op.f("ix_supporting_sessions_course_id"), table_name="supporting_sessions")
    op.drop_table("supporting_sessions")
    op.drop_index(op.f("ix_admissions_patient_id"), table_name="admissions")
    op.drop_index(op.f("ix_admissions_course_id"), table_name="admissions")
    op.drop_table("admissions")
