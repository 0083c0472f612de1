"""Who may use each of the quotes' routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

Admins edit price lists and currency rates; admins and coordinators make, send and
re-issue quotes, record acceptances and refusals, issue invoices and credit notes and
record payments; physicians read prices, quotes and invoices; a patient reads their own
quotes and invoices and accepts their own quotes (the API and the portal, /my/...);
nurses and the laboratory have no part in billing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.kit.actors import Role

A, PH, C, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.PATIENT
ADMIN = frozenset({A})
PRICE_READ = frozenset({A, C, PH})
STAFF_READ = PRICE_READ
WRITE = frozenset({A, C})
READ = frozenset({A, C, PH, PT})
ACCEPT = frozenset({A, C, PT})
PATIENT = frozenset({PT})

POLICY: dict[tuple[str, str], Any] = {
    # JSON
    ("POST", "/api/v1/price-lists"): ADMIN,
    ("GET", "/api/v1/price-lists"): PRICE_READ,
    ("GET", "/api/v1/price-lists/{price_list_id}"): PRICE_READ,
    ("POST", "/api/v1/patients/{patient_id}/quotes"): WRITE,
    ("GET", "/api/v1/patients/{patient_id}/quotes"): READ,
    ("GET", "/api/v1/quotes/{quote_id}.pdf"): READ,
    ("GET", "/api/v1/quotes/{quote_id}"): READ,
    ("POST", "/api/v1/quotes/{quote_id}/reissue"): WRITE,
    ("POST", "/api/v1/quotes/{quote_id}/send"): WRITE,
    ("POST", "/api/v1/quotes/{quote_id}/accept"): ACCEPT,
    ("POST", "/api/v1/quotes/{quote_id}/decline"): WRITE,
    ("POST", "/api/v1/quotes/{quote_id}/invoice"): WRITE,
    ("GET", "/api/v1/patients/{patient_id}/invoices"): READ,
    ("GET", "/api/v1/invoices/{invoice_id}"): READ,
    ("POST", "/api/v1/invoices/{invoice_id}/payments"): WRITE,
    ("POST", "/api/v1/invoices/{invoice_id}/payments/{payment_id}/retract"): WRITE,
    ("POST", "/api/v1/invoices/{invoice_id}/credit-notes"): WRITE,
    ("GET", "/api/v1/currency-rates"): PRICE_READ,
    ("POST", "/api/v1/currency-rates"): ADMIN,
    # Staff pages
    ("GET", "/quotes"): STAFF_READ,
    ("GET", "/patients/{patient_id}/quotes/new"): WRITE,
    ("POST", "/patients/{patient_id}/quotes"): WRITE,
    ("GET", "/quotes/{quote_id}/reissue"): WRITE,
    ("POST", "/quotes/{quote_id}/reissue"): WRITE,
    ("GET", "/quotes/{quote_id}.pdf"): STAFF_READ,
    ("GET", "/quotes/{quote_id}"): STAFF_READ,
    ("POST", "/quotes/{quote_id}/send"): WRITE,
    ("POST", "/quotes/{quote_id}/accept"): WRITE,
    ("POST", "/quotes/{quote_id}/decline"): WRITE,
    ("POST", "/quotes/{quote_id}/invoice"): WRITE,
    ("GET", "/price-lists"): PRICE_READ,
    ("GET", "/price-lists/new"): ADMIN,
    ("POST", "/price-lists"): ADMIN,
    ("GET", "/price-lists/{price_list_id}"): PRICE_READ,
    ("GET", "/currency-rates"): PRICE_READ,
    ("POST", "/currency-rates"): ADMIN,
    ("GET", "/invoices/{invoice_id}"): STAFF_READ,
    ("POST", "/invoices/{invoice_id}/payments"): WRITE,
    ("POST", "/invoices/{invoice_id}/payments/{payment_id}/retract"): WRITE,
    ("POST", "/invoices/{invoice_id}/credit-notes"): WRITE,
    # The patient's portal
    ("GET", "/my/quotes"): PATIENT,
    ("GET", "/my/quotes/{quote_id}.pdf"): PATIENT,
    ("GET", "/my/quotes/{quote_id}"): PATIENT,
    ("POST", "/my/quotes/{quote_id}/accept"): PATIENT,
    ("GET", "/my/invoices/{invoice_id}"): PATIENT,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    """A price list, a sent quote of the patient, and an invoice of an accepted quote of
    the patient with one payment, stored directly (the access matrix needs records that
    exist, not the rules that lead to them)."""
    from respira.kit.db import utcnow
    from respira.quotes.models import Invoice, Payment, PriceList, PriceListItem, Quote, QuoteLine

    today = dt.date.today()
    with db.transaction() as s:
        prices = PriceList(
            version=9000 + patient_id,
            currency="EUR",
            valid_from=today - dt.timedelta(days=30),
            valid_until=today + dt.timedelta(days=365),
            severity_factors={"mild": "1", "moderate": "1.1", "severe": "1.25"},
            comorbidity_surcharge_pct={},
            created_by_name="test",
            items=[
                PriceListItem(
                    position=0,
                    code="CONS",
                    category="consultation",
                    description="Consultation",
                    unit="each",
                    unit_price_minor=25000,
                )
            ],
        )
        s.add(prices)
        s.flush()

        def quote(number: int, status: str, **extra: Any) -> Quote:
            row = Quote(
                patient_id=patient_id,
                number=number,
                version=1,
                status=status,
                price_list_id=prices.id,
                currency="EUR",
                basis="lines",
                severity="mild",
                comorbidities=[],
                valid_until=today + dt.timedelta(days=30),
                total_minor=25000,
                created_by_name="test",
                sent_at=utcnow(),
                sent_by_name="test",
                lines=[
                    QuoteLine(
                        position=1,
                        kind="item",
                        code="CONS",
                        description="Consultation",
                        quantity="1",
                        unit_price_minor=25000,
                        amount_minor=25000,
                        price_list_version=prices.version,
                    )
                ],
                **extra,
            )
            s.add(row)
            s.flush()
            return row

        sent = quote(1, "sent")
        accepted = quote(2, "accepted", accepted_at=utcnow(), accepted_how="email")
        invoice = Invoice(
            quote_id=accepted.id,
            patient_id=patient_id,
            number=f"INV-1999-{patient_id:06d}",
            year=1999,
            sequence=patient_id,
            currency="EUR",
            total_minor=25000,
            issued_on=today,
            created_by_name="test",
        )
        s.add(invoice)
        s.flush()
        payment = Payment(
            invoice_id=invoice.id,
            currency="EUR",
            amount_minor=100,
            paid_on=today,
            method="cash",
            recorded_by_name="test",
        )
        s.add(payment)
        s.flush()
        return {
            "price_list_id": prices.id,
            "quote_id": sent.id,
            "invoice_id": invoice.id,
            "payment_id": payment.id,
        }
