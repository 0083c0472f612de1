"""summaries: the medical summaries, drafts and signed versions with their frozen PDFs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "medical_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revises_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=True),
        sa.Column("what_changed", sa.Text(), nullable=True),
        sa.Column("changed_sections", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_by_name", sa.String(length=200), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_english", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_english_sha256", sa.String(length=64), nullable=True),
        sa.Column("draft_revision", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'draft') = (signature_id IS NULL AND signed_at IS NULL "
            "AND pdf_sha256 IS NULL AND content_sha256 IS NULL)",
            name=op.f("ck_medical_summaries_signed_is_frozen"),
        ),
        sa.CheckConstraint(
            "kind IN ('discharge', 'follow_up')", name=op.f("ck_medical_summaries_kind")
        ),
        sa.CheckConstraint(
            "status = 'draft' OR (signed_by_name IS NOT NULL AND recommendations IS NOT NULL)",
            name=op.f("ck_medical_summaries_signed_has_signer"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'signed', 'superseded')",
            name=op.f("ck_medical_summaries_status"),
        ),
        sa.CheckConstraint(
            "(version = 1) = (revises_id IS NULL)",
            name=op.f("ck_medical_summaries_first_or_correction"),
        ),
        sa.CheckConstraint(
            "version = 1 OR what_changed IS NOT NULL",
            name=op.f("ck_medical_summaries_correction_says_why"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_medical_summaries_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_medical_summaries_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_medical_summaries_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revises_id"],
            ["medical_summaries.id"],
            name=op.f("fk_medical_summaries_revises_id_medical_summaries"),
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_medical_summaries_signature_id_signatures"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["users.id"],
            name=op.f("fk_medical_summaries_signed_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_summaries")),
        sa.UniqueConstraint("revises_id", name=op.f("uq_medical_summaries_revises_id")),
    )
    op.create_index(
        "ix_medical_summaries_patient_status",
        "medical_summaries",
        ["patient_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_medical_summaries_patient_status", table_name="medical_summaries")
    op.drop_table("medical_summaries")
