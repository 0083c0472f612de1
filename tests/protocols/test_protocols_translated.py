"""The protocol pages in German and Russian: the course page, the patient's "Treatment
courses" section, the course form and the programme limits in the reader's language."""

from __future__ import annotations

import pytest

from tests.protocols.helpers import course_body
from tests.translated import page_in

EXPECTED = {
    "de": {
        "course": ["Zyklus 1, Version 1", "Entwurf", "Zellquelle", "Zyklus freigeben", "Tag 1"],
        "form": ["Zellen und Aufenthalt", "Begleittherapien", "Physiotherapie"],
        "limits": ["Programmgrenzen", "Niedrigste Dosis je IV-Infusion"],
    },
    "ru": {
        "course": ["Курс 1, версия 1", "Черновик", "Источник клеток", "Утвердить курс", "День 1"],
        "form": ["Клетки и пребывание", "Сопутствующие процедуры", "Физиотерапия"],
        "limits": ["Ограничения программы", "Наименьшая доза на одну в/в инфузию"],
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_course_form_and_limits_pages_in_the_readers_language(page_as, eligible, doc, lang):
    pid = eligible()
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    assert r.status_code == 201, r.text
    course_id = r.json()["id"]
    physician = page_as("physician")
    course = page_in(physician, f"/courses/{course_id}", lang, EXPECTED[lang]["course"])
    assert "Approve the course" not in course.text
    # The signature's meaning is posted in English whatever the language.
    assert 'name="meaning" value="approved protocol"' in course.text
    page_in(physician, f"/patients/{pid}/courses/new", lang, EXPECTED[lang]["form"])
    page_in(page_as("admin"), "/programme-limits", lang, EXPECTED[lang]["limits"])
