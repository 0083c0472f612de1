"""The staff's pages: the price list's new-version form (starts from the newest version,
errors next to the field), the builder (a course's lines proposed in the quantity
boxes, errors named after the box), the quote's page with sending, acceptance and the
invoice, the invoice's page with a payment and a credit note, the rates, the list of
quotes and the patient's page section."""

from __future__ import annotations

import re

from respira.quotes import service
from tests.quotes.quotes_helpers import days


def _value(html: str, field_id: str) -> str:
    m = re.search(rf'id="{re.escape(field_id)}" name="[^"]*" value="([^"]*)"', html)
    assert m, f"no field {field_id}"
    return m.group(1)


def _fields(html: str, form_id: str) -> dict[str, str]:
    """The named inputs, selects and textareas of a form, with their values."""
    form = html[html.index(f'id="{form_id}"') :]
    form = form[: form.index("</form>")]
    out = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        out[name] = value
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', m.group(2))
        out[m.group(1)] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        out[name] = value
    out.pop("csrf_token", None)
    return out


def test_a_new_price_list_version_starts_from_the_newest_and_errors_stand_by_the_field(
    office, page_as
):
    admin = page_as("admin")
    form = admin.get("/price-lists/new")
    assert form.status_code == 200
    fields = _fields(form.text, "price-list-form")
    assert fields["items.0.code"] == "CONS" and fields["items.0.unit_price"] == "250.00"
    fields["items.0.unit_price"] = "250.005"
    fields["items.3.description"] = ""  # a row without its description
    refused = admin.post_form("/price-lists", fields)
    assert refused.status_code == 422 and 'id="e-items.3.description"' in refused.text
    fields["items.3.description"] = "Blood count, IgE and eosinophils"
    refused = admin.post_form("/price-lists", fields)  # the currency's decimals, next
    assert 'id="e-items.0.unit_price"' in refused.text and "EUR has 2 decimals" in refused.text
    fields["items.0.unit_price"] = "260.00"
    saved = admin.post_form("/price-lists", fields, follow_redirects=False)
    assert saved.status_code == 303
    page = admin.get(saved.headers["location"])
    assert "The new version was saved" in page.text and "260.00" in page.text
    with office.db.session() as s:
        versions = service.list_price_lists(s, office.admin.actor)
    assert [v.version for v in versions] == [office.prices.version + 1, office.prices.version]
    assert page_as("coordinator").get("/price-lists/new").status_code == 403


