"""What the kit writes on every page, in German and Russian (issue 14): the pager of a
long list, the menu's "Asthma model", a role's refusal, a wrong signature password, and
the name of a refused field that the page does not label."""

from __future__ import annotations

from typing import Any

import pytest

from respira.kit import audit
from respira.kit.errors import Forbidden
from respira.kit.web.templating import field_label, labelled_problem, problem_text
from tests.translated import page_in

PAGER = {
    "de": ["Seite 1 von 2", "Nächste Seite", 'aria-label="Seiten"'],
    "ru": ["Страница 1 из 2", "Следующая страница", 'aria-label="Страницы"'],
}
PAGER_BACK = {"de": "Vorherige Seite", "ru": "Предыдущая страница"}
MENU = {"de": "Asthma-Modell", "ru": "Модель астмы"}
ROLE_REFUSED = {
    "de": "Mit Ihrer Rolle dürfen Sie diese Seite nicht öffnen.",
    "ru": "Вашей роли не разрешено открывать эту страницу.",
}
WRONG_PASSWORD = {
    "de": "Das für die Unterschrift eingegebene Passwort ist nicht richtig.",
    "ru": "Пароль, введённый для подписи, неверен.",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_pager_of_a_long_list_reads_in_the_readers_language(page_as, make_patient, lang):
    for n in range(21):
        make_patient(first_name=f"Anna{n}", email=f"anna{n}@mail.example")
    c = page_as("physician")
    first = page_in(c, "/patients", lang, PAGER[lang])
    assert "Next page" not in first.text and "Page 1 of 2" not in first.text
    page_in(c, "/patients?page=2", lang, [PAGER_BACK[lang]])


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_menu_names_the_asthma_model_in_the_readers_language(page_as, lang):
    page = page_in(page_as("physician"), "/", lang, [MENU[lang]])
    assert "Asthma model" not in page.text


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_a_page_the_role_may_not_open_says_so_in_the_readers_language(page_as, lang):
    r = page_as("coordinator").get(f"/audit?lang={lang}")
    assert r.status_code == 403 and ROLE_REFUSED[lang] in r.text
    assert "your role may not open this page" not in r.text


def test_the_api_keeps_the_english_refusal(api_as):
    r = api_as("coordinator").get("/api/v1/audit")
    assert r.status_code == 403 and r.json()["detail"] == "your role may not use this route"


def test_a_wrong_signature_password_is_refused_in_the_readers_language(db, make_account):
    acc = make_account("physician")
    s = db.session(write=True)
    try:
        signing: dict[str, Any] = {"meaning": "approved", "allowed_meanings": {"approved"}}
        with pytest.raises(Forbidden) as refused:
            audit.esign(
                s, acc.actor, password="wrong", entity_type="thing", entity_id=1, content={},
                **signing,
            )  # fmt: skip
    finally:
        s.rollback()
        s.close()
    message = refused.value.message
    assert message == "the password given for the signature is not correct"  # the API's text
    for lang, text in WRONG_PASSWORD.items():
        assert problem_text(message, lang) == text


def test_a_field_the_page_does_not_label_is_never_named_in_english_words():
    assert field_label("patient_id", "de", None) == "Patienten-ID"  # the catalogue has the words
    assert field_label("patient_id", "ru", None) == "ID пациента"
    assert field_label("retract_markers_37", "de", None) == "Eingabe"
    assert field_label("retract_markers_37", "ru", None) == "Поле"
    assert field_label("retract_markers_37", "en", None) == "retract markers 37"
    line = labelled_problem("zeta_factors.mild", "this was already retracted", "ru", None)
    assert line.startswith("Поле: ")
    line = labelled_problem("severity_factors.mild", "this was already retracted", "de", None)
    assert line.startswith("Faktoren nach Schweregrad: ")  # the words of the group


def test_a_field_of_a_list_takes_the_label_of_its_list():
    # the kit's own form: "date_of_birth" labelled on the patient form
    template = "patients/form.html"
    assert field_label("date_of_birth", "de", template) == "Geburtsdatum"
    assert field_label("date_of_birth.0", "de", template) == "Geburtsdatum"
    assert field_label("date_of_birth_2", "de", template) == "Geburtsdatum"
