"""The logistics staff forms in German and Russian (issue 14): what an item still lacks
before it is done is named in words, a details form's input errors are sentences for
people (never Pydantic's text), and the booking form's refusal is translated; the API
keeps its English."""

from __future__ import annotations

from typing import Any

import pytest

from respira.logistics import service
from tests.intake.test_intake_public_form import error_beside
from tests.logistics.logistics_helpers import days
from tests.translated import page_in

MISSING = {
    "de": ["Es fehlt noch:", "Fahrer der Abholung, Fahrzeug der Abholung"],
    "ru": ["Ещё не хватает:", "водитель для встречи, автомобиль для встречи"],
}
CANNOT = {
    "de": "der Punkt kann nicht erledigt werden ohne: Fahrzeug der Abholung, "
    "Abholung vom Fahrer bestätigt",
    "ru": "пункт нельзя отметить выполненным без следующего: автомобиль для встречи, "
    "встреча подтверждена водителем",
}
NUMBER = {
    "de": "Geben Sie eine ganze Zahl ein, zum Beispiel 3.",
    "ru": "Введите целое число, например 3.",
}


def _item(desk: Any, kind: str) -> tuple[Any, str]:
    """The checklist item of ``kind`` of a newly booked stay, and its page's path."""
    stay = desk.book(desk.patient())
    item = desk.items(stay.id)[kind]
    return item, f"/logistics/stays/{stay.id}/items/{item.id}"


def test_every_detail_needed_for_done_has_its_words():
    for kind, paths in service.NEEDED_FOR_DONE.items():
        for path in paths:
            # The words are the path's own, as the API's refusal has always named it.
            assert service.NEEDED_WORDS[path] == path.replace(".", " ").replace("_", " "), kind


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_an_items_missing_details_and_refusals_in_the_readers_language(page_as, desk, lang):
    coordinator = page_as("coordinator")
    item, path = _item(desk, "airport_pickup")
    page = page_in(coordinator, path, lang, MISSING[lang])
    assert "pickup.driver, pickup.vehicle" not in page.text
    refused = coordinator.post_form(
        f"{path}?lang={lang}",
        {"version": str(item.version), "state": "done", "pickup.driver": "Jonas Weber"},
        csrf_from=path,
    )
    assert refused.status_code == 422
    assert error_beside(refused.text, "state").startswith(CANNOT[lang])
    assert "cannot be done without" not in refused.text


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_a_details_form_error_is_a_sentence_in_the_readers_language(page_as, desk, lang):
    coordinator = page_as("coordinator")
    item, path = _item(desk, "accommodation")
    refused = coordinator.post_form(
        f"{path}?lang={lang}",
        {"version": str(item.version), "state": "in_progress", "nights": "many"},
        csrf_from=path,
    )
    assert refused.status_code == 422
    assert error_beside(refused.text, "nights") == NUMBER[lang]
    assert "Input should" not in refused.text


def test_the_api_keeps_pydantics_english_for_the_details(desk, api_as):
    stay = desk.book(desk.patient())
    item = desk.items(stay.id)["accommodation"]
    r = api_as("coordinator").patch(
        f"/api/v1/stays/{stay.id}/checklist/{item.id}",
        json={"details": {"nights": "many"}},
        headers={"If-Match": f'"{item.version}"'},
    )
    assert r.status_code == 422, r.text
    assert "Input should be a valid integer" in r.text


BOOKING = {
    "de": "geben Sie das Anreise- und das Abreisedatum an oder wählen Sie den Behandlungszyklus",
    "ru": "укажите даты приезда и отъезда или выберите курс лечения",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_booking_forms_refusal_in_the_readers_language(page_as, desk, lang):
    pid = desk.patient()
    coordinator = page_as("coordinator")
    url = f"/logistics/patients/{pid}/stays/new"
    refused = coordinator.post_form(
        f"/logistics/patients/{pid}/stays?lang={lang}",
        {"arrival_date": str(days(4)), "departure_date": "", "room_type": "single"},
        csrf_from=url,
    )
    assert refused.status_code == 422
    assert error_beside(refused.text, "departure_date") == BOOKING[lang]
