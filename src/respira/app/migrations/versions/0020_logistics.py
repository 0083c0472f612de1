"""logistics: stays, their checklists and the patients' diet restrictions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# A copy of respira.kit.records.RETRACTION_CONSISTENT as it was (migrations are frozen).
RETRACTION_CONSISTENT = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL AND retraction_reason IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "diet_restrictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('allergy', 'intolerance')", name=op.f("ck_diet_restrictions_kind")
        ),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe')", name=op.f("ck_diet_restrictions_severity")
        ),
        sa.CheckConstraint(RETRACTION_CONSISTENT, name=op.f("ck_diet_restrictions_retraction")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_diet_restrictions_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_diet_restrictions_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_diet_restrictions_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diet_restrictions")),
    )
    with op.batch_alter_table("diet_restrictions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diet_restrictions_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "stays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=False),
        sa.Column("departure_date", sa.Date(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("quote_id", sa.Integer(), nullable=True),
        sa.Column("room_type", sa.String(length=16), nullable=False),
        sa.Column("companion", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_name", sa.String(length=200), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_name", sa.String(length=200), nullable=True),
        sa.Column("travel_plan_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "(state = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by_name IS NOT NULL "
            "AND cancellation_reason IS NOT NULL)",
            name=op.f("ck_stays_cancellation"),
        ),
        sa.CheckConstraint(
            "(state = 'completed') = (completed_at IS NOT NULL AND completed_by_name IS NOT NULL)",
            name=op.f("ck_stays_completion"),
        ),
        sa.CheckConstraint(
            "room_type IN ('single', 'double', 'suite')", name=op.f("ck_stays_room_type")
        ),
        sa.CheckConstraint(
            "state IN ('booked', 'cancelled', 'completed')", name=op.f("ck_stays_state")
        ),
        sa.CheckConstraint(
            "departure_date >= arrival_date", name=op.f("ck_stays_departure_after_arrival")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_stays_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_stays_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_stays_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_stays_quote_id_quotes"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stays")),
    )
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.create_index("ix_stays_arrival_date", ["arrival_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_stays_course_id"), ["course_id"], unique=False)
        batch_op.create_index("ix_stays_departure_date", ["departure_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_stays_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stays_quote_id"), ["quote_id"], unique=False)

    op.create_table(
        "stay_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'other') = (title IS NOT NULL)", name=op.f("ck_stay_items_other_has_title")
        ),
        sa.CheckConstraint(
            "kind IN ('travel_documents', 'flight', 'airport_pickup', 'accommodation', "
            "'interpreter', 'meals', 'other')",
            name=op.f("ck_stay_items_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('open', 'in_progress', 'done', 'not_needed')",
            name=op.f("ck_stay_items_state"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_stay_items_owner_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_stay_items_stay_id_stays"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stay_items")),
        sa.UniqueConstraint("stay_id", "position", name=op.f("uq_stay_items_stay_id_position")),
    )
    with op.batch_alter_table("stay_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stay_items_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stay_items_stay_id"), ["stay_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stay_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stay_items_stay_id"))
        batch_op.drop_index(batch_op.f("ix_stay_items_owner_id"))

    op.drop_table("stay_items")
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stays_quote_id"))
        batch_op.drop_index(batch_op.f("ix_stays_patient_id"))
        batch_op.drop_index("ix_stays_departure_date")
        batch_op.drop_index(batch_op.f("ix_stays_course_id"))
        batch_op.drop_index("ix_stays_arrival_date")

    op.drop_table("stays")
    with op.batch_alter_table("diet_restrictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diet_restrictions_patient_id"))

    op.drop_table("diet_restrictions")
