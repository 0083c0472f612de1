"""screening: eligibility criteria sets, screening findings and signed decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled in by the screening step (issue 3); empty until its tables exist.
    pass


def downgrade() -> None:
    pass
