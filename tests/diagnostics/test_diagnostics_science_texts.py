"""What the science writes — a questionnaire's and a spirometry session's input errors,
the phenotype's checks and notes, a session's notes — reads in German and Russian on
the staff pages, while the English page and the API keep the science's English."""

from __future__ import annotations

import pytest

from respira.diagnostics import science_texts
from respira.kit.web.templating import problem_text
from respira.science import control, phenotype
from respira.science.spirometry import (
    EQUATIONS,
    PARAMETERS,
    SpirometryInputError,
    checks,
    interpret_session,
)
from respira.science.texts import Term, Text
from tests.diagnostics.helpers import SPIRO, days_ago, open_visit, page_text
from tests.kit.test_translations import EXTRACTED

# --- questionnaires -------------------------------------------------------------------

ACT_ENGLISH = (
    "act item 5 (own rating of control) is out of range, got 7; allowed: a whole number from 1 to 5"
)
ACT_TRANSLATED = {
    "de": "ACT, Frage 5 (eigene Einschätzung der Kontrolle): die Antwort 7 liegt außerhalb "
    "des Bereichs; zulässig: eine ganze Zahl von 1 bis 5",
    "ru": "ACT, вопрос 5 (собственная оценка контроля): ответ 7 вне допустимого диапазона; "
    "допустимо: целое число от 1 до 5",
}


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_a_questionnaire_answer_out_of_range_reads_in_the_readers_language(
    api_as, page_as, make_patient, lang
):
    _doc, visit = open_visit(api_as, make_patient)
    url = f"/visits/{visit}"
    form = {"instrument": "act", "act_1": "3", "act_2": "3", "act_3": "3", "act_4": "3"}
    page = page_as("physician").post_form(
        f"{url}/questionnaires?lang={lang}", {**form, "act_5": "7"}, csrf_from=url
    )
    assert page.status_code == 422
    text = page_text(page)
    if lang == "en":  # the English page as before
        assert ACT_ENGLISH in text
    else:
        assert ACT_TRANSLATED[lang] in text
        assert "is out of range" not in text and "own rating of control" not in text


def test_the_api_answers_a_questionnaire_error_in_the_sciences_english(api_as, make_patient):
    doc, visit = open_visit(api_as, make_patient)
    body = {"instrument": "act", "answers": [3, 3, 3, 3, 7]}
    r = doc.post(f"/api/v1/visits/{visit}/questionnaires", json=body)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "loc": ["body", "answers.4"],
            "field": "answers.4",
            "msg": ACT_ENGLISH,
            "type": "value_error",
        }
    ]


# --- spirometry -----------------------------------------------------------------------

SPIRO_ENGLISH = (
    "FEV1 3.9 L exceeds FVC 3.2 L before the bronchodilator by more than 0.15 L; "
    "check both values (FEV1 cannot be larger than FVC)"
)
SPIRO_TRANSLATED = {
    "de": "FEV1 3,9 L übersteigt FVC 3,2 L vor dem Bronchodilatator um mehr als 0,15 L; "
    "prüfen Sie beide Werte (FEV1 kann nicht größer als FVC sein)",
    "ru": "ОФВ1 3,9 л превышает ФЖЕЛ 3,2 л до бронходилататора более чем на 0,15 л; "
    "проверьте оба значения (ОФВ1 не может быть больше ФЖЕЛ)",
}
ETHNICITY_TRANSLATED = {
    "de": "GLI-2012 benötigt die Referenzgruppe (Ethnie)",
    "ru": "для GLI-2012 нужна референсная группа (этническая принадлежность)",
}


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_a_spirometry_sessions_input_errors_read_in_the_readers_language(
    api_as, page_as, make_patient, lang
):
    _doc, visit = open_visit(api_as, make_patient)
    url = f"/visits/{visit}"
    physician = page_as("physician")
    form = {"equations": "gli-global", "fev1_pre_l": "3.9", "fvc_pre_l": "3.2"}
    page = physician.post_form(f"{url}/spirometry?lang={lang}", form, csrf_from=url)
    no_group = physician.post_form(
        f"{url}/spirometry?lang={lang}",
        {"equations": "gli-2012", "fev1_pre_l": "2.9", "fvc_pre_l": "3.2"},
        csrf_from=url,
    )
    assert page.status_code == no_group.status_code == 422
    if lang == "en":
        assert SPIRO_ENGLISH in page_text(page)
        assert "GLI-2012 needs the reference group (ethnicity)" in page_text(no_group)
    else:
        assert SPIRO_TRANSLATED[lang] in page_text(page) and "exceeds" not in page_text(page)
        assert ETHNICITY_TRANSLATED[lang] in page_text(no_group)
        assert "needs the reference group" not in page_text(no_group)