def test_the_coordinator_builds_a_quote_from_the_course_and_takes_it_to_an_invoice(
    course_office, page_as
):
    office = course_office
    pid, course = office.course_patient()
    coordinator = page_as("coordinator")
    patient_page = coordinator.get(f"/patients/{pid}")
    assert f'id="quote-from-course-{course.id}"' in patient_page.text
    builder = coordinator.get(f"/patients/{pid}/quotes/new?course_id={course.id}")
    assert builder.status_code == 200
    assert _value(builder.text, "f-qty.CELLS-CORD-1") == "2"
    assert _value(builder.text, "f-qty.ROOM-STD") == "7"
    fields = _fields(builder.text, "quote-form")
    fields.update({"severity": "moderate", "qty.INTERP": "abc", "qty.TRANSFER": "2"})
    refused = coordinator.post_form(f"/patients/{pid}/quotes", fields)
    assert refused.status_code == 422 and 'id="e-qty.INTERP"' in refused.text
    fields["qty.INTERP"] = "2"
    made = coordinator.post_form(f"/patients/{pid}/quotes", fields, follow_redirects=False)
    assert made.status_code == 303, made.text
    quote_url = made.headers["location"].split("?")[0]
    page = coordinator.get(made.headers["location"])
    assert "The quote was made as a draft" in page.text
    assert 'data-state="draft"' in page.text and "INTERP" in page.text
    qid = int(quote_url.rsplit("/", 1)[1])
    sent = coordinator.post_form(f"/quotes/{qid}/send", {}, follow_redirects=False)
    assert sent.status_code == 303
    assert coordinator.post_form(f"/quotes/{qid}/accept", {"how": ""}).status_code == 422
    accepted = coordinator.post_form(
        f"/quotes/{qid}/accept",
        {"how": "signed_paper", "note": "in the file"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    page = coordinator.get(f"/quotes/{qid}")
    assert 'data-state="accepted"' in page.text and "signed on paper" in page.text
    issued = coordinator.post_form(f"/quotes/{qid}/invoice", {}, follow_redirects=False)
    assert issued.status_code == 303
    invoice_url = issued.headers["location"].split("?")[0]
    invoice = coordinator.get(issued.headers["location"])
    assert "The invoice was issued" in invoice.text and "INV-" in invoice.text
    iid = invoice_url.rsplit("/", 1)[1]
    too_much = coordinator.post_form(
        f"/invoices/{iid}/payments",
        {"amount": "99999.00", "paid_on": days(0).isoformat(), "method": "card"},
    )
    assert too_much.status_code == 422 and 'id="e-amount"' in too_much.text
    paid = coordinator.post_form(
        f"/invoices/{iid}/payments",
        {
            "amount": "1000.00",
            "paid_on": days(0).isoformat(),
            "method": "bank_transfer",
            "reference": "SWIFT 123",
        },
        follow_redirects=False,
    )
    assert paid.status_code == 303
    credited = coordinator.post_form(
        f"/invoices/{iid}/credit-notes", {"credit_amount": "", "credit_reason": "x"}
    )
    assert credited.status_code == 422 and 'id="e-credit_amount"' in credited.text
    credited = coordinator.post_form(
        f"/invoices/{iid}/credit-notes",
        {"credit_amount": "90.00", "credit_reason": "a transfer was not needed"},
        follow_redirects=False,
    )
    assert credited.status_code == 303
    final = coordinator.get(f"/invoices/{iid}")
    assert "SWIFT 123" in final.text and "CN-" in final.text
    with office.db.session() as s:
        out = service.get_invoice(s, office.coordinator.actor, int(iid))
    assert out.paid == "1000.00" and out.credited == "90.00"


def test_a_provisional_plan_proposes_its_lines_in_the_builder(office, page_as):
    pid = office.patient()
    coordinator = page_as("coordinator")
    builder = coordinator.get(
        f"/patients/{pid}/quotes/new?plan.source=allogeneic_cord&plan.infusions=2"
        "&plan.dose_million_cells_per_kg=1.0&plan.nebulisations=1&plan.stay_days=6"
        "&plan.supporting.physiotherapy=4&room_type=comfort"
    )
    assert builder.status_code == 200
    assert _value(builder.text, "f-qty.CELLS-CORD-1") == "2"
    assert _value(builder.text, "f-qty.ROOM-COMFORT") == "6"
    assert _value(builder.text, "f-qty.SUP-PHYSIO") == "4"
    fields = _fields(builder.text, "quote-form")
    fields["severity"] = "mild"
    made = coordinator.post_form(f"/patients/{pid}/quotes", fields, follow_redirects=False)
    assert made.status_code == 303
    with office.db.session() as s:
        (quote,) = service.list_quotes(s, office.coordinator.actor, pid)
    assert quote.basis == "provisional" and quote.room_type == "comfort"
    assert quote.plan["stay_days"] == 6
    bad = coordinator.get(
        f"/patients/{pid}/quotes/new?plan.source=allogeneic_cord&plan.infusions=0"
    )
    assert bad.status_code == 200 and 'id="e-plan.infusions"' in bad.text


def test_the_quote_page_shows_the_total_in_another_currency_at_a_stored_rate(office, page_as):
    admin = page_as("admin")
    saved = admin.post_form(
        "/currency-rates",
        {
            "from_currency": "EUR",
            "to_currency": "USD",
            "rate": "1.1",
            "on_date": days(0).isoformat(),
            "source": "reference rate",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    q = office.quote(office.patient(), lines=[{"code": "CONS", "quantity": "1"}])
    page = page_as("physician").get(f"/quotes/{q.id}?show=USD")
    assert page.status_code == 200 and "$275.00" in page.text and "reference rate" in page.text
    assert 'id="send"' not in page.text  # physicians read
    no_rate = page_as("coordinator").get(f"/quotes/{q.id}?show=CHF")
    assert "No rate to CHF" in no_rate.text


def test_the_list_of_quotes_filters_by_state_and_reissue_supersedes(office, page_as):
    q = office.quote(office.patient())
    office.send(q.id)
    coordinator = page_as("coordinator")
    listing = coordinator.get("/quotes?state=sent")
    assert q.reference in listing.text
    assert q.reference not in coordinator.get("/quotes?state=draft").text
    form = coordinator.get(f"/quotes/{q.id}/reissue")
    assert form.status_code == 200 and _value(form.text, "f-qty.CONS") == "1"
    fields = _fields(form.text, "quote-form")
    fields["qty.CONS"] = "3"
    made = coordinator.post_form(f"/quotes/{q.id}/reissue", fields, follow_redirects=False)
    assert made.status_code == 303
    newer = coordinator.get(made.headers["location"])
    assert "version 2" in newer.text and "750.00" in newer.text
    older = coordinator.get(f"/quotes/{q.id}")
    assert 'data-state="superseded"' in older.text and 'id="newer-version"' in older.text
    again = coordinator.post_form(f"/quotes/{q.id}/reissue", fields)
    assert again.status_code == 409
