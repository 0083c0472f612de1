"""Invoices, payments and credit notes. Respira moves no money: it records what the
clinic billed, what the patient paid and what was credited, and the balance.

- An accepted quote becomes one invoice: on the coordinator's request, or when the
  logistics step books the patient's stay against it (the ``logistics.stay_booked``
  event, ``on_stay_booked``, in the booking's own transaction). A second invoice for
  the same quote is 409 (and the quote's unique key refuses one raced in at the same
  moment).
- Invoice numbers are gapless per year: "INV-2026-000123". The number is taken from
  the year's counter row (``billing_counters``) read ``FOR UPDATE`` in the invoice's
  own transaction: parallel invoices take numbers one after the other, and a
  transaction that fails gives its number back by rolling back. Credit notes have their
  own series ("CN-2026-000001"). The year is the clinic's calendar year on the day of
  issue.
- An invoice is never edited. A credit note corrects it (at most what is not credited
  yet); a payment entered in error is retracted with the reason, never deleted.
- The balance is the total, less the credit notes, less the payments not retracted. A
  payment above the balance is refused (record the overpayment as what it is: a
  credit note, or a payment of the balance).
- The invoice is payable in its quote's currency; amounts in another currency are for
  display only (``respira.quotes.rates``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.patient_rows import rows_of_patient
from respira.kit.rows import from_row
from respira.kit.trail import Trail
from respira.patients import service as patients_service
from respira.quotes import money
from respira.quotes.models import BillingCounter, CreditNote, Invoice, Payment, Quote
from respira.quotes.quoting import load_quote, quote_out, reference, state_of
from respira.quotes.roles import READ_ROLES, WRITE_ROLES
from respira.quotes.schemas import (
    CreditNoteIn,
    CreditNoteOut,
    InvoiceOut,
    PaymentIn,
    PaymentOut,
)

INVOICES = Trail("invoice")
PAYMENTS = Trail("invoice_payment")
CREDIT_NOTES = Trail("credit_note")
INVOICE_SERIES = "INV"
CREDIT_SERIES = "CN"


def number_text(series: str, year: int, sequence: int) -> str:
    """ "INV-2026-000123": the series, the year, the sequence (digits at the end)."""
    return f"{series}-{year}-{sequence:06d}"


def next_number(session: Session, series: str, year: int) -> int:
    """The next number of ``series`` in ``year``, taken under the counter row's lock
    (held to the end of the caller's transaction). The year's row is made the first
    time, by an insert that does nothing when a parallel transaction made it first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(BillingCounter)
        .values(series=series, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    counter = session.get(
        BillingCounter, (series, year), with_for_update=True, populate_existing=True
    )
    assert counter is not None  # made just above, or by the transaction that made it first
    counter.last_number += 1
    session.flush()
    return counter.last_number


# --- reading ----------------------------------------------------------------------------------


def payment_out(row: Payment) -> PaymentOut:
    return from_row(
        PaymentOut,
        row,
        amount=money.text(row.amount_minor, row.currency),
        recorded_by=row.recorded_by_name,
    )


def credit_note_out(row: CreditNote) -> CreditNoteOut:
    return from_row(
        CreditNoteOut,
        row,
        amount=money.text(row.amount_minor, row.currency),
        created_by=row.created_by_name,
    )


def _sums(row: Invoice) -> tuple[int, int, int]:
    """(credited, paid, balance) in minor units."""
    credited = sum(c.amount_minor for c in row.credit_notes)
    paid = sum(p.amount_minor for p in row.payments if not p.retracted)
    return credited, paid, row.total_minor - credited - paid


def invoice_out(session: Session, row: Invoice) -> InvoiceOut:
    cur = row.currency
    credited, paid, balance = _sums(row)
    quote = session.get(Quote, row.quote_id)
    assert quote is not None  # a foreign key with ON DELETE RESTRICT
    return from_row(
        InvoiceOut,
        row,
        quote_reference=f"{reference(quote.patient_id, quote.number)} v{quote.version}",
        payable_in=cur,
        total=money.text(row.total_minor, cur),
        credited=money.text(credited, cur),
        paid=money.text(paid, cur),
        balance=money.text(balance, cur),
        status="open" if balance > 0 else ("paid" if balance == 0 else "overpaid"),
        created_by=row.created_by_name,
        lines=quote_out(session, quote).lines,
        payments=[payment_out(p) for p in row.payments],
        credit_notes=[credit_note_out(c) for c in row.credit_notes],
    )


def _load(session: Session, actor: Actor, invoice_id: int, *, lock: bool = False) -> Invoice:
    row = (
        records.lock_row(session, Invoice, invoice_id) if lock else session.get(Invoice, invoice_id)
    )
    if row is None or records.hidden_from(actor, row.patient_id, False):
        raise NotFound("no such invoice")
    return row


def get_invoice(session: Session, actor: Actor, invoice_id: int) -> InvoiceOut:
    require_role(actor, READ_ROLES)
    return invoice_out(session, _load(session, actor, invoice_id))


def list_invoices(session: Session, actor: Actor, patient_id: int) -> list[InvoiceOut]:
    """The patient's invoices, newest first."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = rows_of_patient(session, Invoice, patient_id, Invoice.id.desc())
    return [invoice_out(session, r) for r in rows]


# --- issuing ------------------------------------------------------------------------------------


def _issue(session: Session, actor: Actor, quote_id: int, *, stay_id: int | None) -> Invoice:
    """The quote's invoice, in the caller's transaction (not committed)."""
    current = load_quote(session, actor, quote_id)
    patients_service.get_for_update(session, actor, current.patient_id)
    quote = load_quote(session, actor, quote_id, lock=True)
    existing = session.scalars(select(Invoice).where(Invoice.quote_id == quote.id)).first()
    if existing is not None:
        raise Conflict(f"this quote already has invoice {existing.number}")
    state = state_of(quote, clinic_today())
    if state != "accepted":
        raise Conflict(f"this quote is {state}: only an accepted quote becomes an invoice")
    issued_on = clinic_today()
    sequence = next_number(session, INVOICE_SERIES, issued_on.year)
    row = Invoice(
        quote_id=quote.id,
        patient_id=quote.patient_id,
        number=number_text(INVOICE_SERIES, issued_on.year, sequence),
        year=issued_on.year,
        sequence=sequence,
        currency=quote.currency,
        total_minor=quote.total_minor,
        issued_on=issued_on,
        stay_id=stay_id,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
    )
    with records.flush_or_conflict(
        session, "an invoice for this quote was issued at the same moment; reload the quote"
    ):
        session.add(row)
    INVOICES.record(
        session,
        actor,
        row.id,
        "create",
        after={
            "number": row.number,
            "quote_id": quote.id,
            "currency": row.currency,
            "total": money.text(row.total_minor, row.currency),
            "stay_id": stay_id,
        },
    )
    return row


def issue_invoice(session: Session, actor: Actor, quote_id: int) -> InvoiceOut:
    """Invoice an accepted quote (the coordinator's request)."""
    require_role(actor, WRITE_ROLES)
    row = _issue(session, actor, quote_id, stay_id=None)
    out = invoice_out(session, row)
    session.commit()
    return out


def on_stay_booked(
    session: Session,
    actor: Actor,
    *,
    patient_id: int,
    stay_id: int,
    quote_id: int | None = None,
    **_payload: Any,
) -> None:
    """The ``logistics.stay_booked`` listener: a stay booked against an accepted quote
    issues the quote's invoice (in the booking's transaction, so both or neither are
    stored). A quote already invoiced is linked to the stay; a quote that is not this
    patient's, or not accepted, refuses the booking, naming ``quote_id``."""
    if quote_id is None:
        return
    quote = session.get(Quote, quote_id)
    if quote is None or quote.patient_id != patient_id:
        raise InvalidInput({"quote_id": "is not a quote of this patient"})
    existing = session.scalars(select(Invoice).where(Invoice.quote_id == quote_id)).first()
    if existing is not None:
        if existing.stay_id is None:
            existing.stay_id = stay_id
            session.flush()
            INVOICES.record(
                session,
                actor,
                existing.id,
                "link_stay",
                before={"stay_id": None},
                after={"stay_id": stay_id},
            )
        return
    state = state_of(quote, clinic_today())
    if state != "accepted":
        raise InvalidInput(
            {
                "quote_id": f"quote {reference(quote.patient_id, quote.number)} version "
                f"{quote.version} is {state}: a stay is booked against an accepted quote"
            }
        )
    _issue(session, actor, quote_id, stay_id=stay_id)


# --- payments and credit notes ------------------------------------------------------------


def _amount(text: str, currency: str) -> int:
    problem = money.digits_problem(text, currency)
    if problem:
        raise InvalidInput({"amount": problem})
    minor = money.to_minor(text, currency)
    if minor <= 0:
        raise InvalidInput({"amount": "must be above 0"})
    return minor


def record_payment(session: Session, actor: Actor, invoice_id: int, data: PaymentIn) -> PaymentOut:
    """A payment received (amount, date, method, reference), in the invoice's currency,
    at most the balance."""
    require_role(actor, WRITE_ROLES)
    invoice = _load(session, actor, invoice_id, lock=True)
    cur = invoice.currency
    minor = _amount(data.amount, cur)
    balance = _sums(invoice)[2]
    if minor > balance:
        raise InvalidInput(
            {
                "amount": f"is more than the balance of {money.text(max(balance, 0), cur)} {cur} "
                "(record what is due; a refund is a credit note)"
            }
        )
    row = Payment(
        invoice_id=invoice.id,
        currency=cur,
        amount_minor=minor,
        paid_on=data.paid_on,
        method=data.method,
        reference=data.reference,
        **records.stamp(actor),
    )
    session.add(row)
    session.flush()
    out = payment_out(row)
    PAYMENTS.record(session, actor, row.id, "create", after=out.model_dump(mode="json"))
    session.commit()
    return out


def retract_payment(
    session: Session, actor: Actor, invoice_id: int, payment_id: int, reason: str
) -> PaymentOut:
    """Mark a payment entered in error (it stops counting toward the balance)."""
    require_role(actor, WRITE_ROLES)
    _load(session, actor, invoice_id, lock=True)
    row = session.get(Payment, payment_id)
    if row is None or row.invoice_id != invoice_id:
        raise NotFound("no such payment")
    records.retract(session, actor, row, entity_type=PAYMENTS.entity_type, reason=reason)
    return payment_out(row)


def issue_credit_note(
    session: Session, actor: Actor, invoice_id: int, data: CreditNoteIn
) -> CreditNoteOut:
    """A credit note against the invoice (its own gapless series), at most what is not
    credited yet."""
    require_role(actor, WRITE_ROLES)
    invoice = _load(session, actor, invoice_id, lock=True)
    cur = invoice.currency
    minor = _amount(data.amount, cur)
    open_minor = invoice.total_minor - _sums(invoice)[0]
    if minor > open_minor:
        raise InvalidInput(
            {
                "amount": f"is more than what is left to credit on this invoice "
                f"({money.text(open_minor, cur)} {cur})"
            }
        )
    issued_on = clinic_today()
    sequence = next_number(session, CREDIT_SERIES, issued_on.year)
    row = CreditNote(
        invoice_id=invoice.id,
        number=number_text(CREDIT_SERIES, issued_on.year, sequence),
        year=issued_on.year,
        sequence=sequence,
        currency=cur,
        amount_minor=minor,
        issued_on=issued_on,
        reason=data.reason,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
    )
    session.add(row)
    session.flush()
    out = credit_note_out(row)
    CREDIT_NOTES.record(
        session, actor, row.id, "create", after=out.model_dump(mode="json"), reason=data.reason
    )
    session.commit()
    return out
