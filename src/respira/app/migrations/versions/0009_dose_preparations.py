"""products: dose preparations (units allocated to an approved course's infusion, thawed)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

After the protocol step's courses (0008), since a preparation names the course and the
infusion day it is for (docs/decisions/2026-12-01-treatment-steps.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dose_preparations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("infusion_day", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("dose_million_cells_per_kg", sa.Float(), nullable=False),
        sa.Column("dose_cells_total", sa.BigInteger(), nullable=False),
        sa.Column("viable_cells_million", sa.Float(), nullable=False),
        sa.Column("thawed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("thaw_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_thaw_viability_pct", sa.Float(), nullable=False),
        sa.Column("post_thaw_cells_million", sa.Float(), nullable=True),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), nullable=True),
        sa.Column("prepared_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "post_thaw_viability_pct >= 0 AND post_thaw_viability_pct <= 100",
            name=op.f("ck_dose_preparations_viability"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_dose_preparations_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots.id"],
            name=op.f("fk_dose_preparations_lot_id_lots"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_dose_preparations_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by_id"],
            ["users.id"],
            name=op.f("fk_dose_preparations_prepared_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_preparations")),
        sa.UniqueConstraint(
            "course_id", "infusion_day", name=op.f("uq_dose_preparations_course_id_infusion_day")
        ),
    )
    with op.batch_alter_table("dose_preparations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dose_preparations_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "dose_preparation_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("preparation_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["preparation_id"],
            ["dose_preparations.id"],
            name=op.f("fk_dose_preparation_units_preparation_id_dose_preparations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_dose_preparation_units_unit_id_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_preparation_units")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_dose_preparation_units_unit_id")),
    )
    with op.batch_alter_table("dose_preparation_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dose_preparation_units_preparation_id"), ["preparation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dose_preparation_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dose_preparation_units_preparation_id"))

    op.drop_table("dose_preparation_units")
    with op.batch_alter_table("dose_preparations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dose_preparations_patient_id"))

    op.drop_table("dose_preparations")
