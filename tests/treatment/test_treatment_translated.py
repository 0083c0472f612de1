"""The stay's pages in German and Russian: the ward board (with the items the course has
due) and the bedside check in the reader's language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from respira.kit.clinic_time import clinic_today
from respira.kit.i18n import fmt_date
from tests.translated import in_clinic_zone, page_in

EXPECTED = {
    "de": {
        "ward": ["Stationsübersicht", "Nicht aufgenommen", "Noch nicht", "IV-Infusion, Tag 1"],
        "check": ["Prüfung am Krankenbett", "Code des Patientenarmbands", "DIN der Einheit"],
        "no_go": ["Diese Einheit nicht verabreichen.", "Gründe:"],
    },
    "ru": {
        "ward": ["Доска отделения", "Не госпитализирован", "Ещё нет", "в/в инфузия, день 1"],
        "check": ["Проверка у постели пациента", "Код браслета пациента", "DIN единицы"],
        "no_go": ["Не вводите эту единицу.", "Причины:"],
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_ward_board_and_bedside_check_in_the_readers_language(page_as, ready, lang):
    nurse = page_as("nurse")
    ward = page_in(nurse, "/ward", lang, [ready.mrn, *EXPECTED[lang]["ward"]])
    assert "Not admitted" not in ward.text and "IV infusion, day 1" not in ward.text
    page_in(nurse, "/ward/bedside-check", lang, EXPECTED[lang]["check"])
    answer = nurse.post_form(
        f"/ward/bedside-check?lang={lang}",
        {"patient_code": ready.mrn, "din": ready.spare_din},
        csrf_from="/ward/bedside-check",
    )
    assert "NO-GO" in answer.text
    assert all(text in answer.text for text in EXPECTED[lang]["no_go"]), answer.text


GIVEN = {"en": "given %s by %s", "de": "verabreicht %s von %s", "ru": "введено в %s, %s"}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_ward_board_writes_when_a_unit_was_given_in_the_clinics_time(
    page_as, nurse_api, ready, clinic, request, lang
):
    from tests.treatment.test_treatment_api import administration, scan

    in_clinic_zone(request, "Europe/Moscow")
    assert scan(nurse_api, ready.mrn, ready.din).json()["ok"]
    r = nurse_api.post("/api/v1/administrations", json=administration(ready, clinic.witness.email))
    assert r.status_code == 201, r.text
    started = dt.datetime.fromisoformat(r.json()["started_at"]).replace(tzinfo=dt.UTC)
    moscow = f"{started.astimezone(ZoneInfo('Europe/Moscow')):%H:%M} MSK"
    day = ready.course.start_date.isoformat()  # the board of the infusion's day
    item = nurse_api.get(f"/api/v1/ward?day={day}").json()["patients"][0]["due"][0]
    assert item["day"] == 1 and item["given_by"] and item["given_at"]
    assert item["detail"] == GIVEN["en"] % (moscow, item["given_by"])
    page_in(page_as("nurse"), f"/ward?day={day}", lang, [GIVEN[lang] % (moscow, item["given_by"])])


REASONS = {
    "de": [
        "kein Patient hat den Armbandcode 'RSP-0000000-0'; bitte erneut scannen",
        "die Einheit ist keinem Zyklus dieses Patienten zugeteilt",
        "die Charge wurde zurückgerufen: nicht verabreichen, an das Labor zurückgeben",
        "die Charge ist am %s abgelaufen",
    ],
    "ru": [
        "ни у одного пациента нет кода браслета 'RSP-0000000-0'; отсканируйте ещё раз",
        "единица не распределена на курс этого пациента",
        "партия отозвана: не вводить, верните её в лабораторию",
        "срок годности партии истёк %s",
    ],
}
NOT_RELEASED = {
    "de": "die Charge ist nicht freigegeben (Status: Quarantäne)",
    "ru": "партия не выпущена (статус: карантин)",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_bedside_page_gives_the_no_go_reasons_in_the_readers_language(
    page_as, nurse_api, ready, clinic, lang
):
    from tests.treatment.test_treatment_api import scan

    clinic.recall(ready.spare_din)
    clinic.expire_lot(ready.spare_din)
    expired = fmt_date(clinic_today() - dt.timedelta(days=1), lang)
    nurse = page_as("nurse")
    answer = nurse.post_form(
        f"/ward/bedside-check?lang={lang}",
        {"patient_code": "RSP-0000000-0", "din": ready.spare_din},
        csrf_from="/ward/bedside-check",
    )
    expected = [*REASONS[lang][:3], REASONS[lang][3] % expired]
    missing = [text for text in expected if text.replace("'", "&#39;") not in answer.text]
    assert not missing, answer.text
    # The check keeps its reasons in English, as the API answers them.
    stored = scan(nurse_api, "RSP-0000000-0", ready.spare_din).json()
    assert stored["reasons"][0] == "no patient has the wristband code 'RSP-0000000-0'; scan again"
    assert (
        "the unit is not allocated" not in answer.text and "the lot was recalled" not in answer.text
    )
    (quarantined,) = clinic.lot(units=1, release=False)
    answer = nurse.post_form(
        f"/ward/bedside-check?lang={lang}",
        {"patient_code": ready.mrn, "din": quarantined},
        csrf_from="/ward/bedside-check",
    )
    assert NOT_RELEASED[lang] in answer.text, answer.text
