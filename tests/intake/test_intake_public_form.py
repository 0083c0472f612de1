"""The public page /consultation: languages, errors beside the fields, the typed values
kept, post/redirect/get, the honeypot, escaping and the size limits."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from respira.intake.messages import CONSENT_TEXT_VERSION
from respira.intake.models import ConsultationRequest, PublicRateHit
from respira.intake.schemas import (
    CONTACT_TIME_MAX,
    DESCRIPTION_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PHONE_INPUT_MAX,
)
from respira.kit.audit import AuditRecord
from tests.intake.helpers import form_data, post_consultation


def stored(db) -> list[ConsultationRequest]:
    with db.session() as s:
        return list(s.scalars(select(ConsultationRequest).order_by(ConsultationRequest.id)))


def error_beside(html: str, field: str) -> str:
    m = re.search(rf'<span class="error" id="e-{field}">([^<]*)</span>', html) or re.search(
        rf'<p class="error" id="e-{field}">([^<]*)</p>', html
    )
    assert m, f"no error beside {field}"
    return m.group(1)


def test_the_form_is_public_and_in_english_by_default(visitor):
    r = visitor().get("/consultation")
    assert r.status_code == 200
    assert r.headers["content-language"] == "en"
    assert "<h1>Ask for a consultation</h1>" in r.text
    assert f'name="consent_text_version" value="{CONSENT_TEXT_VERSION}"' in r.text


def test_the_form_is_in_german_for_a_german_browser(visitor):
    r = visitor(**{"Accept-Language": "de-DE,de;q=0.9"}).get("/consultation")
    assert r.headers["content-language"] == "de"
    assert '<html lang="de">' in r.text
    assert "<h1>Konsultation anfragen</h1>" in r.text
    assert "Ich willige ein" in r.text  # the consent wording, translated
    assert ">Deutschland</option>" in r.text  # country names in German


def test_the_form_is_in_russian_when_chosen_with_the_language_switcher(visitor):
    c = visitor(**{"Accept-Language": "en-GB,en;q=0.9"})
    r = c.get("/language", params={"lang": "ru", "next": "/consultation"})
    assert r.status_code == 200 and r.url.path == "/consultation"
    assert r.headers["content-language"] == "ru"
    assert "<h1>Заявка на консультацию</h1>" in r.text
    assert "Я даю согласие" in r.text
    assert 'value="ru" selected' in r.text  # preferred language defaults to the page's


def test_a_valid_request_is_stored_and_answered_with_a_redirect_to_the_confirmation(db, visitor):
    c = visitor(**{"Accept-Language": "de"})
    r = post_consultation(c, form_data())
    assert r.status_code == 303
    [req] = stored(db)
    assert r.headers["location"] == f"/consultation/thanks?kind=consultation&ref={req.id}"
    page = c.get(r.headers["location"])
    assert page.status_code == 200
    assert "Vielen Dank, Ihre Anfrage wurde gesendet" in page.text
    assert f"Die Nummer Ihrer Anfrage ist {req.id};" in page.text  # the reference
    [req] = stored(db)
    assert (req.name, req.email, req.phone, req.country) == (
        "Katharina Vogel",
        "k.vogel@mail.example",
        "+49301234567",
        "DE",
    )
    assert req.description == "Asthma seit der Kindheit,\nseit zwei Jahren schlecht kontrolliert."
    assert (req.status, req.channel, req.version, req.patient_id) == ("new", "web", 1, None)
    assert req.consent is True
    assert req.consent_text_version == CONSENT_TEXT_VERSION
    assert req.consent_language == "de"
    assert abs((req.consent_given_at - req.created_at).total_seconds()) < 1


def test_the_submission_is_audited_as_made_by_the_public(db, visitor):
    post_consultation(visitor(), form_data())
    with db.session() as s:
        [rec] = s.scalars(
            select(AuditRecord).where(AuditRecord.entity_type == "consultation_request")
        ).all()
    assert (rec.action, rec.actor_role, rec.actor_id) == ("create", "public", None)


def test_a_callback_with_only_name_phone_country_and_consent_is_accepted(db, visitor):
    data = {
        "kind": "callback",
        "name": "Дмитрий",
        "phone": "+7 495 123-45-67",
        "country": "RU",
        "consent": "yes",
        "consent_text_version": CONSENT_TEXT_VERSION,
    }
    r = post_consultation(visitor(**{"Accept-Language": "ru"}), data)
    [req] = stored(db)
    assert r.headers["location"] == f"/consultation/thanks?kind=callback&ref={req.id}"
    assert (req.kind, req.preferred_language, req.email, req.description) == (
        "callback",
        "ru",
        None,
        None,
    )


def test_a_rejected_submission_shows_errors_beside_the_fields_and_keeps_the_input(db, visitor):
    data = form_data(email="nicht-gültig", description="", consent=False, name="Anna <Müller>")
    r = post_consultation(visitor(), data)
    assert r.status_code == 422
    assert error_beside(r.text, "email").startswith("Please enter a valid email address")
    assert error_beside(r.text, "description") == "Please describe your asthma in a few sentences."
    assert error_beside(r.text, "consent") == "We can only process your request with your consent."
    assert 'value="nicht-gültig"' in r.text
    assert 'value="Anna &lt;Müller&gt;"' in r.text
    assert 'value="+49 30 1234567"' in r.text  # as typed, not normalised
    assert '<option value="DE" selected>' in r.text
    assert "werktags ab 18 Uhr" in r.text
    consent_box = re.search(r'<input type="checkbox" id="f-consent"[^>]*>', r.text)
    assert consent_box and "checked" not in consent_box.group(0)  # unticked, as sent
    assert stored(db) == []


def test_form_errors_are_shown_in_german(visitor):
    c = visitor(**{"Accept-Language": "de-DE,de;q=0.9"})
    r = post_consultation(
        c, form_data(email="", phone="", consent=False, name="x" * (NAME_MAX + 1))
    )
    assert r.status_code == 422
    assert "Ihre Anfrage wurde noch nicht gesendet" in r.text
    assert error_beside(r.text, "phone") == (
        "Bitte geben Sie eine E-Mail-Adresse oder eine Telefonnummer an (oder beides)."
    )
    assert error_beside(r.text, "consent") == (
        "Ohne Ihre Einwilligung können wir Ihre Anfrage nicht bearbeiten."
    )
    assert error_beside(r.text, "name") == f"Bitte verwenden Sie höchstens {NAME_MAX} Zeichen."


def test_form_errors_are_shown_in_russian(visitor):
    c = visitor()
    c.cookies.set("respira_lang", "ru")
    r = post_consultation(c, form_data(kind="callback", phone="", country="XX"))
    assert r.status_code == 422
    assert error_beside(r.text, "phone") == "Для обратного звонка нам нужен ваш номер телефона."
    assert error_beside(r.text, "country") == "Пожалуйста, выберите страну из списка."


def test_a_stale_consent_version_asks_to_read_the_consent_again(db, visitor):
    r = post_consultation(visitor(), form_data(consent_text_version="2001-01-01"))
    assert r.status_code == 422
    assert "The consent text has changed" in error_beside(r.text, "consent")
    assert stored(db) == []


def test_a_filled_honeypot_stores_nothing_but_shows_the_normal_confirmation(db, visitor):
    c = visitor()
    r = post_consultation(c, {**form_data(), "website": "http://cheap-pills.example"})
    assert r.status_code == 303
    assert r.headers["location"] == "/consultation/thanks?kind=consultation"
    assert c.get(r.headers["location"]).status_code == 200
    assert stored(db) == []
    with db.session() as s:
        assert s.scalar(select(func.count(AuditRecord.id))) == 0
        assert s.scalar(select(func.count(PublicRateHit.id))) == 1  # a robot is counted


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(visitor):
    html = visitor().get("/consultation").text
    m = re.search(r'<div class="visually-hidden" aria-hidden="true">(.*?)</div>', html, re.S)
    assert m
    assert re.search(
        r'<input id="f-website" name="website" type="text" value="" tabindex="-1" '
        r'autocomplete="off">',
        m.group(1),
    )


def test_text_is_stored_as_typed_and_shown_escaped(db, visitor, page_as):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = post_consultation(visitor(), form_data(name=payload, description=payload + "\nzwei"))
    assert r.status_code == 303
    [req] = stored(db)
    assert req.name == payload and req.description == payload + "\nzwei"
    coordinator = page_as("coordinator")
    for path in ("/consultation-requests", f"/consultation-requests/{req.id}"):
        html = coordinator.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_html_maxlength_matches_the_schema_limits(visitor):
    html = visitor().get("/consultation").text
    for field, limit in [
        ("name", NAME_MAX),
        ("email", EMAIL_MAX),
        ("phone", PHONE_INPUT_MAX),
        ("preferred_contact_time", CONTACT_TIME_MAX),
        ("description", DESCRIPTION_MAX),
    ]:
        m = re.search(rf'id="f-{field}" name="{field}"[^>]*maxlength="(\d+)"', html)
        assert m and int(m.group(1)) == limit, field


def test_the_longest_legitimate_submission_fits_the_body_limit(db, visitor):
    emoji = "\U0001fac1"  # lungs: four bytes in UTF-8, twelve when percent-encoded
    data = form_data(
        name=emoji * NAME_MAX,
        preferred_contact_time=emoji * CONTACT_TIME_MAX,
        description=emoji * DESCRIPTION_MAX,
    )
    assert post_consultation(visitor(), data).status_code == 303
    assert len(stored(db)) == 1


def test_an_oversized_body_is_refused_with_a_translated_page(db, visitor):
    c = visitor(**{"Accept-Language": "de"})
    r = post_consultation(c, {**form_data(), "description": "x" * 70_000})
    assert r.status_code == 413
    assert "Ihre Anfrage ist zu lang" in r.text
    assert stored(db) == []


def test_a_form_without_its_security_token_gets_a_translated_page(db, visitor):
    c = visitor(**{"Accept-Language": "ru"})
    r = c.post("/consultation", data=form_data(), follow_redirects=False)
    assert r.status_code == 403
    assert "Не удалось принять форму" in r.text
    assert 'href="/consultation"' in r.text
    assert stored(db) == []


def test_the_start_page_links_to_the_form(visitor):
    assert 'href="/consultation"' in visitor().get("/").text
