"""A screening's page, the screening section of the patient's page and the findings form
in German and Russian: headings, the decision, the criteria's statuses, the sign form
and the findings' questions."""

from __future__ import annotations

import re

import pytest

from tests.translated import page_in

EXPECTED = {
    "de": {
        "screening": ["Entscheidung: Geeignet", "nicht unterschrieben", "Ausschlusskriterien",
                      "Kriterium", "Belege", "nicht erfüllt", "Bedeutung Ihrer Unterschrift",
                      "Eignung bestätigt", "Entscheidung unterschreiben"],
        "patient": ["Neuestes Screening", "Version der Kriterien", "Screening durchführen"],
        "findings": ["Datum der Erhebung", "Aktive Tuberkulose", "Nicht erhoben (unbekannt)",
                     "Herzinsuffizienz, NYHA-Klasse", "Befunde speichern"],
    },
    "ru": {
        "screening": ["Решение: ", "не подписан", "Критерии исключения", "Критерий",
                      "Основания", "не выполнен", "Значение вашей подписи",
                      "пригодность подтверждена", "Подписать решение"],
        "patient": ["Последний скрининг", "Версия критериев", "Провести скрининг"],
        "findings": ["Дата оценки", "Активный туберкулёз", "Не оценено (неизвестно)",
                     "Сердечная недостаточность, класс NYHA", "Сохранить данные"],
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_screening_page_and_section_in_the_readers_language(page_as, candidate, lang):
    physician = page_as("physician")
    pid = candidate()
    r = physician.post_form(f"/patients/{pid}/screenings", {}, follow_redirects=False)
    sid = int(re.fullmatch(r"/screenings/(\d+)", r.headers["location"]).group(1))
    page = page_in(physician, f"/screenings/{sid}", lang, EXPECTED[lang]["screening"])
    assert "Sign the decision" not in page.text and "Meaning of your signature" not in page.text
    page_in(physician, f"/patients/{pid}", lang, EXPECTED[lang]["patient"])
    form = page_in(
        physician, f"/patients/{pid}/screening/findings/new", lang, EXPECTED[lang]["findings"]
    )
    assert "Active tuberculosis" not in form.text


REFUSED = {
    "de": ["nennen Sie die alternative Diagnose", "geben Sie das Datum an (TB-Screening)"],
    "ru": ["укажите альтернативный диагноз", "укажите дату (скрининг на туберкулёз)"],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_findings_services_refusals_read_in_the_readers_language(page_as, make_patient, lang):
    from respira.kit.validation import today_utc
    from tests.screening.screening_helpers import good_findings_values

    physician = page_as("physician")
    pid = make_patient()
    data = good_findings_values(
        today_utc(), alternative_diagnosis="yes", tb_screening_on=None, egfr_ml_min_1_73m2="72"
    )
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    r = physician.post_form(
        f"/patients/{pid}/screening/findings?lang={lang}", data, csrf_from=f"/patients/{pid}"
    )
    assert r.status_code == 422
    assert all(text in r.text for text in REFUSED[lang]), r.text
    assert "name the alternative diagnosis" not in r.text and "give the date of" not in r.text
