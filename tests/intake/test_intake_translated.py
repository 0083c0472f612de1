"""The staff's triage pages in German and Russian: the queue, a request and its
conversion into a patient in the reader's language."""

from __future__ import annotations

import pytest

from tests.intake.helpers import make_request
from tests.translated import page_in

EXPECTED = {
    "de": {
        "queue": ["Beratungsanfragen", "1 Anfrage, neueste zuerst.", "Eingegangen", "Neu"],
        "detail": ["Bevorzugte Kontaktzeit", "In Patienten umwandeln", "Als kontaktiert markieren",
                   "Notizen der Koordination", "über das Webformular"],
        "convert": ["In einen Patienten umwandeln", "Kontakt (aus der Anfrage)",
                    "Patient anlegen und Anfrage verknüpfen"],
    },
    "ru": {
        "queue": ["Заявки на консультацию", "Заявок: 1, сначала новые.", "Получена", "Новая"],
        "detail": ["Удобное время для связи", "Перевести в пациенты", "Отметить: связались",
                   "Заметки координатора", "через веб-форму"],
        "convert": ["Перевести заявку", "Контакты (из заявки)",
                    "Создать пациента и связать с заявкой"],
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_queue_request_and_conversion_in_the_readers_language(page_as, db, lang):
    rid = make_request(db)
    c = page_as("coordinator")
    queue = page_in(c, "/consultation-requests", lang, EXPECTED[lang]["queue"])
    assert "newest first" not in queue.text
    detail = page_in(c, f"/consultation-requests/{rid}", lang, EXPECTED[lang]["detail"])
    assert "Coordinator notes" not in detail.text and "Mark as contacted" not in detail.text
    page_in(c, f"/consultation-requests/{rid}/convert", lang, EXPECTED[lang]["convert"])


API = "/api/v1/consultation-requests"
FINAL = {
    "en": "a declined request cannot become contacted (it is final)",
    "de": "eine Anfrage mit dem Status „abgelehnt“ kann nicht „kontaktiert“ werden "
    "(der Status ist endgültig)",
    "ru": "заявка со статусом «отклонена» не может получить статус «связались» "
    "(статус окончательный)",
}
NOT_CONVERTIBLE = {
    "de": "aus einer Anfrage mit dem Status „abgelehnt“ kann kein Patient angelegt werden",
    "ru": "из заявки со статусом «отклонена» нельзя создать пациента",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_a_refusal_of_the_service_reads_in_the_readers_language_on_the_page(
    api_as, page_as, db, lang
):
    rid = make_request(db)
    api = api_as("coordinator")
    declined = {"status": "declined", "decline_reason": "duplicate"}
    assert api.patch(f"{API}/{rid}", json=declined, headers={"If-Match": '"1"'}).status_code == 200
    page = page_as("coordinator")
    r = page.post_form(
        f"/consultation-requests/{rid}/status?lang={lang}",
        {"status": "contacted", "version": "2"},
        csrf_from=f"/consultation-requests/{rid}",
    )
    assert r.status_code == 409 and FINAL[lang] in r.text and FINAL["en"] not in r.text
    r = page.get(f"/consultation-requests/{rid}/convert?lang={lang}")
    assert r.status_code == 409 and NOT_CONVERTIBLE[lang] in r.text
    # The JSON API answers the same refusal in English, as its clients expect.
    r = api.patch(f"{API}/{rid}", json={"status": "contacted"}, headers={"If-Match": '"2"'})
    assert r.status_code == 409 and r.json() == {"detail": FINAL["en"]}
