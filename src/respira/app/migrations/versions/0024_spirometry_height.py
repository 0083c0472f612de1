"""diagnostics: height measured at each spirometry session

A spirometry session records where the height its reference equations used came from
(``height_source``: measured at the session, the previous session's, or the patient
record's) and keeps that height within the plausible 40–250 cm. Sessions recorded
before took the height from the patient record (their ``height_cm`` is that height, as
the equations used it): they get ``patient_record``. A session of a patient whose age
lies outside the reference equations is now stored without an interpretation, so
``pattern`` may be null.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# Copied from the models at this revision (migrations never import respira).
HEIGHT_RANGE = "height_cm >= 40 AND height_cm <= 250"
HEIGHT_SOURCE = "height_source IN ('measured', 'previous_session', 'patient_record')"
# A session without reference values reads as "not_interpreted" once the column is
# required again.
NO_REFERENCE_PATTERN = (
    "UPDATE spirometry_sessions SET pattern = 'not_interpreted' WHERE pattern IS NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("spirometry_sessions") as batch:
        batch.add_column(sa.Column("height_source", sa.String(length=16), nullable=True))
    op.execute("UPDATE spirometry_sessions SET height_source = 'patient_record'")
    with op.batch_alter_table("spirometry_sessions") as batch:
        batch.alter_column("height_source", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("pattern", existing_type=sa.String(length=64), nullable=True)
        batch.create_check_constraint(op.f("ck_spirometry_sessions_height_range"), HEIGHT_RANGE)
        batch.create_check_constraint(op.f("ck_spirometry_sessions_height_source"), HEIGHT_SOURCE)


def downgrade() -> None:
    op.execute(NO_REFERENCE_PATTERN)
    with op.batch_alter_table("spirometry_sessions") as batch:
        batch.drop_constraint(op.f("ck_spirometry_sessions_height_source"), type_="check")
        batch.drop_constraint(op.f("ck_spirometry_sessions_height_range"), type_="check")
        batch.alter_column("pattern", existing_type=sa.String(length=64), nullable=False)
        batch.drop_column("height_source")
