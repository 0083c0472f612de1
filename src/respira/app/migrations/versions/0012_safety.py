"""safety: adverse events, their e-signed reports, the versioned reference list of
expected reactions, the on-call roster

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# As in respira.kit.records (a migration keeps its own copy: it must not change later).
RETRACTION_CONSISTENT = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL "
    "AND retraction_reason IS NOT NULL)"
)
UTC = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="RESTRICT",
    )


def _ck(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    t = "expected_reactions_lists"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        _ck(t, "version", "version >= 1"),
        _fk(t, "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("effective_from", name=op.f(f"uq_{t}_effective_from")),
        sa.UniqueConstraint("version", name=op.f(f"uq_{t}_version")),
    )

    t = "on_call"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        _ck(t, "role", "role IN ('physician', 'medical_director')"),
        _ck(t, "times", "ends_at > starts_at"),
        _fk(t, "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_on_call_times", t, ["starts_at", "ends_at"], unique=False)
    op.create_index(op.f("ix_on_call_user_id"), t, ["user_id"], unique=False)

    t = "adverse_events"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("din", sa.String(length=13), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("lot_code", sa.String(length=64), nullable=True),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("meddra_code", sa.String(length=16), nullable=True),
        sa.Column("ctcae_version", sa.String(length=16), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("resolution_date", sa.Date(), nullable=True),
        sa.Column("serious_criteria", sa.JSON(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("causality", sa.String(length=16), nullable=False),
        sa.Column("related", sa.Boolean(), nullable=False),
        sa.Column("expected", sa.Boolean(), nullable=False),
        sa.Column("expected_list_version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("clock", sa.String(length=64), nullable=True),
        sa.Column("clock_started_at", UTC, nullable=True),
        sa.Column("report_due_at", UTC, nullable=True),
        sa.Column("follow_up_due_at", UTC, nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_by_name", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", UTC, nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        _ck(
            t,
            "causality",
            "causality IN ('unrelated', 'unlikely', 'possible', 'probable', 'definite')",
        ),
        _ck(t, "grade_five_fatal", "grade <> 5 OR outcome = 'fatal'"),
        _ck(
            t,
            "outcome",
            "outcome IS NULL OR outcome IN ('recovered', 'recovering', 'not_recovered', "
            "'recovered_with_sequelae', 'fatal', 'unknown')",
        ),
        _ck(t, "related", "related = (causality IN ('possible', 'probable', 'definite'))"),
        _ck(
            t,
            "acknowledged",
            "(acknowledged_at IS NULL AND acknowledged_by_name IS NULL) OR "
            "(acknowledged_at IS NOT NULL AND acknowledged_by_name IS NOT NULL)",
        ),
        _ck(t, "retraction", RETRACTION_CONSISTENT),
        _ck(t, "grade_five_serious", "grade <> 5 OR serious"),
        _ck(t, "grade", "grade >= 1 AND grade <= 5"),
        _ck(t, "resolution", "resolution_date IS NULL OR resolution_date >= onset_date"),
        _ck(t, "clock_serious_only", "serious OR report_due_at IS NULL"),
        _fk(t, "acknowledged_by_id", "users"),
        _fk(t, "administration_id", "administrations"),
        _fk(t, "course_id", "courses"),
        _fk(t, "lot_id", "lots"),
        _fk(t, "patient_id", "patients"),
        _fk(t, "recorded_by_id", "users"),
        _fk(t, "retracted_by_id", "users"),
        _fk(t, "unit_id", "units"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    for column in ("administration_id", "lot_id", "patient_id"):
        op.create_index(op.f(f"ix_{t}_{column}"), t, [column], unique=False)
    op.create_index(
        "ix_adverse_events_serious_unacknowledged", t, ["serious", "acknowledged_at"], unique=False
    )

    t = "safety_reports"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", UTC, nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=False),
        sa.Column("signed_by_name", sa.String(length=200), nullable=False),
        _ck(t, "initial_first", "(kind = 'initial') = (number = 1)"),
        _ck(t, "kind", "kind IN ('initial', 'follow_up')"),
        _fk(t, "event_id", "adverse_events"),
        _fk(t, "signature_id", "signatures"),
        _fk(t, "signed_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("event_id", "number", name=op.f(f"uq_{t}_event_id_number")),
    )
    op.create_index(op.f("ix_safety_reports_event_id"), t, ["event_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_safety_reports_event_id"), table_name="safety_reports")
    op.drop_table("safety_reports")
    op.drop_index("ix_adverse_events_serious_unacknowledged", table_name="adverse_events")
    for column in ("administration_id", "lot_id", "patient_id"):
        op.drop_index(op.f(f"ix_adverse_events_{column}"), table_name="adverse_events")
    op.drop_table("adverse_events")
    op.drop_index(op.f("ix_on_call_user_id"), table_name="on_call")
    op.drop_index("ix_on_call_times", table_name="on_call")
    op.drop_table("on_call")
    op.drop_table("expected_reactions_lists")
