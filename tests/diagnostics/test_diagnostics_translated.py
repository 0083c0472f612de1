"""The diagnostics section of the patient's page and the new-visit form in German and
Russian. (The visit page itself is still English apart from its interpretation labels.)"""

from __future__ import annotations

import pytest

from tests.translated import page_in

EXPECTED = {
    "de": {
        "patient": ["Diagnostische Termine", "Neuer Termin", "FEV1 vor BD", "Phänotyp"],
        "new": ["Neuer diagnostischer Termin", "Termindatum", "Termin anlegen"],
    },
    "ru": {
        "patient": ["Диагностические визиты", "Новый визит", "ОФВ1 до БД", "Фенотип"],
        "new": ["Новый диагностический визит", "Дата визита", "Открыть визит"],
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_visits_section_and_new_visit_form_in_the_readers_language(page_as, make_patient, lang):
    pid = make_patient()
    physician = page_as("physician")
    r = physician.post_form(
        f"/patients/{pid}/visits",
        {"visit_date": "2026-11-02"},
        csrf_from=f"/patients/{pid}/visits/new",
    )
    assert r.status_code == 200, r.text
    section = page_in(physician, f"/patients/{pid}", lang, EXPECTED[lang]["patient"])
    assert "Diagnostic visits" not in section.text
    page_in(physician, f"/patients/{pid}/visits/new", lang, EXPECTED[lang]["new"])
