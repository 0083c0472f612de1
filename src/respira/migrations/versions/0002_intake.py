"""intake: consultation and call-back requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled in by the intake step (issue 3); empty until its tables exist.
    pass


def downgrade() -> None:
    pass
