"""The diagnostics section of the patient's page, the new-visit form and the visit page
in German and Russian. (The visit page's markers and questionnaire records are not
translated yet beyond their headings.)"""

from __future__ import annotations

import pytest

from tests.translated import page_in

EXPECTED = {
    "de": {
        "patient": ["Diagnostische Termine", "Neuer Termin", "FEV1 vor BD", "Phänotyp"],
        "new": ["Neuer diagnostischer Termin", "Termindatum", "Termin anlegen"],
        "visit": ["Wichtigste Befunde", "Spirometrie und Bronchodilatationstest",
                  "Spirometrie-Messung hinzufügen", "Fragebögen zur Asthmakontrolle"],
    },
    "ru": {
        "patient": ["Диагностические визиты", "Новый визит", "ОФВ1 до БД", "Фенотип"],
        "new": ["Новый диагностический визит", "Дата визита", "Открыть визит"],
        "visit": ["Основные результаты", "Спирометрия и бронходилатационный тест",
                  "Добавить сеанс спирометрии", "Опросники контроля астмы"],
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_visit_pages_in_the_readers_language(page_as, make_patient, lang):
    pid = make_patient()
    physician = page_as("physician")
    r = physician.post_form(
        f"/patients/{pid}/visits",
        {"visit_date": "2026-11-02"},
        csrf_from=f"/patients/{pid}/visits/new",
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    visit = page_in(physician, r.headers["location"], lang, EXPECTED[lang]["visit"])
    assert "Key findings" not in visit.text
    section = page_in(physician, f"/patients/{pid}", lang, EXPECTED[lang]["patient"])
    assert "Diagnostic visits" not in section.text
    page_in(physician, f"/patients/{pid}/visits/new", lang, EXPECTED[lang]["new"])
