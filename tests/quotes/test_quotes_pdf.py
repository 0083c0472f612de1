"""The quote's PDF in the patient's language: Russian text (Cyrillic, embedded fonts),
the lines with their amounts and the total, what is included and excluded, the
validity, and the regional reference ranges with their source as context, never a
promise; another language on request; a draft and a superseded version are marked."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from respira.kit.errors import InvalidInput
from respira.quotes import service


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_is_written_in_the_patients_language_with_lines_total_and_context(office, db):
    pid = office.patient(preferred_language="ru", first_name="Ирина", last_name="Смирнова")
    q = office.quote(
        pid,
        lines=[{"code": "CONS", "quantity": "1"}, {"code": "INTERP", "quantity": "2"}],
        severity="severe",
        comorbidities=["renal"],
    )
    office.send(q.id)
    with db.session() as s:
        pdf = service.pdf_file(s, office.coordinator.actor, q.id)
    assert pdf.language == "ru" and pdf.data.startswith(b"%PDF-")
    text = _text(pdf.data)
    assert "Смирнова, Ирина" in text
    assert "Смета" in text  # the title: "Cost estimate"
    assert "Действительна до" in text or "действительна до" in text  # the validity
    assert "Что включено" in text and "Что не включено" in text
    assert "Региональные ориентиры" in text
    assert "Physician consultation" in text  # the price list's own words
    # Amounts as Russian writes money: "250,00 €"; the total "702,50 €" (250 + 360 +
    # severity 25 % of 250 = 62.50 + renal 12 % of 250 = 30).
    assert "250,00" in text and "702,50" in text
    assert "не обещание" in text  # the reference ranges are context, not a promise
    assert "7 000,00" in text or "7000" in text


def test_another_language_on_request_and_a_language_respira_does_not_write_is_refused(office, db):
    q = office.quote(office.patient(preferred_language="ru"))
    with db.session() as s:
        german = service.pdf_file(s, office.coordinator.actor, q.id, "de")
        assert german.language == "de" and "Kostenvoranschlag" in _text(german.data)
        with pytest.raises(InvalidInput):
            service.pdf_file(s, office.coordinator.actor, q.id, "fr")


def test_a_draft_is_marked_across_its_pages(office, db):
    q = office.quote(office.patient(preferred_language="en"))
    with db.session() as s:
        text = _text(service.pdf_file(s, office.coordinator.actor, q.id).data)
    assert "DRAFT" in text
    assert "Indicative, 2026 estimates" in text or "indicative, 2026 estimates" in text
