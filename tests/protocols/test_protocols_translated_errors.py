"""What the protocol pages say in German and Russian beyond their labels (issue 14): why
no course can be planned, the course form's input errors as sentences for people (never
Pydantic's text), the harvests offered, and the programme default's note; the API keeps
its English."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from respira.kit.validation import today_utc
from tests.intake.test_intake_public_form import error_beside
from tests.protocols.helpers import course_body, make_harvest
from tests.protocols.test_protocols_pages import form_of
from tests.translated import page_in

NOT_SIGNED = {
    "de": ["Es kann kein Zyklus geplant werden", "ist nicht unterzeichnet", "(geeignet)"],
    "ru": ["Курс нельзя запланировать", "не подписан", "(соответствует критериям)"],
}
NO_SCREENING = {
    "de": "für den Patienten liegt kein Screening vor",
    "ru": "у пациента нет скрининга",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_why_no_course_can_be_planned_is_in_the_readers_language(
    page_as, screened, make_patient, lang
):
    physician = page_as("physician")
    unsigned = screened(meaning=None)
    expected = NOT_SIGNED[lang]
    page = page_in(physician, f"/patients/{unsigned}", lang, expected)
    assert "is not signed" not in page.text
    form = page_in(physician, f"/patients/{unsigned}/courses/new", lang, expected)
    assert "a course needs a signed screening" not in form.text
    never = make_patient(first_name="Nie", email="nie@mail.example")
    page = page_in(physician, f"/patients/{never}", lang, [NO_SCREENING[lang]])
    assert "the patient has no screening" not in page.text
    # The English page and the API say it as before, word for word.
    english = physician.get(f"/patients/{never}").text
    assert (
        "the patient has no screening: a course needs a signed screening that decided eligible"
        in english
    )


def test_the_api_refusal_keeps_its_english(screened, doc):
    pid = screened(meaning=None)
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    assert r.status_code == 409
    assert "no course can be planned: screening" in r.text
    assert "(eligible) is not signed: a course needs a signed screening" in r.text


DOSE = "infusions.0.dose_million_cells_per_kg"
FORM_ERRORS = {
    "de": {
        "start_date": "Geben Sie ein vollständiges Datum ein, zum Beispiel 1980-03-14.",
        DOSE: "Geben Sie eine Zahl ein, zum Beispiel 72 oder 1,5.",
        "source": "Wählen Sie eine der angebotenen Möglichkeiten.",
    },
    "ru": {
        "start_date": "Введите полную дату, например 1980-03-14.",
        DOSE: "Введите число, например 72 или 1,5.",
        "source": "Выберите один из предложенных вариантов.",
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_course_form_errors_are_sentences_in_the_readers_language(page_as, eligible, lang):
    pid = eligible()
    data = form_of(course_body())
    data["start_date"] = "2026-13"
    data[DOSE] = "lots"
    data["source"] = "mystery"
    url = f"/patients/{pid}/courses/new"
    r = page_as("physician").post_form(f"/patients/{pid}/courses?lang={lang}", data, csrf_from=url)
    assert r.status_code == 422
    for field, sentence in FORM_ERRORS[lang].items():
        assert error_beside(r.text, re.escape(field)) == sentence
    for pydantic in ("Input should", "valid date", "valid number", "autologous_bone_marrow'"):
        assert pydantic not in r.text


HARVEST = {"de": "Entnahme %s · Fettgewebe · %s", "ru": "Забор материала %s · жировая ткань · %s"}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_harvests_offered_are_named_in_the_readers_language(page_as, eligible, db, lang):
    pid = eligible()
    harvested = today_utc() - dt.timedelta(days=3)
    hid = make_harvest(db, pid, "adipose", harvested)
    page = page_in(
        page_as("physician"),
        f"/patients/{pid}/courses/new",
        lang,
        [HARVEST[lang] % (hid, harvested.isoformat())],
    )
    assert f"Harvest {hid} · adipose tissue" not in page.text


DEFAULT_NOTE = {
    "de": ["Programmvorgabe: 0,5–3,0 ×10^6 Zellen/kg", "Respira (Programmvorgabe)"],
    "ru": ["Значения программы по умолчанию: 0,5–3,0", "Respira (значения программы по умолчанию)"],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_programme_default_note_is_in_the_readers_language(page_as, lang):
    page = page_in(page_as("admin"), "/programme-limits", lang, DEFAULT_NOTE[lang])
    assert "Programme default:" not in page.text
    assert "Respira (programme default)" not in page.text
