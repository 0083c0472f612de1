"""accounts: the nurse role (ward staff: admissions, bedside checks, administrations)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD = "role IN ('admin', 'physician', 'coordinator', 'lab', 'patient')"
NEW = "role IN ('admin', 'physician', 'nurse', 'coordinator', 'lab', 'patient')"


def _replace(check: str) -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), check)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'nurse'")  # no account may keep a lost role
    _replace(OLD)