def test_the_api_answers_a_spirometry_error_in_the_sciences_english(api_as, make_patient):
    doc, visit = open_visit(api_as, make_patient)
    body = {"equations": "gli-global", "fev1_pre_l": 3.9, "fvc_pre_l": 3.2}
    r = doc.post(f"/api/v1/visits/{visit}/spirometry", json=body)
    assert r.status_code == 422
    messages = {d["field"]: d["msg"] for d in r.json()["detail"]}
    assert messages == {"fev1_pre_l": SPIRO_ENGLISH, "fvc_pre_l": SPIRO_ENGLISH}


FEF_NOTE = {
    "en": "fef2575_pre: gli-global has no reference equation for fef2575",
    "de": "FEF25–75 vor Bronchodilatator: GLI Global hat keine Referenzgleichung für FEF25–75",
    "ru": "СОС25–75 до бронходилататора: в GLI Global нет уравнения должных значений для СОС25–75",
}


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_a_sessions_notes_read_in_the_readers_language(api_as, page_as, make_patient, lang):
    doc, visit = open_visit(api_as, make_patient)
    r = doc.post(f"/api/v1/visits/{visit}/spirometry", json={**SPIRO, "fef2575_pre_l_s": 2.4})
    assert r.status_code == 201, r.text
    assert r.json()["notes"] == [FEF_NOTE["en"]]  # the API and the record keep the English
    page = page_as("physician").get(f"/visits/{visit}?lang={lang}")
    assert FEF_NOTE[lang] in page_text(page)


