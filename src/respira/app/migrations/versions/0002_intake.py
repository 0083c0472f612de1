"""intake: consultation and call-back requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_rate_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_rate_hits")),
    )
    with op.batch_alter_table("public_rate_hits", schema=None) as batch_op:
        batch_op.create_index("ix_public_rate_hits_at", ["at"], unique=False)
        batch_op.create_index(
            "ix_public_rate_hits_scope_client_at", ["scope", "client_key", "at"], unique=False
        )

    op.create_table(
        "consultation_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("preferred_language", sa.String(length=35), nullable=False),
        sa.Column("preferred_contact_time", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("consent_text_version", sa.String(length=32), nullable=False),
        sa.Column("consent_language", sa.String(length=35), nullable=False),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'converted') = (patient_id IS NOT NULL)",
            name=op.f("ck_consultation_requests_patient_link"),
        ),
        sa.CheckConstraint(
            "(status = 'declined') = (decline_reason IS NOT NULL)",
            name=op.f("ck_consultation_requests_decline_reason"),
        ),
        sa.CheckConstraint(
            "channel IN ('web', 'api')", name=op.f("ck_consultation_requests_channel")
        ),
        sa.CheckConstraint(
            "kind <> 'callback' OR phone IS NOT NULL",
            name=op.f("ck_consultation_requests_callback_phone"),
        ),
        sa.CheckConstraint(
            "kind IN ('consultation', 'callback')", name=op.f("ck_consultation_requests_kind")
        ),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'scheduled', 'converted', 'declined')",
            name=op.f("ck_consultation_requests_status"),
        ),
        sa.CheckConstraint("consent", name=op.f("ck_consultation_requests_consent_given")),
        sa.CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL",
            name=op.f("ck_consultation_requests_contact"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_consultation_requests_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_requests")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_consultation_requests_patient_id")),
    )
    with op.batch_alter_table("consultation_requests", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_requests_country", ["country"], unique=False)
        batch_op.create_index("ix_consultation_requests_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_consultation_requests_preferred_language", ["preferred_language"], unique=False
        )
        batch_op.create_index(
            "ix_consultation_requests_status_created", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consultation_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_requests_status_created")
        batch_op.drop_index("ix_consultation_requests_preferred_language")
        batch_op.drop_index("ix_consultation_requests_created_at")
        batch_op.drop_index("ix_consultation_requests_country")

    op.drop_table("consultation_requests")
    with op.batch_alter_table("public_rate_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_public_rate_hits_scope_client_at")
        batch_op.drop_index("ix_public_rate_hits_at")

    op.drop_table("public_rate_hits")
