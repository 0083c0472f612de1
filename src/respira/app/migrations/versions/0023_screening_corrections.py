"""screening: corrected criteria inputs and changed evidence

Screening findings gain smoking as the cited sources put it (ever smoked, the quit
date, vaping) and the screening-day question on a severe exacerbation or systemic
corticosteroid course in the last 4 weeks; existing findings read "unknown" (they did
not ask). ``screening_evidence`` lists the records each screening read its facts from,
so that a later retraction or supersession shows; existing screenings get theirs from
the sources their stored results cite.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# Copied from respira.screening.models and respira.screening.facts at this revision.
_NEW_TRI = ("ever_smoked", "vaping", "exacerbation_or_scs_4w")
_EVIDENCE_TYPES = (
    "spirometry_session",
    "questionnaire_response",
    "marker_panel",
    "treatment_history",
    "imaging_study",
    "screening_findings",
)
_DIAGNOSTIC_SOURCE = re.compile(
    r"^visit \d+ / (spirometry|questionnaire|markers|history|imaging) (\d+)$"
)
_KIND_TYPES = {
    "spirometry": "spirometry_session",
    "questionnaire": "questionnaire_response",
    "markers": "marker_panel",
    "history": "treatment_history",
    "imaging": "imaging_study",
}


def upgrade() -> None:
    with op.batch_alter_table("screening_findings", schema=None) as batch_op:
        for name in _NEW_TRI:
            batch_op.add_column(
                sa.Column(name, sa.String(length=8), nullable=False, server_default="unknown")
            )
        batch_op.add_column(sa.Column("smoking_quit_on", sa.Date(), nullable=True))
    with op.batch_alter_table("screening_findings", schema=None) as batch_op:
        for name in _NEW_TRI:
            batch_op.alter_column(name, server_default=None)
            batch_op.create_check_constraint(
                op.f(f"ck_screening_findings_tri_{name}"), f"{name} IN ('yes', 'no', 'unknown')"
            )

    listed = ", ".join(f"'{t}'" for t in _EVIDENCE_TYPES)
    op.create_table(
        "screening_evidence",
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            f"record_type IN ({listed})", name=op.f("ck_screening_evidence_record_type")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_screening_evidence_screening_id_screenings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "screening_id", "record_type", "record_id", name=op.f("pk_screening_evidence")
        ),
    )
    with op.batch_alter_table("screening_evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_screening_evidence_record", ["record_type", "record_id"], unique=False
        )

    # Existing screenings: the records their stored results cite.
    bind = op.get_bind()
    evidence = sa.table(
        "screening_evidence",
        sa.column("screening_id", sa.Integer),
        sa.column("record_type", sa.String),
        sa.column("record_id", sa.Integer),
    )
    rows = bind.execute(sa.text("SELECT id, findings_id, results_json FROM screenings")).all()
    for screening_id, findings_id, results_json in rows:
        refs: set[tuple[str, int]] = set()
        if findings_id is not None:
            refs.add(("screening_findings", findings_id))
        for criterion in json.loads(results_json):
            for fact in criterion.get("facts", []):
                match = _DIAGNOSTIC_SOURCE.match(fact.get("source") or "")
                if match:
                    refs.add((_KIND_TYPES[match.group(1)], int(match.group(2))))
        if refs:
            bind.execute(
                evidence.insert(),
                [
                    {"screening_id": screening_id, "record_type": t, "record_id": i}
                    for t, i in sorted(refs)
                ],
            )


def downgrade() -> None:
    with op.batch_alter_table("screening_evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_evidence_record")
    op.drop_table("screening_evidence")
    with op.batch_alter_table("screening_findings", schema=None) as batch_op:
        for name in _NEW_TRI:
            batch_op.drop_constraint(op.f(f"ck_screening_findings_tri_{name}"), type_="check")
        batch_op.drop_column("smoking_quit_on")
        for name in reversed(_NEW_TRI):
            batch_op.drop_column(name)
