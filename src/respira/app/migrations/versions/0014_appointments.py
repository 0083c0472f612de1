"""appointments: slots staff publish and the bookings of them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    op.create_table(
        "appointment_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("held_by_id", sa.Integer(), nullable=False),
        sa.Column("held_by_name", sa.String(length=200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_by_name", sa.String(length=200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_name", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "kind IN ('online_consultation', 'follow_up_visit', 'phone_call')",
            name=op.f("ck_appointment_slots_kind"),
        ),
        sa.CheckConstraint(
            "(cancelled_at IS NULL) = (cancelled_by_name IS NULL)",
            name=op.f("ck_appointment_slots_cancellation"),
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_appointment_slots_ends_after_start")
        ),
        _fk("appointment_slots", "held_by_id", "users"),
        _fk("appointment_slots", "published_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_slots")),
    )
    op.create_index(
        op.f("ix_appointment_slots_held_by_id"), "appointment_slots", ["held_by_id"], unique=False
    )
    op.create_index(
        "ix_appointment_slots_starts_at", "appointment_slots", ["starts_at"], unique=False
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("live_slot_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booked_by_id", sa.Integer(), nullable=True),
        sa.Column("booked_by_name", sa.String(length=200), nullable=False),
        sa.Column("booked_by_role", sa.String(length=32), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_by_name", sa.String(length=200), nullable=True),
        sa.Column("cancellation_reason", sa.String(length=500), nullable=True),
        sa.Column("ical_uid", sa.String(length=255), nullable=False),
        sa.Column("ical_sequence", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(cancelled_at IS NULL AND cancelled_by_name IS NULL AND live_slot_id = slot_id) OR "
            "(cancelled_at IS NOT NULL AND cancelled_by_name IS NOT NULL "
            "AND live_slot_id IS NULL)",
            name=op.f("ck_appointments_cancellation"),
        ),
        sa.CheckConstraint(
            "ical_sequence >= 0", name=op.f("ck_appointments_sequence_not_negative")
        ),
        _fk("appointments", "booked_by_id", "users"),
        _fk("appointments", "cancelled_by_id", "users"),
        _fk("appointments", "live_slot_id", "appointment_slots"),
        _fk("appointments", "patient_id", "patients"),
        _fk("appointments", "slot_id", "appointment_slots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint("ical_uid", name=op.f("uq_appointments_ical_uid")),
        sa.UniqueConstraint("live_slot_id", name=op.f("uq_appointments_live_slot_id")),
    )
    op.create_index(
        op.f("ix_appointments_patient_id"), "appointments", ["patient_id"], unique=False
    )
    op.create_index(op.f("ix_appointments_slot_id"), "appointments", ["slot_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_appointments_slot_id"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_patient_id"), table_name="appointments")
    op.drop_table("appointments")
    op.drop_index("ix_appointment_slots_starts_at", table_name="appointment_slots")
    op.drop_index(op.f("ix_appointment_slots_held_by_id"), table_name="appointment_slots")
    op.drop_table("appointment_slots")
