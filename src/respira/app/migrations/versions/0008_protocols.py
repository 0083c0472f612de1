"""protocols: programme limits (versioned), treatment courses with their IV infusions,
nebulised doses and supporting modalities

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The programme's default limits are not inserted here: they are stored on first use
(``respira.protocols.service``), so that the version in force is always a row that an
admin's later version follows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programme_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("dose_min_million_cells_per_kg", sa.Float(), nullable=False),
        sa.Column("dose_max_million_cells_per_kg", sa.Float(), nullable=False),
        sa.Column("max_infusions_per_course", sa.Integer(), nullable=False),
        sa.Column("stay_min_days", sa.Integer(), nullable=False),
        sa.Column("stay_max_days", sa.Integer(), nullable=False),
        sa.Column("lead_time_bone_marrow_days", sa.Integer(), nullable=False),
        sa.Column("lead_time_adipose_days", sa.Integer(), nullable=False),
        sa.Column("infusion_chairs_per_day", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "dose_min_million_cells_per_kg > 0 AND dose_min_million_cells_per_kg <= "
            "dose_max_million_cells_per_kg",
            name=op.f("ck_programme_limits_dose_range"),
        ),
        sa.CheckConstraint("infusion_chairs_per_day >= 1", name=op.f("ck_programme_limits_chairs")),
        sa.CheckConstraint(
            "lead_time_bone_marrow_days >= 0 AND lead_time_adipose_days >= 0",
            name=op.f("ck_programme_limits_lead_times"),
        ),
        sa.CheckConstraint(
            "max_infusions_per_course >= 1", name=op.f("ck_programme_limits_max_infusions")
        ),
        sa.CheckConstraint(
            "stay_min_days >= 1 AND stay_min_days <= stay_max_days",
            name=op.f("ck_programme_limits_stay"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_programme_limits_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_limits")),
        sa.UniqueConstraint("version", name=op.f("uq_programme_limits_version")),
    )
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("harvest_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("stay_days", sa.Integer(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("weight_measured_on", sa.Date(), nullable=False),
        sa.Column("premedication", sa.Text(), nullable=True),
        sa.Column("repeat_of_id", sa.Integer(), nullable=True),
        sa.Column("revises_id", sa.Integer(), nullable=True),
        sa.Column("limits_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("override_limits", sa.JSON(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_by_id", sa.Integer(), nullable=True),
        sa.Column("override_by_name", sa.String(length=200), nullable=True),
        sa.Column("override_signature_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_name", sa.String(length=200), nullable=True),
        sa.Column("approval_signature_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("medication_at_approval", sa.Text(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(source = 'allogeneic_cord' AND harvest_id IS NULL) OR (source <> "
            "'allogeneic_cord' AND harvest_id IS NOT NULL)",
            name=op.f("ck_courses_harvest_for_autologous"),
        ),
        sa.CheckConstraint(
            "(status = 'approved' AND approval_signature_id IS NOT NULL) OR (status = 'draft' "
            "AND approval_signature_id IS NULL) OR status = 'superseded'",
            name=op.f("ck_courses_approval_status"),
        ),
        sa.CheckConstraint(
            "(status = 'superseded') = (superseded_at IS NOT NULL)",
            name=op.f("ck_courses_superseded_dated"),
        ),
        sa.CheckConstraint(
            "source IN ('allogeneic_cord', 'autologous_bone_marrow', 'autologous_adipose')",
            name=op.f("ck_courses_source"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'approved', 'superseded')", name=op.f("ck_courses_status")
        ),
        sa.CheckConstraint(
            "(approval_signature_id IS NULL AND approved_at IS NULL AND approved_by_id IS NULL "
            "AND approved_by_name IS NULL AND content_hash IS NULL AND medication_at_approval "
            "IS NULL) OR (approval_signature_id IS NOT NULL AND approved_at IS NOT NULL AND "
            "approved_by_id IS NOT NULL AND approved_by_name IS NOT NULL AND content_hash IS "
            "NOT NULL AND medication_at_approval IS NOT NULL)",
            name=op.f("ck_courses_approval_whole"),
        ),
        sa.CheckConstraint(
            "(override_signature_id IS NULL AND override_by_id IS NULL AND override_by_name IS "
            "NULL AND override_reason IS NULL AND override_limits IS NULL) OR "
            "(override_signature_id IS NOT NULL AND override_by_id IS NOT NULL AND "
            "override_by_name IS NOT NULL AND override_reason IS NOT NULL AND override_limits "
            "IS NOT NULL)",
            name=op.f("ck_courses_override_whole"),
        ),
        sa.CheckConstraint("number >= 1 AND version >= 1", name=op.f("ck_courses_numbering")),
        sa.CheckConstraint(
            "override_by_id IS NULL OR override_by_id <> created_by_id",
            name=op.f("ck_courses_override_second"),
        ),
        sa.CheckConstraint("stay_days >= 1", name=op.f("ck_courses_stay_days")),
        sa.CheckConstraint("weight_kg > 0", name=op.f("ck_courses_weight")),
        sa.ForeignKeyConstraint(
            ["approval_signature_id"],
            ["signatures.id"],
            name=op.f("fk_courses_approval_signature_id_signatures"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_courses_approved_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_courses_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["harvest_id"],
            ["harvests.id"],
            name=op.f("fk_courses_harvest_id_harvests"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["limits_id"],
            ["programme_limits.id"],
            name=op.f("fk_courses_limits_id_programme_limits"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["override_by_id"],
            ["users.id"],
            name=op.f("fk_courses_override_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["override_signature_id"],
            ["signatures.id"],
            name=op.f("fk_courses_override_signature_id_signatures"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_courses_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["repeat_of_id"], ["courses.id"], name=op.f("fk_courses_repeat_of_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["revises_id"], ["courses.id"], name=op.f("fk_courses_revises_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("approval_signature_id", name=op.f("uq_courses_approval_signature_id")),
        sa.UniqueConstraint("override_signature_id", name=op.f("uq_courses_override_signature_id")),
        sa.UniqueConstraint(
            "patient_id", "number", "version", name=op.f("uq_courses_patient_id_number_version")
        ),
        sa.UniqueConstraint("revises_id", name=op.f("uq_courses_revises_id")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_harvest_id"), ["harvest_id"], unique=False)
        batch_op.create_index("ix_courses_stay", ["status", "start_date", "end_date"], unique=False)

    op.create_table(
        "course_infusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("dose_million_cells_per_kg", sa.Float(), nullable=False),
        sa.Column("cells_total", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("day >= 1", name=op.f("ck_course_infusions_day")),
        sa.CheckConstraint(
            "dose_million_cells_per_kg > 0 AND cells_total > 0",
            name=op.f("ck_course_infusions_dose"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_infusions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_infusions")),
        sa.UniqueConstraint("course_id", "day", name=op.f("uq_course_infusions_course_id_day")),
    )
    with op.batch_alter_table("course_infusions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_infusions_on_date"), ["on_date"], unique=False)

    op.create_table(
        "course_nebulisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("amount_million_cells", sa.Float(), nullable=False),
        sa.CheckConstraint("amount_million_cells > 0", name=op.f("ck_course_nebulisations_amount")),
        sa.CheckConstraint("day >= 1", name=op.f("ck_course_nebulisations_day")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_nebulisations_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_nebulisations")),
    )
    with op.batch_alter_table("course_nebulisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_nebulisations_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "course_supporting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("modality", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "modality IN ('physiotherapy', 'kinesiotherapy', 'electrotherapy', 'ultrasound', "
            "'lymphatic_drainage', 'low_level_laser', 'imr_infusions', 'plasmapheresis', "
            "'hypoxy_hyperoxy', 'mesodiencephalic_modulation')",
            name=op.f("ck_course_supporting_modality"),
        ),
        sa.CheckConstraint("count >= 1", name=op.f("ck_course_supporting_count")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_supporting_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_supporting")),
        sa.UniqueConstraint(
            "course_id", "modality", name=op.f("uq_course_supporting_course_id_modality")
        ),
    )


def downgrade() -> None:
    op.drop_table("course_supporting")
    with op.batch_alter_table("course_nebulisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_nebulisations_course_id"))

    op.drop_table("course_nebulisations")
    with op.batch_alter_table("course_infusions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_infusions_on_date"))

    op.drop_table("course_infusions")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index("ix_courses_stay")
        batch_op.drop_index(batch_op.f("ix_courses_harvest_id"))

    op.drop_table("courses")
    op.drop_table("programme_limits")
