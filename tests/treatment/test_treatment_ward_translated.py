"""The ward's and the administrations' pages in German and Russian (issue 14): the dose
and the number of cells in the reader's words and number format, the vital signs with
the reader's decimal comma, the ward board's error line (a form that does not parse, a
service's refusal) and the administration form's errors in the reader's language, and a
bedside check's entry in a unit's chain of identity written from the check."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from respira.kit.i18n import fmt_number
from tests.translated import page_in
from tests.treatment.test_treatment_api import administration, scan
from tests.treatment.treatment_helpers import clinic_input

DOSE = {
    "de": ["IV-Infusion, Tag 1", "1 ×10⁶ Zellen/kg", "Zellen)"],
    "ru": ["в/в инфузия, день 1", "1 ×10⁶ клеток/кг", "клеток)"],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_ward_board_writes_the_dose_in_the_readers_words_and_numbers(page_as, ready, lang):
    board = page_in(page_as("nurse"), "/ward", lang, DOSE[lang])
    cells = fmt_number(70_000_000, lang, 0)  # 1 ×10⁶ cells/kg of a 70 kg patient
    assert f"({cells} " in html.unescape(board.text), board.text
    assert "cells/kg" not in board.text and "70,000,000" not in board.text


def _error_line(answer: Any) -> str:
    """The error line that a ward board button sends the nurse back to the board with."""
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return query["error"][0]


REFUSALS = {
    "de": {
        "no_reason": "Begründung: geben Sie an, warum die Sitzung ausgelassen wurde",
        "other_course": "dieser Patient hat keinen solchen Behandlungszyklus",
        "not_a_time": "Aufgenommen um: Geben Sie Datum und Uhrzeit ein, zum Beispiel",
        "twice": "der Patient wurde aus dieser Aufnahme bereits entlassen",
    },
    "ru": {
        "no_reason": "Причина: укажите, почему сеанс пропущен",
        "other_course": "у этого пациента нет такого курса лечения",
        "not_a_time": "Время поступления: Введите дату и время, например",
        "twice": "пациент уже выписан по этой госпитализации",
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_ward_boards_error_line_is_in_the_readers_language(page_as, ready, lang):
    nurse = page_as("nurse")
    words = REFUSALS[lang]
    day = ready.course.start_date.isoformat()

    def press(path: str, data: dict[str, Any]) -> str:
        answer = nurse.post_form(
            f"{path}?lang={lang}", {"day": day, **data}, csrf_from="/ward", follow_redirects=False
        )
        return _error_line(answer)

    session = {"course_id": ready.course.id, "modality": "physiotherapy", "day": day}
    assert press("/ward/supporting-sessions", {**session, "done": "false"}) == words["no_reason"]
    admissions = f"/patients/{ready.pid}/admissions"
    admitted_at = clinic_input(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    refused = press(admissions, {"course_id": 999_999, "admitted_at": admitted_at})
    assert refused == words["other_course"]
    assert press(admissions, {"course_id": ready.course.id, "admitted_at": "soon"}).startswith(
        words["not_a_time"]
    )
    # The same refusal answers the API in English, as before.
    admitted = nurse.post_form(
        admissions,
        {"day": day, "course_id": ready.course.id, "admitted_at": admitted_at},
        csrf_from="/ward",
        follow_redirects=False,
    )
    assert "error" not in admitted.headers["location"], admitted.headers["location"]
    board = nurse.get(f"/ward?day={day}")
    admission_id = board.text.split('action="/admissions/')[1].split("/")[0]
    discharge = f"/admissions/{admission_id}/discharge"
    discharged = nurse.post_form(discharge, {"day": day}, csrf_from="/ward")
    assert discharged.status_code == 200 and "error=" not in str(discharged.url)
    assert press(discharge, {}) == words["twice"]


def test_a_refusal_on_the_ward_board_stays_english_in_the_api(nurse_api, ready):
    body = {"course_id": 999_999, "admitted_at": dt.datetime.now(dt.UTC).isoformat()}
    r = nurse_api.post(f"/api/v1/patients/{ready.pid}/admissions", json=body)
    assert r.status_code == 422, r.text
    assert "no such course of this patient" in r.text


VITALS = {
    "de": ["Temperatur 36,8 °C", "Temperatur 37,4 °C", "Infusionsrate"],
    "ru": ["Температура 36,8 °C", "Температура 37,4 °C", "Скорость инфузии"],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_administrations_page_writes_the_vital_signs_in_the_readers_numbers(
    page_as, nurse_api, ready, clinic, lang
):
    assert scan(nurse_api, ready.mrn, ready.din).json()["ok"]
    r = nurse_api.post("/api/v1/administrations", json=administration(ready, clinic.witness.email))
    assert r.status_code == 201, r.text
    page = page_in(page_as("nurse"), f"/administrations/{r.json()['id']}", lang, VITALS[lang])
    assert "36.8" not in page.text and "37.4" not in page.text


FORM = {
    "de": [
        "Patient oder Zyklus: Geben Sie eine ganze Zahl ein, zum Beispiel 3.",
        "Temperatur 43,5 °C ist nicht plausibel: Der Wert muss zwischen 30 und 43 °C liegen",
        "Infusionsrate",
    ],
    "ru": [
        "Пациент или курс: Введите целое число, например 3.",
        "Температура 43,5 °C — неправдоподобное значение: оно должно быть от 30 до 43 °C",
        "Скорость инфузии",
    ],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_administration_forms_errors_are_in_the_readers_language(page_as, ready, lang):
    nurse = page_as("nurse")
    answer = nurse.post_form(
        f"/ward/administrations?lang={lang}",
        {
            "din": ready.din,
            "patient_id": "",
            "course_id": "",
            "route": "iv",
            "before-temperature_c": "43.5",
        },
        csrf_from="/ward/administrations/new",
    )
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    missing = [words for words in FORM[lang] if words not in text]
    assert not missing, text
    assert "Enter a whole number" not in text and "is not plausible" not in text


CHAIN = {
    "de": [
        "Prüfung am Krankenbett %s: GO für Patient %s",
        "Prüfung am Krankenbett %s: NO-GO für Patient %s: "
        "kein Patient hat den Armbandcode 'RSP-0000000-0'; bitte erneut scannen",
    ],
    "ru": [
        "проверка у постели пациента %s: GO для пациента %s",
        "проверка у постели пациента %s: NO-GO для пациента %s: "
        "ни у одного пациента нет кода браслета 'RSP-0000000-0'; отсканируйте ещё раз",
    ],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_chain_of_identity_writes_the_bedside_checks_in_the_readers_language(
    page_as, nurse_api, ready, lang
):
    go = scan(nurse_api, ready.mrn, ready.din).json()
    no_go = scan(nurse_api, "RSP-0000000-0", ready.din).json()
    assert go["ok"] and not no_go["ok"]
    chain_api = nurse_api.get(f"/api/v1/units/{ready.din}/chain").json()
    stored = [e["detail"] for e in chain_api["events"] if e["kind"] == "bedside_check"]
    assert f"bedside check {go['id']}: GO for patient {ready.mrn}" in stored  # kept in English
    chain = page_as("nurse").get(f"/patients/{ready.pid}/chain-of-identity?lang={lang}")
    assert chain.status_code == 200
    text = html.unescape(chain.text)
    expected = [
        CHAIN[lang][0] % (go["id"], ready.mrn),
        CHAIN[lang][1] % (no_go["id"], "RSP-0000000-0"),
    ]
    missing = [words for words in expected if words not in text]
    assert not missing, text
    assert "GO for patient" not in text
