"""audit trail: access records, the links of audit records to patients, and indexes
of the trail by time and by actor

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_records_at", "audit_records", ["at"])
    op.create_index("ix_audit_records_actor_seq", "audit_records", ["actor_id", "seq"])
    op.create_table(
        "access_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_records")),
    )
    op.create_index("ix_access_records_patient_at", "access_records", ["patient_id", "at"])
    op.create_index("ix_access_records_actor_at", "access_records", ["actor_id", "at"])
    op.create_table(
        "audit_patient_links",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_patient_links")),
    )
    op.create_index(
        "ix_audit_patient_links_patient_seq", "audit_patient_links", ["patient_id", "seq"]
    )
    op.create_table(
        "audit_link_progress",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_audit_link_progress")),
    )


def downgrade() -> None:
    op.drop_table("audit_link_progress")
    op.drop_index("ix_audit_patient_links_patient_seq", table_name="audit_patient_links")
    op.drop_table("audit_patient_links")
    op.drop_index("ix_access_records_actor_at", table_name="access_records")
    op.drop_index("ix_access_records_patient_at", table_name="access_records")
    op.drop_table("access_records")
    op.drop_index("ix_audit_records_actor_seq", table_name="audit_records")
    op.drop_index("ix_audit_records_at", table_name="audit_records")
