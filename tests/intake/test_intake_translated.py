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
