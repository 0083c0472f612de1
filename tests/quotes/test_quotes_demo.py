"""The demo clinic's prices and quotes: two EUR price list versions, rates, and quotes in
every state (draft, sent, accepted with an invoice and a payment, superseded, declined,
expired), made through the real use cases, the audit chain intact; a full course is
priced inside the €7,000–31,000 the clinic publishes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from respira.app import demo
from respira.kit import audit
from respira.kit.actors import Actor
from respira.quotes import service
from respira.quotes.models import Invoice, Quote


def test_the_demo_holds_quotes_in_every_state_and_an_invoice_with_a_payment(db):
    result = demo.seed(db, patients=30)
    assert result is not None and result.counts["quotes"] >= 7
    reader = Actor.system("test")
    with db.session() as s:
        assert audit.verify_chain(s).ok
        lists = service.list_price_lists(s, reader)
        assert [p.version for p in lists] == [2, 1] and {p.currency for p in lists} == {"EUR"}
        assert [p.in_force for p in lists] == [True, False]
        states = {
            service.get_quote(s, reader, qid).status for qid in s.scalars(select(Quote.id)).all()
        }
        assert {"draft", "sent", "accepted", "superseded", "declined", "expired"} <= states
        invoices = [service.get_invoice(s, reader, i) for i in s.scalars(select(Invoice.id))]
        assert any(i.payments and Decimal(i.balance) > 0 for i in invoices)
        assert any(i.credit_notes for i in invoices)
        course_quotes = [
            service.get_quote(s, reader, qid)
            for qid in s.scalars(select(Quote.id).where(Quote.basis == "course")).all()
        ]
        assert course_quotes
        for q in course_quotes:
            assert Decimal(7000) <= Decimal(q.total) <= Decimal(31000), q.total
        rates = service.list_rates(s, reader)
        assert {r.to_currency for r in rates} == {"USD", "GBP", "CHF"}
