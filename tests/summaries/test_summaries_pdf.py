"""The signed summary as PDF: in the patient's language (German, Russian) and in
English, read back as text; rendered as an image by poppler (``pdftoppm``) with ink on
the page; page numbers and the clinic's letterhead from the settings on every page;
charts as vector graphics, not pictures."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader

from respira.kit.config import get_settings
from tests.summaries.summaries_helpers import pdf_text

PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"


@pytest.fixture
def letterhead(monkeypatch):
    monkeypatch.setenv("RESPIRA_CLINIC_NAME", "Klinik Lindenhof")
    monkeypatch.setenv("RESPIRA_CLINIC_ADDRESS", "Lindenstraße 4\n10115 Berlin")
    monkeypatch.setenv("RESPIRA_CLINIC_PHONE", "+49 30 1234567")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_german_patient_gets_the_summary_in_german_and_an_english_copy(sc, road, letterhead):
    signed = sc.signed(road.pid)
    assert signed.language == "de" and signed.title == "Entlassungsbericht"
    german = pdf_text(sc.pdf(signed.id).data)
    for words in (
        "Entlassungsbericht",
        "Klinik Lindenhof",
        "Lindenstraße 4",
        "Telefon: +49 30 1234567",
        "Seite 1 von",
        "Diagnose",
        "Eosinophile im Blut",
        "unter der LLN",
        "Zusammenhang möglich",
        "Es gibt keine Vergleichsgruppe",
        "unverändert fortgeführt",
        "Elektronisch unterschrieben von",
        road.din,
    ):
        assert words in german, words
    english = pdf_text(sc.pdf(signed.id, lang="en").data)
    for words in ("Discharge summary", "Page 1 of", "There is no comparison group", road.din):
        assert words in english, words
    assert "Entlassungsbericht" not in english


def test_a_russian_patient_gets_the_summary_in_russian_with_cyrillic_text(sc, road):
    pid = sc.clinic.eligible_patient(preferred_language="ru", first_name="Olga")
    sc.work_up(pid)
    signed = sc.signed(pid, kind="follow_up")
    assert signed.language == "ru"
    russian = pdf_text(sc.pdf(signed.id).data)
    for words in (
        "Эпикриз по результатам наблюдения",
        "Страница 1 из",
        "Диагноз",
        "ОФВ1",
        "ниже НГН",
        "Группы сравнения нет",
        "Подписано электронной подписью",
        "Пока ничего не зарегистрировано",
    ):
        assert words in russian, words
    assert "Follow-up summary" in pdf_text(sc.pdf(signed.id, lang="en").data)


def test_every_page_is_numbered_and_carries_the_patient(sc, road):
    signed = sc.signed(road.pid, language="en")
    reader = PdfReader(io.BytesIO(sc.pdf(signed.id).data))
    pages = len(reader.pages)
    assert pages >= 2
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Page {n} of {pages}" in text
        assert "Lindqvist" in text and "Respira demo clinic" in text


def test_the_charts_are_vector_graphics_with_their_words_as_text(sc, road):
    signed = sc.signed(road.pid, language="en")
    reader = PdfReader(io.BytesIO(sc.pdf(signed.id).data))
    assert all(not page.images for page in reader.pages)  # drawn, not pasted pictures
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "LLN (z = −1.645)" in text and "months after treatment" in text


def test_the_pdf_renders_as_an_image_with_ink_on_its_pages(sc, road, tmp_path):
    signed = sc.signed(road.pid)
    source = tmp_path / "summary.pdf"
    source.write_bytes(sc.pdf(signed.id).data)
    subprocess.run(
        [PDFTOPPM, "-png", "-r", "50", str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(PdfReader(str(source)).pages)
    for path in images:
        page = Image.open(path).convert("L")
        dark = sum(page.histogram()[:128])
        assert dark > 500, f"{path.name} is blank"
    first = Image.open(images[0])
    assert first.size[0] == pytest.approx(413, abs=2)  # A4 at 50 dpi: 8.27 in


def test_a_draft_pdf_is_marked_draft_and_made_from_the_records_now(sc, road):
    draft = sc.draft(road.pid, language="en")
    file = sc.pdf(draft.id)
    assert file.draft and file.filename.endswith("-draft.pdf")
    text = pdf_text(file.data)
    assert "DRAFT, not signed" in text and "Electronically signed" not in text
