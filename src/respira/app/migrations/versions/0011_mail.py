"""mail: the outbox

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("to_addresses", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_outbox_state_known")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_attempts_not_negative")),
        sa.CheckConstraint(
            "(state = 'sent') = (sent_at IS NOT NULL)", name=op.f("ck_outbox_sent_has_time")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_outbox_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"], unique=False)
    op.create_index(op.f("ix_outbox_patient_id"), "outbox", ["patient_id"], unique=False)
    op.create_index(
        "ix_outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_state_next_attempt_at", table_name="outbox")
    op.drop_index(op.f("ix_outbox_patient_id"), table_name="outbox")
    op.drop_index("ix_outbox_created_at", table_name="outbox")
    op.drop_table("outbox")
