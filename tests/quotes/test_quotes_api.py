"""The JSON contract of issue 9: price lists (admin), a patient's quotes with their
lines, total and validity, acceptance, invoices; money as decimal strings in the
currency's minor units, a price with more decimals than its currency refused with 422
naming the field, a binary float refused."""

from __future__ import annotations

from decimal import Decimal

from tests.quotes.quotes_helpers import days, price_list_json


def _list_body(**changes):
    body = {
        "currency": "EUR",
        "valid_from": days(-1).isoformat(),
        "valid_until": days(90).isoformat(),
        "items": [
            {"code": "CONS", "description": "Consultation", "unit_price": "2333.33"},
            {
                "code": "NIGHT",
                "description": "Night",
                "unit_price": "140.00",
                "unit": "night",
                "category": "stay_night",
                "applies_to": "standard",
            },
        ],
        "severity_factors": {"mild": "1.00", "moderate": "1.10", "severe": "1.25"},
        "comorbidity_surcharge_pct": "10",
    }
    body.update(changes)
    return body


def test_an_admin_saves_a_price_list_and_gets_its_version(api_as):
    admin = api_as("admin")
    r = admin.post("/api/v1/price-lists", json=_list_body())
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["version"] == 1 and out["currency"] == "EUR" and out["in_force"]
    assert out["items"][0]["unit_price"] == "2333.33"
    assert out["comorbidity_surcharge_pct"]["renal"] == "10"
    assert r.headers["location"] == f"/api/v1/price-lists/{out['id']}"
    second = admin.post("/api/v1/price-lists", json=_list_body()).json()
    assert second["version"] == 2
    assert admin.get(f"/api/v1/price-lists/{out['id']}").json()["version"] == 1


def test_a_price_with_too_many_decimals_or_as_a_float_is_refused_naming_the_field(api_as):
    admin = api_as("admin")
    body = _list_body()
    body["items"][0]["unit_price"] = "2333.333"
    r = admin.post("/api/v1/price-lists", json=body)
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["items.0.unit_price"]
    yen = _list_body(currency="JPY")
    yen["items"][1]["unit_price"] = "140.5"
    yen["items"][0]["unit_price"] = "333333"
    r = admin.post("/api/v1/price-lists", json=yen)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "items.1.unit_price"
    floaty = _list_body()
    floaty["items"][0]["unit_price"] = 2333.33
    r = admin.post("/api/v1/price-lists", json=floaty)
    assert r.status_code == 422 and "decimal string" in r.text
    assert api_as("coordinator").post("/api/v1/price-lists", json=_list_body()).status_code == 403


def test_a_quote_answers_its_lines_total_and_validity_as_the_contract_says(api_as, make_patient):
    api_as("admin").post("/api/v1/price-lists", json=_list_body())
    coordinator = api_as("coordinator")
    pid = make_patient(email="q@mail.example")
    r = coordinator.post(
        f"/api/v1/patients/{pid}/quotes",
        json={
            "lines": [{"code": "CONS", "quantity": "1"}, {"code": "NIGHT", "quantity": 3}],
            "severity": "moderate",
            "comorbidities": ["renal"],
        },
    )
    assert r.status_code == 201, r.text
    q = r.json()
    assert {"id", "version", "currency", "lines", "total", "valid_until"} <= set(q)
    assert q["currency"] == "EUR" and q["version"] == 1
    assert q["valid_until"] == days(30).isoformat()
    cons, night, severity, renal = q["lines"]
    assert {k: cons[k] for k in ("code", "description", "quantity", "unit_price", "amount")} == {
        "code": "CONS",
        "description": "Consultation",
        "quantity": "1",
        "unit_price": "2333.33",
        "amount": "2333.33",
    }
    assert cons["price_list_version"] == 1
    assert night["amount"] == "420.00"
    assert severity["amount"] == "233.33"  # 233.333 half up
    assert renal["amount"] == "233.33"
    assert q["total"] == "3219.99" == str(sum(Decimal(x["amount"]) for x in q["lines"]))
    assert coordinator.get(f"/api/v1/patients/{pid}/quotes").json()[0]["id"] == q["id"]
    pdf = coordinator.get(f"/api/v1/quotes/{q['id']}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"


def test_accept_and_invoice_through_the_api(api_as, make_patient):
    api_as("admin").post("/api/v1/price-lists", json=price_list_json())
    coordinator = api_as("coordinator")
    pid = make_patient(email="q@mail.example")
    q = coordinator.post(
        f"/api/v1/patients/{pid}/quotes",
        json={"lines": [{"code": "CONS", "quantity": "1"}], "severity": "mild"},
    ).json()
    early = coordinator.post(f"/api/v1/quotes/{q['id']}/accept", json={"how": "email"})
    assert early.status_code == 409 and "not been sent" in early.json()["detail"]
    assert coordinator.post(f"/api/v1/quotes/{q['id']}/send").json()["status"] == "sent"
    accepted = coordinator.post(f"/api/v1/quotes/{q['id']}/accept", json={"how": "signed_paper"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    invoice = coordinator.post(f"/api/v1/quotes/{q['id']}/invoice")
    assert invoice.status_code == 201
    number = invoice.json()["number"]
    assert number.startswith("INV-") and number[-6:].isdigit()
    again = coordinator.post(f"/api/v1/quotes/{q['id']}/invoice")
    assert again.status_code == 409
    iid = invoice.json()["id"]
    paid = coordinator.post(
        f"/api/v1/invoices/{iid}/payments",
        json={"amount": "100.00", "paid_on": days(0).isoformat(), "method": "card"},
    )
    assert paid.status_code == 201
    assert coordinator.get(f"/api/v1/invoices/{iid}").json()["balance"] == "150.00"
    credit = coordinator.post(
        f"/api/v1/invoices/{iid}/credit-notes", json={"amount": "50.00", "reason": "goodwill"}
    )
    assert credit.status_code == 201 and credit.json()["number"].startswith("CN-")
    physician = api_as("physician")
    assert physician.get(f"/api/v1/invoices/{iid}").status_code == 200
    assert physician.post(f"/api/v1/quotes/{q['id']}/send").status_code == 403
    assert api_as("nurse").get(f"/api/v1/quotes/{q['id']}").status_code == 403


def test_rates_show_an_amount_in_another_currency(api_as, db):
    admin = api_as("admin")
    r = admin.post(
        "/api/v1/currency-rates",
        json={
            "from_currency": "EUR",
            "to_currency": "USD",
            "rate": "1.0850",
            "on_date": days(0).isoformat(),
            "source": "test",
        },
    )
    assert r.status_code == 201 and r.json()["rate"] == "1.085"
    bad = admin.post(
        "/api/v1/currency-rates",
        json={
            "from_currency": "EUR",
            "to_currency": "EUR",
            "rate": "1",
            "on_date": days(0).isoformat(),
            "source": "test",
        },
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "to_currency"
    from respira.kit.actors import Actor
    from respira.quotes import service

    with db.session() as s:
        shown = service.converted(s, Actor.system(), "1000.00", "EUR", "USD", days(0))
        back = service.converted(s, Actor.system(), "1085.00", "USD", "EUR", days(0))
        yen = service.converted(s, Actor.system(), "1000.00", "EUR", "JPY", days(0))
    assert shown.amount == "1085.00" and shown.rate == "1.085"
    assert back.amount == "1000.00"
    assert yen is None
