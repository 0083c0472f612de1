"""The patient registry's staff pages in German and Russian: the list, the patient's
page and the registration form in the reader's language."""

from __future__ import annotations

import pytest

from tests.translated import page_in

EXPECTED = {
    "de": {
        "list": ["Suche nach Name oder Patientennummer", "1 Patient.", "Geboren", "Deutschland"],
        "detail": ["Alter", "Geschlecht bei Geburt", "Packungsjahre", "Angaben bearbeiten"],
        "form": [
            "Patient registrieren",
            "Identität",
            "Körpermaße und Rauchen",
            "Zentimeter, 40–250",
        ],
    },
    "ru": {
        "list": ["Поиск по имени или номеру карты", "Пациентов: 1.", "Дата рождения", "Германия"],
        "detail": ["Возраст", "Пол при рождении", "пачко-лет", "Изменить данные"],
        "form": ["Зарегистрировать пациента", "Личные данные", "Антропометрия и курение"],
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_list_patient_page_and_form_in_the_readers_language(page_as, make_patient, lang):
    pid = make_patient(country="DE", smoking_pack_years=3)
    c = page_as("coordinator")
    listed = page_in(c, "/patients", lang, EXPECTED[lang]["list"])
    assert "Search by name or record number" not in listed.text
    detail = page_in(c, f"/patients/{pid}", lang, EXPECTED[lang]["detail"])
    assert "Edit details" not in detail.text and "pack-years" not in detail.text
    page_in(c, "/patients/new", lang, EXPECTED[lang]["form"])
