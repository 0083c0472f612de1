"""patients: a folded search key (name and record number without accents or case)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fold(text: str) -> str:
    # The same folding as respira.kit.validation.fold at the time of writing; a migration
    # keeps its own copy so that it never changes with the application.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("search_key", sa.String(length=400), nullable=True))
    conn = op.get_bind()
    patients = sa.table(
        "patients",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("medical_record_number", sa.String),
        sa.column("search_key", sa.String),
    )
    rows = conn.execute(
        sa.select(
            patients.c.id,
            patients.c.first_name,
            patients.c.last_name,
            patients.c.medical_record_number,
        )
    ).all()
    for row in rows:
        conn.execute(
            patients.update()
            .where(patients.c.id == row.id)
            .values(
                search_key=_fold(f"{row.first_name} {row.last_name} {row.medical_record_number}")
            )
        )
    with op.batch_alter_table("patients") as batch:
        batch.alter_column("search_key", existing_type=sa.String(length=400), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("search_key")
