"""Invoices, payments and credit notes: an accepted quote becomes one invoice (on
request, or when its stay is booked), numbered gapless per year ("INV-2026-000001")
even when many are issued at once; payments count toward the balance (a retracted one
does not); a credit note corrects an invoice in its own series and is never more than
what is left to credit."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from respira.kit import events
from respira.kit.actors import Actor
from respira.kit.errors import Conflict, InvalidInput
from respira.quotes import service
from respira.quotes.models import Invoice
from respira.quotes.schemas import CreditNoteIn, PaymentIn


def _year() -> int:
    return service.clinic_today().year


def _pay(office, invoice_id: int, amount: str, **changes):
    body = {
        "amount": amount,
        "paid_on": service.clinic_today().isoformat(),
        "method": "bank_transfer",
        "reference": "REF-1",
        **changes,
    }
    with office.db.transaction() as s:
        return service.record_payment(
            s, office.coordinator.actor, invoice_id, PaymentIn.model_validate(body)
        )


def _credit(office, invoice_id: int, amount: str, reason: str = "correction"):
    with office.db.transaction() as s:
        return service.issue_credit_note(
            s, office.coordinator.actor, invoice_id, CreditNoteIn(amount=amount, reason=reason)
        )


def test_an_accepted_quote_becomes_one_invoice_numbered_with_the_year(office):
    q = office.accepted(lines=[{"code": "CONS", "quantity": "4"}])
    invoice = office.invoice(q.id)
    assert invoice.number == f"INV-{_year()}-000001"
    assert (invoice.total, invoice.currency, invoice.payable_in) == ("1000.00", "EUR", "EUR")
    assert invoice.balance == "1000.00" and invoice.status == "open"
    assert [line.code for line in invoice.lines] == [line.code for line in q.lines]
    with pytest.raises(Conflict, match="already has invoice"):
        office.invoice(q.id)
    assert office.invoice(office.accepted().id).number == f"INV-{_year()}-000002"


def test_a_quote_that_is_not_accepted_is_not_invoiced(office):
    q = office.quote(office.patient())
    office.send(q.id)
    with pytest.raises(Conflict, match="only an accepted quote"):
        office.invoice(q.id)


def test_parallel_invoices_take_numbers_one_to_n_without_gaps_or_duplicates(office, db):
    n = 8
    quotes = [office.accepted() for _ in range(n)]
    numbers: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(n)

    def issue(quote_id: int) -> None:
        try:
            start.wait()
            with db.transaction() as s:
                numbers.append(service.issue_invoice(s, office.coordinator.actor, quote_id).number)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=issue, args=(q.id,)) for q in quotes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures
    assert sorted(numbers) == [f"INV-{_year()}-{i:06d}" for i in range(1, n + 1)]
    with db.session() as s:
        sequences = sorted(s.scalars(select(Invoice.sequence)).all())
    assert sequences == list(range(1, n + 1))


def test_a_failed_invoice_gives_its_number_back(office, db):
    q = office.accepted()
    with db.transaction() as s:
        assert service.next_number(s, "INV", _year()) == 1
        s.rollback()  # the transaction that took number 1 failed
    assert office.invoice(q.id).number == f"INV-{_year()}-000001"


def test_payments_reduce_the_balance_and_a_retracted_payment_stops_counting(office, db):
    invoice = office.invoice(office.accepted(lines=[{"code": "CONS", "quantity": "4"}]).id)
    first = _pay(office, invoice.id, "300.00")
    _pay(office, invoice.id, "200.50", method="card")
    with db.session() as s:
        now = service.get_invoice(s, office.coordinator.actor, invoice.id)
    assert (now.paid, now.balance, now.status) == ("500.50", "499.50", "open")
    with db.transaction() as s:
        service.retract_payment(s, office.coordinator.actor, invoice.id, first.id, "wrong patient")
    with db.session() as s:
        now = service.get_invoice(s, office.coordinator.actor, invoice.id)
    assert (now.paid, now.balance) == ("200.50", "799.50")
    assert now.payments[0].retracted and now.payments[0].retraction_reason == "wrong patient"
    _pay(office, invoice.id, "799.50")
    with db.session() as s:
        assert service.get_invoice(s, office.coordinator.actor, invoice.id).status == "paid"


def test_a_payment_above_the_balance_or_with_too_many_decimals_is_refused(office):
    invoice = office.invoice(office.accepted().id)
    with pytest.raises(InvalidInput) as caught:
        _pay(office, invoice.id, "250.01")
    assert "balance of 250.00 EUR" in caught.value.errors["amount"]
    with pytest.raises(InvalidInput) as caught:
        _pay(office, invoice.id, "10.001")
    assert "EUR has 2 decimals" in caught.value.errors["amount"]


def test_a_credit_note_corrects_the_invoice_in_its_own_series(office, db):
    invoice = office.invoice(office.accepted(lines=[{"code": "CONS", "quantity": "4"}]).id)
    _pay(office, invoice.id, "1000.00")
    note = _credit(office, invoice.id, "90.00", "transfer not needed")
    assert note.number == f"CN-{_year()}-000001" and note.amount == "90.00"
    with db.session() as s:
        now = service.get_invoice(s, office.coordinator.actor, invoice.id)
    # The invoice is never edited: its total stays; the balance shows the refund owed.
    assert (now.total, now.credited, now.balance, now.status) == (
        "1000.00",
        "90.00",
        "-90.00",
        "overpaid",
    )
    assert _credit(office, invoice.id, "10.00").number == f"CN-{_year()}-000002"
    with pytest.raises(InvalidInput) as caught:
        _credit(office, invoice.id, "900.01")
    assert "left to credit" in caught.value.errors["amount"]


def test_booking_the_stay_on_an_accepted_quote_issues_its_invoice(office, db):
    q = office.accepted()
    with db.transaction() as s:
        events.emit(
            s,
            office.coordinator.actor,
            "logistics.stay_booked",
            patient_id=q.patient_id,
            stay_id=77,
            quote_id=q.id,
        )
    with db.session() as s:
        (invoice,) = service.list_invoices(s, office.coordinator.actor, q.patient_id)
    assert invoice.stay_id == 77 and invoice.quote_id == q.id
    # Booked again (a second stay, say): the invoice is not issued twice.
    with db.transaction() as s:
        events.emit(
            s,
            office.coordinator.actor,
            "logistics.stay_booked",
            patient_id=q.patient_id,
            stay_id=78,
            quote_id=q.id,
        )
    with db.session() as s:
        assert len(service.list_invoices(s, office.coordinator.actor, q.patient_id)) == 1


def test_a_stay_booked_on_a_quote_not_accepted_or_of_another_patient_is_refused(office, db):
    q = office.quote(office.patient())
    office.send(q.id)
    with db.transaction() as s, pytest.raises(InvalidInput) as caught:
        events.emit(
            s,
            office.coordinator.actor,
            "logistics.stay_booked",
            patient_id=q.patient_id,
            stay_id=1,
            quote_id=q.id,
        )
    assert "accepted quote" in caught.value.errors["quote_id"]
    with db.transaction() as s, pytest.raises(InvalidInput):
        events.emit(
            s,
            office.coordinator.actor,
            "logistics.stay_booked",
            patient_id=office.patient(),
            stay_id=1,
            quote_id=q.id,
        )
    with db.transaction() as s:  # a stay without a quote issues nothing
        events.emit(
            s,
            office.coordinator.actor,
            "logistics.stay_booked",
            patient_id=q.patient_id,
            stay_id=2,
            quote_id=None,
        )


def test_a_patient_sees_only_their_own_invoices(office, db):
    q = office.accepted()
    invoice = office.invoice(q.id)
    own = Actor(user_id=None, role="patient", name="p", patient_id=q.patient_id)
    other = Actor(user_id=None, role="patient", name="o", patient_id=office.patient())
    with db.session() as s:
        assert service.get_invoice(s, own, invoice.id).number == invoice.number
        from respira.kit.errors import NotFound

        with pytest.raises(NotFound):
            service.get_invoice(s, other, invoice.id)
