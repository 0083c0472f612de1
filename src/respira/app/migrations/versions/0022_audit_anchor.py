"""audit: keyed chain and row hashes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

The audit records gain the table and hash of the row each one audits (for ``respira
audit verify --records``). The chain's hashes become HMACs under the audit key, which
this migration cannot know: a trail written before it keeps its plain hashes until the
operator runs ``respira audit rekey`` once (docs/decisions/2026-12-06-hardening.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_table", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("row_table")
