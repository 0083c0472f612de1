"""A person submits a consultation request in German through the real page, in
Chromium: language switcher, a first attempt with errors shown in German beside the
fields (what was typed is kept), then the confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from respira.intake.messages import CONSENT_TEXT_VERSION
from respira.intake.models import ConsultationRequest

pytestmark = pytest.mark.browser


def test_a_person_submits_a_consultation_request_in_german(live_server, page, db):
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Ask for a consultation or a call-back").click()
    assert page.locator("h1").inner_text() == "Ask for a consultation"

    page.select_option("#lang-switch", "de")
    page.get_by_role("button", name="Change").click()
    assert page.locator("h1").inner_text() == "Konsultation anfragen"
    assert page.locator("html").get_attribute("lang") == "de"

    # The honeypot sits in a 1×1 px clipped box: a person never sees it.
    trap = page.locator("div.visually-hidden", has=page.locator("#f-website"))
    box = trap.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1
    assert trap.evaluate("e => getComputedStyle(e).overflow") == "hidden"

    assert page.get_by_label("Online-Konsultation mit einer Ärztin oder einem Arzt").is_checked()
    page.get_by_label("Ihr Name").fill("Katharina Vogel")
    page.get_by_label("E-Mail-Adresse").fill("k.vogel@mail.example")
    page.get_by_label("Telefonnummer").fill("+49 30 1234567")
    page.get_by_label("Land, in dem Sie leben").select_option("DE")
    assert page.get_by_label("Sprache unserer Antwort").input_value() == "de"
    page.get_by_label("Wann erreichen wir Sie am besten?").fill("werktags ab 18 Uhr")
    page.get_by_label("Ihr Asthma in wenigen Sätzen").fill(
        "Asthma seit der Kindheit.\nZweimal im Krankenhaus im letzten Jahr."
    )
    page.get_by_role("button", name="Anfrage senden").click()  # consent not yet given

    alert = page.locator("#form-errors")
    assert "Ihre Anfrage wurde noch nicht gesendet" in alert.inner_text()
    assert page.locator("#e-consent").inner_text() == (
        "Ohne Ihre Einwilligung können wir Ihre Anfrage nicht bearbeiten."
    )
    assert page.get_by_label("Ihr Name").input_value() == "Katharina Vogel"
    assert page.get_by_label("Ihr Asthma in wenigen Sätzen").input_value() == (
        "Asthma seit der Kindheit.\nZweimal im Krankenhaus im letzten Jahr."
    )
    alert.get_by_role("link").first.click()  # the summary links to the field
    assert page.url.endswith("#f-consent")
    page.locator("#f-consent").check()
    page.get_by_role("button", name="Anfrage senden").click()

    assert page.locator("h1").inner_text() == "Vielen Dank, Ihre Anfrage wurde gesendet"
    assert "/consultation/thanks?kind=consultation&ref=" in page.url

    with db.session() as s:
        [req] = s.scalars(select(ConsultationRequest)).all()
    assert (req.name, req.kind, req.country, req.preferred_language) == (
        "Katharina Vogel",
        "consultation",
        "DE",
        "de",
    )
    assert req.description == "Asthma seit der Kindheit.\nZweimal im Krankenhaus im letzten Jahr."
    assert (req.consent, req.consent_language, req.consent_text_version, req.channel) == (
        True,
        "de",
        CONSENT_TEXT_VERSION,
        "web",
    )
