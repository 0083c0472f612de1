"""messages: threads between a patient and the care team, and their messages

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_name", sa.String(length=200), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("assignee_name", sa.String(length=200), nullable=True),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_side", sa.String(length=16), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("patient_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("care_team_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND closed_by_name IS NOT NULL)",
            name=op.f("ck_message_threads_closed_consistent"),
        ),
        sa.CheckConstraint(
            "last_side IN ('patient', 'care_team')",
            name=op.f("ck_message_threads_last_side_known"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_message_threads_status_known")
        ),
        sa.CheckConstraint(
            "waiting_since IS NULL OR last_side = 'patient'",
            name=op.f("ck_message_threads_waiting_on_patient_message"),
        ),
        sa.CheckConstraint(
            "(assignee_id IS NULL) = (assignee_name IS NULL)",
            name=op.f("ck_message_threads_assignee_consistent"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_message_threads_assignee_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_message_threads_opened_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_message_threads_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_threads")),
    )
    op.create_index(
        op.f("ix_message_threads_patient_id"), "message_threads", ["patient_id"], unique=False
    )
    op.create_index(
        "ix_message_threads_status_waiting_since",
        "message_threads",
        ["status", "waiting_since"],
        unique=False,
    )
    op.create_table(
        "thread_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_role", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "side IN ('patient', 'care_team')", name=op.f("ck_thread_messages_side_known")
        ),
        sa.CheckConstraint("length(body) > 0", name=op.f("ck_thread_messages_body_not_empty")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_thread_messages_author_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["message_threads.id"],
            name=op.f("fk_thread_messages_thread_id_message_threads"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_messages")),
    )
    op.create_index(
        op.f("ix_thread_messages_thread_id"), "thread_messages", ["thread_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_thread_messages_thread_id"), table_name="thread_messages")
    op.drop_table("thread_messages")
    op.drop_index("ix_message_threads_status_waiting_since", table_name="message_threads")
    op.drop_index(op.f("ix_message_threads_patient_id"), table_name="message_threads")
    op.drop_table("message_threads")
