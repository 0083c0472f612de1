"""The patient's own quotes in the portal: in their language, sent ones only (never a
draft), the PDF, and acceptance by the patient (recorded as "in the patient portal");
an expired or replaced quote shows why it cannot be accepted; another patient's quote
or invoice is not found."""

from __future__ import annotations

from sqlalchemy import update

from respira.quotes.models import Quote
from tests.quotes.quotes_helpers import days


def _patient_page(page_as, office, **fields):
    pid = office.patient(**fields)
    return pid, page_as("patient", patient_id=pid)


def test_the_patient_reads_and_accepts_their_quote_in_their_language(office, page_as):
    pid, me = _patient_page(page_as, office, preferred_language="de")
    draft = office.quote(pid, lines=[{"code": "CONS", "quantity": "2"}])
    sent = office.quote(pid, lines=[{"code": "CONS", "quantity": "1"}])
    office.send(sent.id)
    listing = me.get("/my/quotes")
    assert listing.status_code == 200 and "Meine Kostenvoranschläge" in listing.text
    assert f"/my/quotes/{sent.id}" in listing.text and f"/my/quotes/{draft.id}" not in listing.text
    assert me.get(f"/my/quotes/{draft.id}").status_code == 404
    page = me.get(f"/my/quotes/{sent.id}")
    assert "250,00" in page.text and "Regionale Vergleichsspannen" in page.text
    assert "kein Versprechen" in page.text
    pdf = me.get(f"/my/quotes/{sent.id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-language"] == "de"
    done = me.post_form(f"/my/quotes/{sent.id}/accept", {}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?accepted=1")
    after = me.get(f"/my/quotes/{sent.id}?accepted=1")
    assert "Ihre Annahme wurde erfasst" in after.text
    with office.db.session() as s:
        row = s.get(Quote, sent.id)
        assert row.status == "accepted" and row.accepted_how == "portal"
        assert row.accepted_by_id == me.account.id


def test_an_expired_quote_says_why_it_cannot_be_accepted(office, page_as):
    pid, me = _patient_page(page_as, office, preferred_language="ru")
    q = office.quote(pid)
    office.send(q.id)
    with office.db.transaction() as s:
        s.execute(update(Quote).where(Quote.id == q.id).values(valid_until=days(-2)))
    page = me.get(f"/my/quotes/{q.id}")
    assert "Срок действия этой сметы истёк" in page.text and "accept-button" not in page.text
    refused = me.post_form(f"/my/quotes/{q.id}/accept", {})
    assert refused.status_code == 409 and "Срок действия этой сметы истёк" in refused.text


def test_another_patients_quote_and_invoice_are_not_found(office, page_as):
    theirs = office.accepted()
    invoice = office.invoice(theirs.id)
    _pid, me = _patient_page(page_as, office)
    for path in (
        f"/my/quotes/{theirs.id}",
        f"/my/quotes/{theirs.id}.pdf",
        f"/my/invoices/{invoice.id}",
    ):
        assert me.get(path).status_code == 404, path
    assert me.post_form(f"/my/quotes/{theirs.id}/accept", {}).status_code == 404


def test_the_patient_sees_their_invoice_with_its_balance(office, page_as):
    pid, me = _patient_page(page_as, office, preferred_language="en")
    invoice = office.invoice(office.accepted(pid).id)
    listing = me.get("/my/quotes")
    assert invoice.number in listing.text
    page = me.get(f"/my/invoices/{invoice.id}")
    assert page.status_code == 200 and "Please pay in EUR" in page.text
    assert "Record a payment" not in page.text


def test_the_patient_accepts_through_the_api_and_staff_must_say_how(office, api_as):
    pid = office.patient()
    q = office.quote(pid)
    office.send(q.id)
    staff = api_as("coordinator")
    assert staff.post(f"/api/v1/quotes/{q.id}/accept").status_code == 422
    other = api_as("patient")
    assert other.post(f"/api/v1/quotes/{q.id}/accept").status_code == 404
    me = api_as("patient", patient_id=pid)
    r = me.post(f"/api/v1/quotes/{q.id}/accept")
    assert r.status_code == 200 and r.json()["accepted_how"] == "portal"
    again = me.post(f"/api/v1/quotes/{q.id}/accept")
    assert again.status_code == 409 and "already accepted" in again.json()["detail"]
