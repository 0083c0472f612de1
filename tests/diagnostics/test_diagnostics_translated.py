"""The diagnostics section of the patient's page, the new-visit form and the visit page
in German and Russian, the value words of its records included (the science's own
texts — the phenotype's checks and notes, input errors — are in
``test_diagnostics_science_texts.py``)."""

from __future__ import annotations

import pytest

from tests.translated import page_in

EXPECTED = {
    "de": {
        "patient": ["Diagnostische Termine", "Neuer Termin", "FEV1 vor BD", "Phänotyp"],
        "new": ["Neuer diagnostischer Termin", "Termindatum", "Termin anlegen"],
        "visit": ["Wichtigste Befunde", "Spirometrie und Bronchodilatationstest",
                  "Spirometrie-Messung hinzufügen", "Fragebögen zur Asthmakontrolle"],
    },
    "ru": {
        "patient": ["Диагностические визиты", "Новый визит", "ОФВ1 до БД", "Фенотип"],
        "new": ["Новый диагностический визит", "Дата визита", "Открыть визит"],
        "visit": ["Основные результаты", "Спирометрия и бронходилатационный тест",
                  "Добавить сеанс спирометрии", "Опросники контроля астмы"],
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_visit_pages_in_the_readers_language(page_as, make_patient, lang):
    pid = make_patient()
    physician = page_as("physician")
    r = physician.post_form(
        f"/patients/{pid}/visits",
        {"visit_date": "2026-11-02"},
        csrf_from=f"/patients/{pid}/visits/new",
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    visit = page_in(physician, r.headers["location"], lang, EXPECTED[lang]["visit"])
    assert "Key findings" not in visit.text
    section = page_in(physician, f"/patients/{pid}", lang, EXPECTED[lang]["patient"])
    assert "Diagnostic visits" not in section.text
    page_in(physician, f"/patients/{pid}/visits/new", lang, EXPECTED[lang]["new"])


RECORDED = {
    "de": [
        "positiv", "Pricktest", "spezifisches IgE", "Geschlecht weiblich", "aus der Patientenakte",
        "Ausgewertet mit", "ja, 10 mg/Tag Prednison-Äquivalent",
        "unter oralen Erhaltungs-Kortikosteroiden", "jedes nächtliche Aufwachen: nein",
        "Testmethode", "Röntgen-Thorax vom", "14 Hübe/Woche", "schwere Exazerbationen: 3",
        "72 % des Sollwerts",
    ],
    "ru": [
        "положительн", "кожный прик-тест", "специфический IgE", "пол женский", "из карты пациента",
        "Подсчитано по", "да, 10 мг/сут в пересчёте на преднизолон",
        "любые ночные пробуждения: нет", "Метод исследования", "рентгенография грудной клетки от",
        "14 вдохов/нед.", "тяжёлые обострения: 3", "72 % от должного",
    ],
}  # fmt: skip
# What the English page writes that a translated page must not.
ENGLISH_VALUE_WORDS = [
    "skin-prick test", "Inputs used</dt><dd>sex", "mg/day prednisone", "puffs/week", "Scored by",
    "night waking", ">positive<", "Chest X-ray of", "% predicted, z",
]  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_recorded_values_on_the_visit_page_read_in_the_readers_language(
    api_as, page_as, make_patient, lang
):
    from tests.diagnostics.helpers import HISTORY, IMAGING, MARKERS, SPIRO, days_ago

    doc = api_as("physician")
    pid = make_patient()
    visit = doc.post(f"/api/v1/patients/{pid}/visits", json={"visit_date": days_ago(3)}).json()
    base = f"/api/v1/visits/{visit['id']}"
    markers = {**MARKERS, "on_maintenance_ocs": True}
    history = {**HISTORY, "maintenance_ocs": True, "ocs_dose_mg_per_day": 10}
    gina = {"instrument": "gina", "answers": [True, False, True, False], "respondent": "self"}
    imaging = {**IMAGING, "study_date": days_ago(3)}
    records = {"spirometry": SPIRO, "markers": markers, "history": history,
               "questionnaires": gina, "imaging": imaging}  # fmt: skip
    for kind, body in records.items():
        r = doc.post(f"{base}/{kind}", json=body)
        assert r.status_code == 201, r.text
    page = page_in(page_as("physician"), f"/visits/{visit['id']}", lang, RECORDED[lang])
    left = [word for word in ENGLISH_VALUE_WORDS if word in page.text]
    assert not left, f"English value words on the {lang} page: {left}"


def test_every_questionnaire_item_of_the_science_is_marked_for_translation():
    from respira.diagnostics.labels import QUESTIONNAIRE_ITEMS
    from respira.science.control import ITEM_LABELS

    assert {label for items in ITEM_LABELS.values() for label in items} == set(QUESTIONNAIRE_ITEMS)


REFUSED = {
    "de": ["nennen Sie das getestete Allergen",
           "Die letzte schwere Exazerbation (%s) liegt nach dem Termin (%s)"],
    "ru": ["укажите исследованный аллерген",
           "Последнее тяжёлое обострение (%s) позже визита (%s)"],
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_visit_pages_refusals_read_in_the_readers_language(api_as, page_as, make_patient, lang):
    from tests.diagnostics.helpers import days_ago

    pid = make_patient()
    visit = api_as("physician").post(
        f"/api/v1/patients/{pid}/visits", json={"visit_date": days_ago(3)}
    )
    url = f"/visits/{visit.json()['id']}"
    physician = page_as("physician")
    markers = physician.post_form(
        f"{url}/markers?lang={lang}", {"allergen_result_2": "positive"}, csrf_from=url
    )
    history = {
        "ics_dose_level": "high", "laba": "yes", "lama": "no", "maintenance_ocs": "no",
        "biologic": "none", "gina_step": "5", "severe_exacerbations_12m": "1",
        "hospitalisations_12m": "0", "rescue_puffs_per_week": "3",
        "last_exacerbation_date": days_ago(1), "adherence_confirmed": "unknown",
        "inhaler_technique_confirmed": "unknown",
    }  # fmt: skip
    history_page = physician.post_form(f"{url}/history?lang={lang}", history, csrf_from=url)
    assert markers.status_code == history_page.status_code == 422
    assert REFUSED[lang][0] in markers.text and "name the allergen" not in markers.text
    after = REFUSED[lang][1] % (days_ago(1), days_ago(3))
    assert after in history_page.text and "is after the visit" not in history_page.text
