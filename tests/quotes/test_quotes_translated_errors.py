"""The quotes' staff forms in German and Russian (issue 14): a price list's or a quote's
input errors are sentences for people in the reader's language (never Pydantic's text),
the money rules' refusals too, and the price list's boxes are named by their column;
the API keeps its English."""

from __future__ import annotations

import pytest

from tests.intake.test_intake_public_form import error_beside
from tests.quotes.test_quotes_pages import _fields
from tests.translated import page_in

PRICE_LIST = {
    "de": {
        "items.1.unit_price": "muss ein Betrag mit höchstens 9 Stellen vor dem Dezimalpunkt sein",
        "valid_from": "Geben Sie ein vollständiges Datum ein, zum Beispiel 1980-03-14.",
        "severity_factors.mild": "muss eine Zahl sein, zum Beispiel 1.25",
    },
    "ru": {
        "items.1.unit_price": "должно быть суммой не более чем с 9 цифрами до десятичной точки",
        "valid_from": "Введите полную дату, например 1980-03-14.",
        "severity_factors.mild": "должно быть числом, например 1.25",
    },
}
DECIMALS = {
    "de": "EUR hat 2 Nachkommastellen: 250.005 hat 3",
    "ru": "у EUR знаков после запятой: 2, а в 250.005 — 3",
}
BOX_NAMES = {
    "de": ['aria-label="Code 1"', 'aria-label="Einzelpreis 1"'],
    "ru": ['aria-label="Код 1"', 'aria-label="Цена за единицу 1"'],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_price_list_form_errors_and_box_names_in_the_readers_language(office, page_as, lang):
    admin = page_as("admin")
    form = page_in(admin, "/price-lists/new", lang, BOX_NAMES[lang])
    assert 'aria-label="unit_price 1"' not in form.text
    fields = _fields(form.text, "price-list-form")
    good = dict(fields)
    fields["items.1.unit_price"] = "-5"
    fields["valid_from"] = "2026-1"
    fields["severity_factors.mild"] = "much"
    refused = admin.post_form(f"/price-lists?lang={lang}", fields, csrf_from="/price-lists/new")
    assert refused.status_code == 422
    for field, words in PRICE_LIST[lang].items():
        assert words in error_beside(refused.text, field), field
    for english in ("Input should", "must be", "such as"):
        assert english not in refused.text
    # The currency's decimals are checked once the form parses.
    good["items.0.unit_price"] = "250.005"
    refused = admin.post_form(f"/price-lists?lang={lang}", good, csrf_from="/price-lists/new")
    assert refused.status_code == 422
    assert error_beside(refused.text, "items.0.unit_price") == DECIMALS[lang]
    assert "has 2 decimals" not in refused.text


QUOTE = {
    "de": "ein Kostenvoranschlag braucht mindestens eine Position mit Preis",
    "ru": "в смете должна быть хотя бы одна позиция с ценой",
}
SEVERITY = {
    "de": "geben Sie den Schweregrad an: die Akte enthält keine GINA-Therapiestufe",
    "ru": "укажите степень тяжести: в карте нет ступени терапии по GINA",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_quote_builder_refusals_in_the_readers_language(office, page_as, lang):
    pid = office.patient()
    coordinator = page_as("coordinator")
    url = f"/patients/{pid}/quotes/new"
    builder = coordinator.get(url)
    assert builder.status_code == 200
    fields = {
        k: ("" if k.startswith("qty.") else v)
        for k, v in _fields(builder.text, "quote-form").items()
    }
    fields["severity"] = "moderate"
    refused = coordinator.post_form(f"/patients/{pid}/quotes?lang={lang}", fields, csrf_from=url)
    assert refused.status_code == 422
    assert QUOTE[lang] in refused.text and "a quote needs at least one" not in refused.text
    fields["severity"] = ""
    fields["qty.CONS"] = "1"
    refused = coordinator.post_form(f"/patients/{pid}/quotes?lang={lang}", fields, csrf_from=url)
    assert refused.status_code == 422
    assert SEVERITY[lang] in refused.text and "give the severity" not in refused.text


def test_the_api_keeps_the_english_of_the_money_rules(office, api_as):
    from tests.quotes.quotes_helpers import price_list_json

    body = price_list_json()
    body["items"][0]["unit_price"] = "250.005"
    r = api_as("admin").post("/api/v1/price-lists", json=body)
    assert r.status_code == 422
    assert "EUR has 2 decimals: 250.005 has 3" in r.text
