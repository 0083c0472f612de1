"""The visa invitation letter: a PDF on the clinic's letterhead in the patient's language
(Russian and German here, English on request), with the stay's dates written out in that
language, the nights, the patient's name, date of birth, nationality and passport
number once recorded, and the coordinator who signs; read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from respira.logistics import service
from tests.logistics.logistics_helpers import days

ARRIVAL = dt.date(2027, 3, 28)
DEPARTURE = dt.date(2027, 4, 4)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _letter(desk, stay_id, lang=None):
    with desk.db.session() as s:
        return service.visa_letter(s, desk.actor, stay_id, lang)


def test_a_russian_patients_letter_is_in_russian_with_the_dates_written_in_russian(desk):
    pid = desk.patient(
        first_name="Ольга",
        last_name="Смирнова",
        preferred_language="ru",
        date_of_birth="1981-07-09",
    )
    stay = desk.book(pid, ARRIVAL, DEPARTURE, companion=True)
    desk.update(
        stay.id,
        "travel_documents",
        details={"passport_number": "75 1234567", "nationality": "RU"},
    )
    data = _letter(desk, stay.id)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for words in (
        "Klinik Lindenhof",
        "Lindenstraße 4",
        "Приглашение на лечение",
        "Ольга Смирнова",
        "9 июля 1981 г.",
        "28 марта 2027 г.",
        "4 апреля 2027 г.",
        "ночей: 7",
        "751234567",
        "Россия",
        "сопровождающий",
        desk.actor.name,
    ):
        assert words in text, words
    assert "March" not in text


def test_a_german_letter_and_an_english_copy_on_request(desk):
    pid = desk.patient(first_name="Jana", last_name="Novak", preferred_language="de-AT")
    stay = desk.book(pid, ARRIVAL, DEPARTURE)
    german = pdf_text(_letter(desk, stay.id))
    assert "Einladung zur medizinischen Behandlung" in german
    assert "28. März 2027" in german and "4. April 2027" in german
    assert "Passnummer" not in german  # none recorded yet
    english = pdf_text(_letter(desk, stay.id, "en"))
    assert "Invitation for medical treatment" in english and "March 28, 2027" in english


def test_the_api_serves_the_letter_as_a_pdf_and_a_patient_only_their_own(
    api_as, desk, make_account
):
    mine = desk.patient(preferred_language="ru")
    theirs = desk.patient()
    stay = desk.book(mine, days(10), days(15))
    other = desk.book(theirs, days(10), days(15))
    coordinator = api_as("coordinator")
    r = coordinator.get(f"/api/v1/stays/{stay.id}/invitation-letter.pdf?lang=de")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "Einladung" in pdf_text(r.content)
    assert (
        coordinator.get(f"/api/v1/stays/{stay.id}/invitation-letter.pdf?lang=fr").status_code == 422
    )
    patient = api_as("patient", patient_id=mine)
    r = patient.get(f"/api/v1/stays/{stay.id}/invitation-letter.pdf")
    assert r.status_code == 200 and "Приглашение" in pdf_text(r.content)
    assert patient.get(f"/api/v1/stays/{other.id}/invitation-letter.pdf").status_code == 404