def test_a_session_without_reference_values_notes_it_in_the_readers_language(
    api_as, page_as, make_patient
):
    doc = api_as("physician")
    pid = make_patient(date_of_birth=days_ago(365 * 2 + 200), height_cm=90.0)
    visit = doc.post(f"/api/v1/patients/{pid}/visits", json={"visit_date": days_ago(3)}).json()
    body = {"equations": "gli-global", "fev1_pre_l": 0.6, "fvc_pre_l": 0.7}
    r = doc.post(f"/api/v1/visits/{visit['id']}/spirometry", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["notes"][0].startswith("no reference values for this age: GLI Global 2022")
    physician = page_as("physician")
    german = page_text(physician.get(f"/visits/{visit['id']}?lang=de"))
    assert (
        "keine Referenzwerte für dieses Alter: GLI Global 2022 deckt das Alter von 3–95" in german
    )
    russian = page_text(physician.get(f"/visits/{visit['id']}?lang=ru"))
    assert "нет должных значений для этого возраста: GLI Global 2022 охватывает возраст 3–95" in (
        russian
    )


# --- the phenotype --------------------------------------------------------------------

BIOLOGIC = {
    "blood_eosinophils_per_ul": 100,
    "feno_ppb": 12,
    "sensitisations": [{"allergen": "cat dander", "positive": False, "method": "sige"}],
    "on_biologic": True,
}
EOSINOPHILS_ONLY = {"blood_eosinophils_per_ul": 420, "total_ige_iu_ml": 310}
PHENOTYPE_ENGLISH = [
    "on biologic therapy: eosinophils and FeNO may be suppressed",
    "incomplete: feno_ppb, sensitisations could refine this label",
    "type-2 signal: maintenance oral corticosteroids",
    "total IgE (supporting, not decisive)",
    "none positive",
    "at least one positive skin-prick or specific-IgE test",
    "Missing for a complete phenotype: feno ppb, sensitisations.",
]
PHENOTYPE_TRANSLATED = {
    "de": [
        "unter Biologika-Therapie: Eosinophile und FeNO können supprimiert sein",
        "unvollständig: FeNO, Allergietests könnten diese Einordnung präzisieren",
        "Typ-2-Signal: orale Erhaltungs-Kortikosteroide",
        "Gesamt-IgE (unterstützend, nicht entscheidend)",
        "keiner positiv",
        "mindestens ein positiver Pricktest oder spezifischer IgE-Test",
        "≥ 300 Zellen/µL",
        "FeNO, Allergietests",
    ],
    "ru": [
        "на фоне биологической терапии: эозинофилы и FeNO могут быть подавлены",
        "неполные данные: FeNO, аллергологические тесты могут уточнить этот фенотип",
        "признак воспаления 2-го типа: поддерживающие пероральные кортикостероиды",
        "общий IgE (вспомогательный, не решающий)",
        "положительных нет",
        "хотя бы один положительный кожный прик-тест или тест на специфический IgE",
        "≥ 300 кл/мкл",
        "FeNO, аллергологические тесты",
    ],
}


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_the_phenotypes_checks_and_notes_read_in_the_readers_language(
    api_as, page_as, make_patient, lang
):
    doc, visit = open_visit(api_as, make_patient)
    for body in (BIOLOGIC, EOSINOPHILS_ONLY):
        r = doc.post(f"/api/v1/visits/{visit}/markers", json=body)
        assert r.status_code == 201, r.text
    # The API and the stored result keep the science's English.
    detail = doc.get(f"/api/v1/visits/{visit}").json()["markers"]
    notes = [note for panel in detail for note in panel["phenotype_thresholds"]["notes"]]
    assert notes == [PHENOTYPE_ENGLISH[1], PHENOTYPE_ENGLISH[0]]
    text = page_text(page_as("physician").get(f"/visits/{visit}?lang={lang}"))
    if lang == "en":
        missing = [t for t in PHENOTYPE_ENGLISH if t not in text]
        assert not missing, missing
    else:
        missing = [t for t in PHENOTYPE_TRANSLATED[lang] if t not in text]
        assert not missing, missing
        left = [t for t in PHENOTYPE_ENGLISH if t in text]
        assert not left, f"English science text on the {lang} page: {left}"


def test_a_phenotype_input_error_reads_in_the_readers_language():
    with pytest.raises(phenotype.PhenotypeInputError) as info:
        phenotype.classify_phenotype(age_years=40, feno_ppb=1500.5)
    message = science_texts.refusal(info.value)
    assert message == str(info.value) == "feno_ppb must be between 0 and 1000, got 1500.5"
    assert info.value.code == "phenotype.out_of_range"
    assert problem_text(message, "de") == (
        "FeNO: muss zwischen 0 und 1.000 liegen, erhalten: 1.500,5"
    )
    assert problem_text(message, "ru") == "FeNO: должно быть от 0 до 1\xa0000, получено: 1\xa0500,5"


# --- every text is covered ------------------------------------------------------------


def test_every_template_of_the_science_is_extracted_for_the_catalogues():
    """The catalogue test (``tests/kit/test_translations.py``) then holds each to a German
    and a Russian translation with the same placeholders."""
    missing = [t for t in science_texts.TEMPLATES.values() if t not in EXTRACTED]
    assert not missing, missing
    assert all(term in EXTRACTED for term in science_texts.TERMS.values())


def test_every_term_of_the_science_is_named_in_words():
    vocabulary = {
        *checks.FIELDS,
        *control.INSTRUMENTS,
        *EQUATIONS,
        *PARAMETERS,
        "age_years",
        "blood_eosinophils_per_ul",
        "feno_ppb",
        "total_ige_iu_ml",
        "sputum_eosinophils_pct",
        "on_maintenance_ocs",
        "on_biologic",
        "sensitisations",
        "fef2575_pre",
        "fef75_pre",
        "L",
        "L/s",
    }
    assert vocabulary <= set(science_texts.TERMS)


def test_the_templates_use_only_named_string_placeholders():
    import re

    for code, template in science_texts.TEMPLATES.items():
        assert "%" not in re.sub(r"%\(\w+\)s|%%", "", template), code


@pytest.mark.parametrize(
    "make",
    [
        lambda: phenotype.classify_phenotype(
            age_years=40, blood_eosinophils_per_ul=200, on_maintenance_ocs=True,
            sputum_eosinophils_pct=3,
        ),
        lambda: interpret_session(
            "gli-2012", sex="F", age=93.0, height_cm=160.0, ethnicity="caucasian",
            fev1_pre_l=1.9, fvc_pre_l=2.5, fef2575_pre_l_s=1.0,
        ),
    ],
)  # fmt: skip
def test_a_stored_text_is_read_back_to_its_template_and_parameters(make):
    result = make()
    texts: list[Text] = list(result.notes)
    if isinstance(result, phenotype.Phenotype):
        texts += [c.name for c in result.checks] + [c.threshold for c in result.checks]
    assert texts
    for text in texts:
        found = science_texts.read_back(str(text))
        assert found.msgid == text.template, text  # type: ignore[attr-defined]
        # Written back in English, it is the stored text again.
        assert problem_text(found, "en") == str(text)


def test_a_spirometry_error_keeps_its_english_and_gives_its_code():
    with pytest.raises(SpirometryInputError) as info:
        interpret_session(
            "gli-2012", sex="F", age=40.0, height_cm=160.0, fev1_pre_l=2.0, fvc_pre_l=2.5
        )
    assert str(info.value) == "ethnicity is required for gli-2012"
    assert info.value.code == "spirometry.required_for"
    assert isinstance(info.value.params["name"], Term)
    assert problem_text(science_texts.refusal(info.value), "de") == (
        "Referenzgruppe (Ethnie): wird für GLI-2012 benötigt"
    )
