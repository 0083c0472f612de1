"""Tables of the quotes step.

Nothing here is ever edited once written, except a quote's state (sent, accepted,
declined, superseded) and the billing counters:

- ``price_lists`` with their ``price_list_items`` and ``price_list_discounts``: a new
  version is a new row set; an old one stays as it was (quotes name the version they
  were priced from).
- ``quotes`` with their ``quote_lines``: re-issuing makes the next version of the same
  quote number and marks the previous one superseded.
- ``invoices`` (one per accepted quote; numbered gapless per year), their
  ``invoice_payments`` (retracted, never deleted, when entered in error) and
  ``credit_notes`` (their own gapless series); ``billing_counters`` hold each series'
  last number per year and are updated under a row lock.
- ``currency_rates``: one row per rate and date, as an admin entered it.

Money is integer minor units (``*_minor``, BigInteger) next to its currency; factors,
percentages and quantities are exact decimal text (see ``respira.quotes.money``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.created import Created
from respira.kit.db import Base, UTCDateTime
from respira.kit.records import RETRACTION_CONSISTENT, Recorded
from respira.quotes.catalogue import (
    ACCEPTANCE_WAYS,
    CATEGORIES,
    PAYMENT_METHODS,
    SEVERITIES,
    STORED_STATUSES,
)
from respira.quotes.money import CURRENCIES


def _in(column: str, values: Any, *, nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    rule = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {rule}" if nullable else rule


LINE_KINDS = ("item", "severity", "comorbidity", "discount")
BASES = ("course", "provisional", "lines")
SERIES = ("INV", "CN")


class PriceList(Created, Base):
    __tablename__ = "price_lists"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    # {"mild": "1.00", "moderate": "1.10", "severe": "1.25"}: exact decimal text.
    severity_factors: Mapped[dict[str, str]] = mapped_column(sa.JSON, nullable=False)
    # {"cardiovascular": "10", ...}: percent of the medical services, exact decimal text.
    comorbidity_surcharge_pct: Mapped[dict[str, str]] = mapped_column(sa.JSON, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)

    items: Mapped[list[PriceListItem]] = relationship(
        order_by="PriceListItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    discounts: Mapped[list[PriceListDiscount]] = relationship(
        order_by="PriceListDiscount.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        sa.CheckConstraint(_in("currency", CURRENCIES), name="currency"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity"),
    )


class PriceListItem(Base):
    __tablename__ = "price_list_items"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    price_list_id: Mapped[int] = reference("price_lists.id", ondelete="CASCADE", index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # The cell source, modality or room type the item is matched to a course by.
    applies_to: Mapped[str | None] = mapped_column(sa.String(40))
    # A cell-course item's dose band, ×10^6 cells per kg (both ends included).
    dose_min_million_per_kg: Mapped[float | None] = mapped_column(sa.Float)
    dose_max_million_per_kg: Mapped[float | None] = mapped_column(sa.Float)

    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "code"),
        sa.CheckConstraint(_in("category", CATEGORIES), name="category"),
        sa.CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
    )


class PriceListDiscount(Base):
    __tablename__ = "price_list_discounts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    price_list_id: Mapped[int] = reference("price_lists.id", ondelete="CASCADE", index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    percent: Mapped[str | None] = mapped_column(sa.String(12))
    amount_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Who may give it: "coordinator" (coordinators and admins) or "admin".
    given_by: Mapped[str] = mapped_column(sa.String(16), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "code"),
        sa.CheckConstraint("(percent IS NULL) <> (amount_minor IS NULL)", name="percent_or_amount"),
        sa.CheckConstraint("amount_minor IS NULL OR amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(_in("given_by", ("coordinator", "admin")), name="given_by"),
    )


class Quote(Created, Base):
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    price_list_id: Mapped[int] = reference("price_lists.id")
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    basis: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    course_id: Mapped[int | None] = reference("courses.id")
    # The provisional plan as the coordinator gave it (a quote before any course).
    plan: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    room_type: Mapped[str | None] = mapped_column(sa.String(40))
    severity: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    comorbidities: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    discount_code: Mapped[str | None] = mapped_column(sa.String(40))
    valid_until: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # NO ACTION, not RESTRICT: a row that points at its own table (SQLite checks
    # RESTRICT row by row, so emptying the table in one statement would fail).
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotes.id"))

    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = reference("users.id")
    accepted_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    accepted_how: Mapped[str | None] = mapped_column(sa.String(16))
    acceptance_note: Mapped[str | None] = mapped_column(sa.Text)
    declined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    declined_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[QuoteLine]] = relationship(
        order_by="QuoteLine.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        sa.UniqueConstraint("patient_id", "number", "version"),
        sa.CheckConstraint(_in("status", STORED_STATUSES), name="status"),
        sa.CheckConstraint(_in("currency", CURRENCIES), name="currency"),
        sa.CheckConstraint(_in("basis", BASES), name="basis"),
        sa.CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        sa.CheckConstraint(_in("accepted_how", ACCEPTANCE_WAYS, nullable=True), name="how"),
        sa.CheckConstraint(
            "(status = 'accepted') = (accepted_at IS NOT NULL AND accepted_how IS NOT NULL)",
            name="accepted_consistent",
        ),
        sa.CheckConstraint("(status = 'declined') = (declined_at IS NOT NULL)", name="declined"),
        sa.CheckConstraint(
            "(status = 'superseded') = (superseded_at IS NOT NULL)", name="superseded"
        ),
        sa.CheckConstraint("number >= 1 AND version >= 1", name="numbered"),
    )


class QuoteLine(Base):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    quote_id: Mapped[int] = reference("quotes.id", ondelete="CASCADE", index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(400), nullable=False)
    category: Mapped[str | None] = mapped_column(sa.String(32))
    unit: Mapped[str | None] = mapped_column(sa.String(40))
    quantity: Mapped[str | None] = mapped_column(sa.String(16))
    unit_price_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # A severity factor ("1.25"), a surcharge's or a discount's percent ("10").
    rate: Mapped[str | None] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    price_list_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("quote_id", "position"),
        sa.CheckConstraint(_in("kind", LINE_KINDS), name="kind"),
    )


class BillingCounter(Base):
    """The last number issued in a series ("INV" invoices, "CN" credit notes) in a
    year. Issuing a number locks the row to the end of the transaction, so numbers are
    issued one after the other, and a transaction that rolls back gives its number
    back: the series has no gaps."""

    __tablename__ = "billing_counters"

    series: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __table_args__ = (
        sa.CheckConstraint(_in("series", SERIES), name="series"),
        sa.CheckConstraint("last_number >= 0", name="last_number"),
    )


class Invoice(Created, Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    quote_id: Mapped[int] = reference("quotes.id", unique=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    number: Mapped[str] = mapped_column(sa.String(24), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    issued_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    # The stay whose booking issued it (logistics' ``stays.id``; no foreign key: the
    # logistics tables come after this step's).
    stay_id: Mapped[int | None] = mapped_column(sa.Integer)

    payments: Mapped[list[Payment]] = relationship(
        order_by="Payment.id", lazy="selectin", cascade="all, delete-orphan"
    )
    credit_notes: Mapped[list[CreditNote]] = relationship(
        order_by="CreditNote.id", lazy="selectin", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("year", "sequence"),
        sa.CheckConstraint(_in("currency", CURRENCIES), name="currency"),
        sa.CheckConstraint("sequence >= 1", name="sequence"),
    )


class Payment(Recorded, Base):
    __tablename__ = "invoice_payments"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    invoice_id: Mapped[int] = reference("invoices.id", ondelete="CASCADE", index=True)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    method: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
    )


class CreditNote(Created, Base):
    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    invoice_id: Mapped[int] = reference("invoices.id", ondelete="CASCADE", index=True)
    number: Mapped[str] = mapped_column(sa.String(24), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    issued_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("year", "sequence"),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("sequence >= 1", name="sequence"),
    )


class CurrencyRate(Created, Base):
    """How many units of ``to_currency`` one unit of ``from_currency`` buys, on a date,
    as an admin entered it (for showing an amount in another currency; the invoice is
    payable in its own currency)."""

    __tablename__ = "currency_rates"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    from_currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    to_currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    rate: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    on_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(300), nullable=False)

    __table_args__ = (
        sa.CheckConstraint(_in("from_currency", CURRENCIES), name="from_currency"),
        sa.CheckConstraint(_in("to_currency", CURRENCIES), name="to_currency"),
        sa.CheckConstraint("from_currency <> to_currency", name="two_currencies"),
        sa.Index("ix_currency_rates_pair_date", "from_currency", "to_currency", "on_date"),
    )
