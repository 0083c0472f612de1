"""quotes: price lists, quotes, invoices, payments and credit notes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# A copy of respira.kit.records.RETRACTION_CONSISTENT as it was (migrations are frozen).
RETRACTION_CONSISTENT = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL AND retraction_reason IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "billing_counters",
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("series IN ('INV', 'CN')", name=op.f("ck_billing_counters_series")),
        sa.CheckConstraint("last_number >= 0", name=op.f("ck_billing_counters_last_number")),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_billing_counters")),
    )

    op.create_table(
        "currency_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_currency", sa.String(length=3), nullable=False),
        sa.Column("to_currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=24), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "from_currency IN ('EUR', 'USD', 'CHF', 'GBP', 'JPY')",
            name=op.f("ck_currency_rates_from_currency"),
        ),
        sa.CheckConstraint(
            "to_currency IN ('EUR', 'USD', 'CHF', 'GBP', 'JPY')",
            name=op.f("ck_currency_rates_to_currency"),
        ),
        sa.CheckConstraint(
            "from_currency <> to_currency", name=op.f("ck_currency_rates_two_currencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_currency_rates_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_currency_rates")),
    )
    with op.batch_alter_table("currency_rates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_currency_rates_pair_date", ["from_currency", "to_currency", "on_date"], unique=False
        )

    op.create_table(
        "price_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("severity_factors", sa.JSON(), nullable=False),
        sa.Column("comorbidity_surcharge_pct", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "currency IN ('EUR', 'USD', 'CHF', 'GBP', 'JPY')", name=op.f("ck_price_lists_currency")
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_price_lists_validity")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_price_lists_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_price_lists_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        sa.UniqueConstraint("version", name=op.f("uq_price_lists_version")),
    )

    op.create_table(
        "price_list_discounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("percent", sa.String(length=12), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("given_by", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "given_by IN ('coordinator', 'admin')", name=op.f("ck_price_list_discounts_given_by")
        ),
        sa.CheckConstraint(
            "(percent IS NULL) <> (amount_minor IS NULL)",
            name=op.f("ck_price_list_discounts_percent_or_amount"),
        ),
        sa.CheckConstraint(
            "amount_minor IS NULL OR amount_minor > 0",
            name=op.f("ck_price_list_discounts_amount_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["price_lists.id"],
            name=op.f("fk_price_list_discounts_price_list_id_price_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list_discounts")),
        sa.UniqueConstraint(
            "price_list_id", "code", name=op.f("uq_price_list_discounts_price_list_id_code")
        ),
    )
    with op.batch_alter_table("price_list_discounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_list_discounts_price_list_id"), ["price_list_id"], unique=False
        )

    op.create_table(
        "price_list_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("applies_to", sa.String(length=40), nullable=True),
        sa.Column("dose_min_million_per_kg", sa.Float(), nullable=True),
        sa.Column("dose_max_million_per_kg", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "category IN ('consultation', 'diagnostic_test', 'cell_course', 'infusion', "
            "'nebulisation', 'supporting_modality', 'medical_other', 'stay_night', 'meals_day', "
            "'interpreter_day', 'transfer', 'companion_stay', 'service_other')",
            name=op.f("ck_price_list_items_category"),
        ),
        sa.CheckConstraint(
            "unit_price_minor >= 0", name=op.f("ck_price_list_items_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["price_lists.id"],
            name=op.f("fk_price_list_items_price_list_id_price_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list_items")),
        sa.UniqueConstraint(
            "price_list_id", "code", name=op.f("uq_price_list_items_price_list_id_code")
        ),
    )
    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_list_items_price_list_id"), ["price_list_id"], unique=False
        )

    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("room_type", sa.String(length=40), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("comorbidities", sa.JSON(), nullable=False),
        sa.Column("discount_code", sa.String(length=40), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by_name", sa.String(length=200), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_by_name", sa.String(length=200), nullable=True),
        sa.Column("accepted_how", sa.String(length=16), nullable=True),
        sa.Column("acceptance_note", sa.Text(), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_by_name", sa.String(length=200), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "(status = 'accepted') = (accepted_at IS NOT NULL AND accepted_how IS NOT NULL)",
            name=op.f("ck_quotes_accepted_consistent"),
        ),
        sa.CheckConstraint(
            "(status = 'declined') = (declined_at IS NOT NULL)", name=op.f("ck_quotes_declined")
        ),
        sa.CheckConstraint(
            "(status = 'superseded') = (superseded_at IS NOT NULL)",
            name=op.f("ck_quotes_superseded"),
        ),
        sa.CheckConstraint(
            "accepted_how IS NULL OR "
            "accepted_how IN ('signed_paper', 'email', 'phone', 'in_person', 'portal')",
            name=op.f("ck_quotes_how"),
        ),
        sa.CheckConstraint(
            "basis IN ('course', 'provisional', 'lines')", name=op.f("ck_quotes_basis")
        ),
        sa.CheckConstraint(
            "currency IN ('EUR', 'USD', 'CHF', 'GBP', 'JPY')", name=op.f("ck_quotes_currency")
        ),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe')", name=op.f("ck_quotes_severity")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'accepted', 'declined', 'superseded')",
            name=op.f("ck_quotes_status"),
        ),
        sa.CheckConstraint("number >= 1 AND version >= 1", name=op.f("ck_quotes_numbered")),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_quotes_accepted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_quotes_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_quotes_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_quotes_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["price_lists.id"],
            name=op.f("fk_quotes_price_list_id_price_lists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["quotes.id"],
            name=op.f("fk_quotes_supersedes_id_quotes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint(
            "patient_id", "number", "version", name=op.f("uq_quotes_patient_id_number_version")
        ),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotes_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "currency IN ('EUR', 'USD', 'CHF', 'GBP', 'JPY')", name=op.f("ck_invoices_currency")
        ),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_invoices_sequence")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_invoices_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_invoices_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_invoices_quote_id_quotes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        sa.UniqueConstraint("quote_id", name=op.f("uq_invoices_quote_id")),
        sa.UniqueConstraint("year", "sequence", name=op.f("uq_invoices_year_sequence")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "quote_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("quantity", sa.String(length=16), nullable=True),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("price_list_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('item', 'severity', 'comorbidity', 'discount')",
            name=op.f("ck_quote_lines_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_quote_lines_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_lines")),
        sa.UniqueConstraint("quote_id", "position", name=op.f("uq_quote_lines_quote_id_position")),
    )
    with op.batch_alter_table("quote_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_lines_quote_id"), ["quote_id"], unique=False)

    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_credit_notes_amount_positive")),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_credit_notes_sequence")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_credit_notes_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_credit_notes_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
        sa.UniqueConstraint("year", "sequence", name=op.f("uq_credit_notes_year_sequence")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_notes_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'card', 'cash', 'other')",
            name=op.f("ck_invoice_payments_method"),
        ),
        sa.CheckConstraint(RETRACTION_CONSISTENT, name=op.f("ck_invoice_payments_retraction")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_invoice_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_payments_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_invoice_payments_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_invoice_payments_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payments")),
    )
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_payments_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_payments_invoice_id"))

    op.drop_table("invoice_payments")

    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_invoice_id"))

    op.drop_table("credit_notes")

    with op.batch_alter_table("quote_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_lines_quote_id"))

    op.drop_table("quote_lines")

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_patient_id"))

    op.drop_table("invoices")

    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotes_patient_id"))

    op.drop_table("quotes")

    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_list_items_price_list_id"))

    op.drop_table("price_list_items")

    with op.batch_alter_table("price_list_discounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_list_discounts_price_list_id"))

    op.drop_table("price_list_discounts")

    op.drop_table("price_lists")

    with op.batch_alter_table("currency_rates", schema=None) as batch_op:
        batch_op.drop_index("ix_currency_rates_pair_date")

    op.drop_table("currency_rates")

    op.drop_table("billing_counters")
