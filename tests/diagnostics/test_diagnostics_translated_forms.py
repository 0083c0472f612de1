"""The rest of the visit page in German and Russian (issue 14): the forms' unit and range
errors (``units``), the checks across fields (``schemas``), the confirmations after a
save, the questionnaires' names, the z-score chart, the numbers of the results (the
phenotype's value column among them) and the reference groups and biologics to choose
from. The English page and the API keep their English, word for word."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.diagnostics.helpers import HISTORY, SPIRO, open_visit, page_text


def _shows(text: str, expected: Sequence[str], english: Sequence[str] = ()) -> None:
    """``text`` shows every one of ``expected`` and none of ``english``."""
    missing = [t for t in expected if t not in text]
    assert not missing, missing
    left = [t for t in english if t in text]
    assert not left, f"English left: {left}"


# --- the forms' unit and range errors -------------------------------------------------

SPIROMETRY_FORM = {
    "equations": "gli-global",
    "height_cm": "1.68",
    "fev1_pre_l": "2100",
    "fvc_pre_l": "45",
    "fef2575_pre_l_s": "120",
    "fev1_post_l": "2.5",
    "fvc_post_l": "3.4",
    "bronchodilator": "salbutamol",
    "bronchodilator_dose_ug": "0.4",
}
UNIT_ERRORS = {
    "en": [
        "Height 1.68 looks like metres; enter centimetres (1.68 metres = 168 cm)",
        "FEV1 2,100 looks like mL; enter litres (2,100 mL = 2.1 L)",
        "FVC 45 looks like % predicted; enter the measured value in litres",
        "FEF25-75 120 looks like mL/s or L/min; enter litres per second "
        "(120 mL/s = 0.12 L/s; 120 L/min = 2 L/s)",
        "The bronchodilator dose 0.4 looks like mg; enter micrograms (0.4 mg = 400 µg)",
    ],
    "de": [
        "Körpergröße 1,68 sieht nach Metern aus; geben Sie Zentimeter ein (1,68 m = 168 cm)",
        "FEV1 2.100 sieht nach ml aus; geben Sie Liter ein (2.100 ml = 2,1 l)",
        "FVC 45 sieht nach % des Sollwerts aus; geben Sie den gemessenen Wert in Litern ein",
        "FEF25-75 120 sieht nach ml/s oder l/min aus; geben Sie Liter pro Sekunde ein "
        "(120 ml/s = 0,12 l/s; 120 l/min = 2 l/s)",
        "Die Bronchodilatator-Dosis 0,4 sieht nach mg aus; geben Sie Mikrogramm ein "
        "(0,4 mg = 400 µg)",
    ],
    "ru": [
        "рост 1,68 похож на значение в метрах; введите его в сантиметрах (1,68 м = 168 см)",
        "похоже на миллилитры; введите его в литрах (2\xa0100 мл = 2,1 л)",
        "45 похоже на % от должного; введите измеренное значение в литрах",
        "120 похоже на мл/с или л/мин; введите его в литрах в секунду "
        "(120 мл/с = 0,12 л/с; 120 л/мин = 2 л/с)",
        "доза бронходилататора 0,4 похожа на значение в мг; введите её в микрограммах "
        "(0,4 мг = 400 мкг)",
    ],
}
MARKER_FORM = {"blood_eosinophils_per_ul": "0.3", "feno_ppb": "0.025", "total_ige_iu_ml": "30000"}
MARKER_ERRORS = {
    "en": [
        "Blood eosinophils 0.3 looks like ×10⁹/L; enter cells/µL (0.3 ×10⁹/L = 300/µL)",
        "FeNO 0.025 looks like ppm; enter ppb (0.025 ppm = 25 ppb)",
        "Total IgE must be between 0 and 20,000 IU/mL (= kU/L); values above are reported only "
        "in hyper-IgE syndrome",
    ],
    "de": [
        "Eosinophile im Blut 0,3 sieht nach ×10⁹/L aus; geben Sie Zellen/µL ein "
        "(0,3 ×10⁹/L = 300/µL)",
        "FeNO 0,025 sieht nach ppm aus; geben Sie ppb ein (0,025 ppm = 25 ppb)",
        "Gesamt-IgE muss zwischen 0 und 20.000 IE/ml (= kU/l) liegen",
    ],
    "ru": [
        "значение эозинофилов крови 0,3 похоже на ×10⁹/л; введите его в кл/мкл "
        "(0,3 ×10⁹/л = 300/мкл)",
        "значение FeNO 0,025 похоже на ppm; введите его в ppb (0,025 ppm = 25 ppb)",
        "значение общего IgE должно быть от 0 до 20\xa0000 МЕ/мл (= кЕ/л)",
    ],
}
ENGLISH_UNIT_WORDS = ["looks like", "enter litres", "enter micrograms", "must be between"]


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_the_forms_unit_and_range_errors_read_in_the_readers_language(
    api_as, page_as, make_patient, lang
):
    _doc, visit = open_visit(api_as, make_patient)
    url = f"/visits/{visit}"
    physician = page_as("physician")
    spirometry = physician.post_form(
        f"{url}/spirometry?lang={lang}", SPIROMETRY_FORM, csrf_from=url
    )
    markers = physician.post_form(f"{url}/markers?lang={lang}", MARKER_FORM, csrf_from=url)
    assert spirometry.status_code == markers.status_code == 422
    english = [] if lang == "en" else ENGLISH_UNIT_WORDS
    _shows(page_text(spirometry), UNIT_ERRORS[lang], english)
    _shows(page_text(markers), MARKER_ERRORS[lang], english)


def test_the_api_answers_the_unit_errors_in_english_as_before(api_as, make_patient):
    doc, visit = open_visit(api_as, make_patient)
    body = {"equations": "gli-global", "fev1_pre_l": 2100, "fvc_pre_l": 3.2, "height_cm": 1.68}
    r = doc.post(f"/api/v1/visits/{visit}/spirometry", json=body)
    assert r.status_code == 422
    messages = {d["field"]: d["msg"] for d in r.json()["detail"]}
    assert messages == {
        "fev1_pre_l": UNIT_ERRORS["en"][1],
        "height_cm": UNIT_ERRORS["en"][0],
    }
    markers = doc.post(f"/api/v1/visits/{visit}/markers", json={"blood_eosinophils_per_ul": 5})
    assert markers.status_code == 422
    detail = {d["field"]: d["msg"] for d in markers.json()["detail"]}
    assert (
        detail["confirm_low_eosinophils"] == "confirm that blood eosinophils of 5 cells/µL is right"
    )
    assert detail["blood_eosinophils_per_ul"].startswith(
        "Blood eosinophils 5 cells/µL is a very low count. It is real on anti-IL-5 therapy, "
        "but 5 ×10⁹/L would be 5,000/µL"
    )


# --- checks across fields -------------------------------------------------------------

CROSS_FIELD = {
    "en": [
        "enter at least one marker or allergy test",
        "no post-bronchodilator values were entered; leave the bronchodilator empty or enter "
        "FEV1 and FVC after it",
        "2 hospitalisations but 1 severe exacerbations: every asthma hospitalisation counts as "
        "a severe exacerbation (ATS/ERS 2009)",
        "Respondent",
    ],
    "de": [
        "geben Sie mindestens einen Marker oder einen Allergietest ein",
        "es wurden keine Werte nach Bronchodilatator eingegeben; lassen Sie den "
        "Bronchodilatator leer",
        "2 Krankenhausaufenthalte, aber 1 schwere Exazerbationen: Jeder Krankenhausaufenthalt "
        "wegen Asthma zählt als schwere Exazerbation (ATS/ERS 2009)",
        "Eosinophile im Blut: geben Sie mindestens einen Marker",
    ],
    "ru": [
        "введите хотя бы один маркер или аллергологический тест",
        "значения после бронходилататора не введены; оставьте поле бронходилататора пустым",
        "госпитализаций: 2, а тяжёлых обострений: 1; каждая госпитализация по поводу астмы "
        "считается тяжёлым обострением (ATS/ERS 2009)",
        "Эозинофилы крови: введите хотя бы один маркер",
    ],
}


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_the_checks_across_fields_read_in_the_readers_language(api_as, page_as, make_patient, lang):
    _doc, visit = open_visit(api_as, make_patient)
    url = f"/visits/{visit}"
    physician = page_as("physician")
    markers = physician.post_form(f"{url}/markers?lang={lang}", {}, csrf_from=url)
    spirometry = physician.post_form(
        f"{url}/spirometry?lang={lang}",
        {"equations": "gli-global", "fev1_pre_l": "2.1", "fvc_pre_l": "3.2",
         "bronchodilator": "salbutamol"},
        csrf_from=url,
    )  # fmt: skip
    history = {
        **{k: str(v).lower() for k, v in HISTORY.items() if v is not None},
        "laba": "yes", "lama": "yes", "maintenance_ocs": "no",
        "severe_exacerbations_12m": "1", "hospitalisations_12m": "2",
    }  # fmt: skip
    history_page = physician.post_form(f"{url}/history?lang={lang}", history, csrf_from=url)
    assert markers.status_code == spirometry.status_code == history_page.status_code == 422
    expected = CROSS_FIELD[lang]
    _shows(page_text(markers), [expected[0]])
    _shows(page_text(spirometry), [expected[1]])
    _shows(page_text(history_page), [expected[2]])
    if lang != "en":
        _shows(page_text(markers), [expected[3]], [CROSS_FIELD["en"][0]])
        _shows(page_text(spirometry), [], ["no post-bronchodilator values"])
        _shows(page_text(history_page), [], ["hospitalisations but"])


def test_the_api_answers_the_checks_across_fields_in_english(api_as, make_patient):
    doc, visit = open_visit(api_as, make_patient)
    r = doc.post(f"/api/v1/visits/{visit}/markers", json={})
    assert r.status_code == 422
    assert {d["msg"] for d in r.json()["detail"]} == {CROSS_FIELD["en"][0]}
    history = {**HISTORY, "severe_exacerbations_12m": 1, "hospitalisations_12m": 2}
    r = doc.post(f"/api/v1/visits/{visit}/history", json=history)
    assert r.status_code == 422
    assert [d["msg"] for d in r.json()["detail"]] == [CROSS_FIELD["en"][2]]


# --- the visit page: confirmations, names, the chart, numbers, choices ------------------

PAGE = {
    "en": [
        "Markers recorded; phenotype computed.",
        "Add ACT (Asthma Control Test, 12 years and over)",
        "z-scores before and after bronchodilator (GLI Global 2022)",
        "FEV1: pre −1.78, post −0.92",
        "<td>38.5</td>",
        "38.5 ppb",
        "7.5 mg/day",
        "2.10 L, 72 % predicted, z −1.78",
        "FEV1 +13.7 %, FVC +5.6 % of predicted",
        "Caucasian",
        "omalizumab (anti-IgE)",
        "ACQ-7 1.71: not well controlled",
    ],
    "de": [
        "Marker erfasst; Phänotyp bestimmt.",
        "ACT (Asthma-Kontroll-Test, ab 12 Jahren) hinzufügen",
        "ACQ-7 (mit FEV1 in Prozent des Sollwerts) hinzufügen",
        "z-Scores vor und nach Bronchodilatator (GLI Global 2022)",
        "FEV1: vor −1,78, nach −0,92",
        "z-Scores im Vergleich zur unteren Normgrenze bei z = −1,645",
        "<td>38,5</td>",
        "38,5 ppb",
        "7,5 mg/Tag",
        "2,10 L, 72 % des Sollwerts, z −1,78",
        "FEV1 +13,7 %, FVC +5,6 % des Sollwerts",
        "Kaukasisch (europäischer Herkunft)",
        "Omalizumab (Anti-IgE)",
        "ACQ-7 1,71: nicht gut kontrolliert",
        "% des Sollwerts, 1–250; vorausgefüllt aus der Spirometrie dieses Termins (72,13 %)",
    ],
    "ru": [
        "Маркеры внесены; фенотип определён.",
        "Добавить ACT (тест по контролю над астмой, с 12 лет)",
        "z-показатели до и после бронходилататора (GLI Global 2022)",
        "до −1,78, после −0,92",
        "<td>38,5</td>",
        "38,5 ppb",
        "2,10 л",
        "европеоидная",
        "омализумаб (анти-IgE)",
        "ACQ-7 1,71",
        "% от должного, 1–250; заполнено по спирометрии этого визита (72,13 %)",
    ],
}
# What the English page writes that a translated page must not.
ENGLISH_PAGE = [
    "Markers recorded", "12 years and over", "z-scores before and after", "pre −1.78",
    "<td>38.5</td>", "38.5 ppb", "2.10 L", "Caucasian", "North East Asian", "(anti-IgE)",
    "ACQ-7 1.71", "pre-filled from this visit", "before bronchodilator</text>",
]  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_the_visit_pages_words_and_numbers_read_in_the_readers_language(
    api_as, page_as, make_patient, lang
):
    doc, visit = open_visit(api_as, make_patient)
    base = f"/api/v1/visits/{visit}"
    records = {
        "spirometry": SPIRO,
        "markers": {"blood_eosinophils_per_ul": 420, "feno_ppb": 38.5},
        "history": {**HISTORY, "maintenance_ocs": True, "ocs_dose_mg_per_day": 7.5},
        "questionnaires": {"instrument": "acq7", "answers": [1, 1, 2, 1, 1, 2, 65.3]},
    }
    for kind, body in records.items():
        r = doc.post(f"{base}/{kind}", json=body)
        assert r.status_code == 201, r.text
    page = page_as("physician").get(f"/visits/{visit}?saved=markers&lang={lang}")
    assert page.status_code == 200
    _shows(page_text(page), PAGE[lang], [] if lang == "en" else ENGLISH_PAGE)
