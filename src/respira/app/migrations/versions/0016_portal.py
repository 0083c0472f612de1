"""portal: one-time sign-in links and the invitations that open a patient's account

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "next_path LIKE '/%' AND next_path NOT LIKE '//%'",
            name=op.f("ck_sign_in_links_next_path_local"),
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_sign_in_links_expires_after_created")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_sign_in_links_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sign_in_links_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
    )
    op.create_index(
        op.f("ix_sign_in_links_patient_id"), "sign_in_links", ["patient_id"], unique=False
    )
    op.create_index(op.f("ix_sign_in_links_user_id"), "sign_in_links", ["user_id"], unique=False)
    op.create_table(
        "portal_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(state = 'sent') = (link_id IS NOT NULL AND outbox_id IS NOT NULL)",
            name=op.f("ck_portal_invitations_sent_has_link"),
        ),
        sa.CheckConstraint(
            "(state = 'skipped') = (problem IS NOT NULL)",
            name=op.f("ck_portal_invitations_skipped_says_why"),
        ),
        sa.CheckConstraint(
            "reason IN ('conversion', 'discharge', 'staff')",
            name=op.f("ck_portal_invitations_reason_known"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'account_ready', 'sent', 'skipped')",
            name=op.f("ck_portal_invitations_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["sign_in_links.id"],
            name=op.f("fk_portal_invitations_link_id_sign_in_links"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_portal_invitations_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_portal_invitations_requested_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_invitations")),
    )
    op.create_index(
        op.f("ix_portal_invitations_patient_id"),
        "portal_invitations",
        ["patient_id"],
        unique=False,
    )
    op.create_index("ix_portal_invitations_state", "portal_invitations", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_portal_invitations_state", table_name="portal_invitations")
    op.drop_index(op.f("ix_portal_invitations_patient_id"), table_name="portal_invitations")
    op.drop_table("portal_invitations")
    op.drop_index(op.f("ix_sign_in_links_user_id"), table_name="sign_in_links")
    op.drop_index(op.f("ix_sign_in_links_patient_id"), table_name="sign_in_links")
    op.drop_table("sign_in_links")
