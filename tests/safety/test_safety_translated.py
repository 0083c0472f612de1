"""CTCAE terms on the safety pages in German and Russian (issue 14): a term is shown in the
reader's language with CTCAE's English name beside it (the name stored, reported and
MedDRA-coded), its grade definitions and notes translated; the API answers the English
name; every text of the shipped catalogue has its German and Russian translation."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from respira.kit import i18n
from respira.kit.validation import today_utc
from respira.safety import ctcae_texts
from respira.safety.catalogue import ctcae
from tests.translated import page_in

LANGS = ("de", "ru")


def _shown(label: str, canonical: str) -> str:
    """A term as a page writes it: the translation, then the English name in small type."""
    return f'{label} <span class="hint" lang="en">({canonical})</span>'


# What the pages must show, by language: real words, each checked against the catalogue.
WORDS = {
    "de": {
        "Fever": "Fieber",
        "Chills": "Schüttelfrost",
        "Headache": "Kopfschmerzen",
        "Infusion related reaction": "Reaktion im Zusammenhang mit einer Infusion",
        "grade_1": "38,0–39,0 °C",  # Fever's grade 1, with the decimal comma
        "grade_3": "&gt;40,0 °C für ≤24 Stunden",
        "generic_1": "Leicht: keine oder leichte Symptome",
        "note": "nie als beides",  # Infusion related reaction's note
        "no_grade": "Kopfschmerzen hat in CTCAE v5.0 keinen Grad 4 (vorhandene Grade: 1, 2, 3)",
        "fatal": "Grad 5 bedeutet, dass das Ereignis zum Tod geführt hat",
    },
    "ru": {
        "Fever": "Лихорадка",
        "Chills": "Озноб",
        "Headache": "Головная боль",
        "Infusion related reaction": "Реакция, связанная с инфузией",
        "grade_1": "38,0–39,0 °C",
        "grade_3": "&gt;40,0 °C в течение ≤24 часов",
        "generic_1": "Лёгкая: симптомов нет или они слабо выражены",
        "note": "но не как обе",
        "no_grade": "У термина «Головная боль» нет степени 4 в CTCAE v5.0 (его степени: 1, 2, 3)",
        "fatal": "степень 5 означает, что явление привело к смерти",
    },
}


def _form(patient_id: int, term: str = "") -> str:
    url = f"/patients/{patient_id}/adverse-events/new"
    return f"{url}?term={quote(term)}" if term else url


def _post(nurse: Any, patient_id: int, lang: str, fields: dict[str, str]) -> Any:
    """The record form posted from its page in ``lang`` (the answer not followed)."""
    return nurse.post_form(
        f"/patients/{patient_id}/adverse-events?lang={lang}",
        fields,
        csrf_from=_form(patient_id, fields["term"]),
        follow_redirects=False,
    )


# --- the catalogue --------------------------------------------------------------------


def test_the_marked_texts_are_exactly_the_texts_of_the_shipped_catalogue():
    """A term, grade definition or note added to ``ctcae_v5.toml`` must be marked in
    ``ctcae_texts`` (and so translated); a marked text no longer in the TOML goes."""
    texts = ctcae().texts
    assert set(ctcae().names) <= texts and ctcae().generic[5] in texts
    assert texts - ctcae_texts.MARKED == set(), "marked in ctcae_texts.py: missing"
    assert ctcae_texts.MARKED - texts == set(), "marked in ctcae_texts.py but not in the TOML"


@pytest.mark.parametrize("lang", LANGS)
def test_every_term_of_the_catalogue_has_a_label_in_german_and_russian(lang):
    catalog = i18n.read_catalogue(lang)
    problems = []
    for text in sorted(ctcae().texts):
        message = catalog.get(text)
        if message is None or not str(message.string).strip() or message.fuzzy:
            problems.append(f"no {lang} translation: {text!r}")
        elif text in ctcae().names and message.string == text:
            problems.append(f"the {lang} label is the English name: {text!r}")
    assert not problems, "\n".join(problems)
    gettext = i18n.translations(lang).gettext
    for name, label in WORDS[lang].items():
        if name in ctcae().names:
            assert gettext(name) == label


def test_the_catalogue_test_of_translations_covers_the_terms_and_the_refusals():
    from tests.kit.test_translations import EXTRACTED

    assert ctcae().texts <= set(EXTRACTED)
    assert "%(term)s has no grade %(grade)s in CTCAE v%(version)s (its grades are %(have)s)" in (
        EXTRACTED
    )
    assert "grade 5 means the event caused death (CTCAE v5.0): the outcome must be fatal" in (
        EXTRACTED
    )


# --- the pages ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_record_form_offers_and_grades_the_terms_in_the_readers_language(
    page_as, make_patient, lang
):
    words = WORDS[lang]
    nurse, pid = page_as("nurse"), make_patient()
    picker = page_in(nurse, _form(pid), lang, [words["generic_1"]])
    assert f'<option value="Fever">{words["Fever"]} (Fever)</option>' in picker.text
    assert f'<option value="Chills">{words["Chills"]} (Chills)</option>' in picker.text
    graded = page_in(
        nurse,
        _form(pid, "Fever"),
        lang,
        [_shown(words["Fever"], "Fever"), words["grade_1"], words["grade_3"], "MedDRA 10016558"],
    )
    assert 'name="term" value="Fever"' in graded.text  # the form posts the English name
    assert ">40.0 °C for ≤24 hours" not in graded.text
    page_in(nurse, _form(pid, "Infusion related reaction"), lang, [words["note"]])


@pytest.mark.parametrize("lang", LANGS)
def test_the_event_page_and_the_lists_show_the_translation_with_the_canonical_name(
    page_as, nurse_api, make_patient, lang
):
    words = WORDS[lang]
    nurse, pid = page_as("nurse"), make_patient()
    today = today_utc().isoformat()
    fields = {"term": "Fever", "grade": "1", "onset_date": today, "causality": "possible"}
    r = _post(nurse, pid, lang, fields)
    assert r.status_code == 303, r.text
    eid = int(r.headers["location"].split("/")[-1].split("?")[0])
    shown = _shown(words["Fever"], "Fever")
    page = page_in(nurse, f"/adverse-events/{eid}", lang, [shown, words["grade_1"]])
    assert "MedDRA 10016558" in page.text
    page_in(nurse, f"/patients/{pid}", lang, [shown])  # the patient page's section
    page_in(page_as("physician"), "/safety", lang, [shown])  # the programme's table
    # Stored and answered as CTCAE's English.
    answer = nurse_api.get(f"/api/v1/adverse-events/{eid}").json()
    assert answer["term"] == "Fever"
    assert [e["term"] for e in nurse_api.get(f"/api/v1/patients/{pid}/adverse-events").json()] == [
        "Fever"
    ]


def test_an_english_page_shows_the_name_once(page_as, nurse_api, make_patient):
    pid = make_patient()
    body = {"term": "Fever", "grade": 1, "onset_date": "2024-05-01", "causality": "possible"}
    eid = nurse_api.post(f"/api/v1/patients/{pid}/adverse-events", json=body).json()["id"]
    page = page_as("nurse").get(f"/adverse-events/{eid}").text
    assert 'id="term">Fever<br>' in page and 'lang="en">(Fever)' not in page


@pytest.mark.parametrize("lang", LANGS)
def test_the_reference_list_shows_the_expected_terms_translated(page_as, lang):
    words = WORDS[lang]
    page = page_in(
        page_as("physician"),
        "/safety/expected-reactions",
        lang,
        [_shown(words["Fever"], "Fever"), _shown(words["Headache"], "Headache")],
    )
    assert 'name="term-Fever"' in page.text  # the checkboxes post the English names


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_refusals_reach_the_form_translated_and_the_api_in_english(
    page_as, nurse_api, make_patient, lang
):
    words = WORDS[lang]
    nurse, pid = page_as("nurse"), make_patient()
    fields = {"term": "Headache", "grade": "4", "onset_date": "2024-05-01", "causality": "possible"}
    r = _post(nurse, pid, lang, fields)
    assert r.status_code == 422 and words["no_grade"] in r.text, r.text
    assert "has no grade 4" not in r.text
    r = _post(nurse, pid, lang, {**fields, "term": "Fever", "grade": "5", "outcome": "recovered"})
    assert r.status_code == 422 and words["fatal"] in r.text, r.text
    api: Any = nurse_api.post(
        f"/api/v1/patients/{pid}/adverse-events",
        json={**fields, "grade": 4},
        headers={"Accept-Language": lang},
    )
    assert api.status_code == 422
    messages = [d["msg"] for d in api.json()["detail"]]
    assert "Headache has no grade 4 in CTCAE v5.0 (its grades are 1, 2, 3)" in messages


@pytest.mark.parametrize(
    ("lang", "author"),
    [("de", "Respira (Programmvorgabe)"), ("ru", "Respira (значения программы по умолчанию)")],
)
def test_the_shipped_list_names_its_author_in_the_readers_language(page_as, lang, author):
    """The first version's author is stored as English ("Respira (programme default)");
    the page shows it in the reader's language (issue 14)."""
    page = page_as("physician").get(f"/safety/expected-reactions?lang={lang}")
    assert page.status_code == 200 and author in page.text
    assert "Respira (programme default)" not in page.text
