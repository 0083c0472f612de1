"""In real Chromium on a phone-sized screen (390 px): a German-speaking patient opens the
invitation's one-time link, chooses a password, finds their page and writes to the care
team; a nurse sees the thread waiting in the queue and answers; the patient, signed in
with the new password, sees the answer. No page scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest

from respira.kit.actors import Actor
from respira.portal import service
from tests.conftest import browser_sign_in as sign_in
from tests.portal.portal_helpers import invitations, token_in

pytestmark = pytest.mark.browser
NEW_PASSWORD = "lighthouse on the hill"


def fits(page: Any) -> bool:
    width: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return width


def test_a_patient_joins_by_the_invitation_and_writes_to_the_care_team_on_a_phone(
    live_server, page, db, make_patient, make_account
):
    page.set_viewport_size({"width": 390, "height": 844})
    pid = make_patient(first_name="Jana", email="jana@mail.example", preferred_language="de")
    nurse = make_account("nurse")
    with db.transaction() as s:
        service.invite(s, Actor.system("test"), pid)
    [email] = invitations(db, pid)

    page.goto(f"{live_server}/login/link/{token_in(email.text)}")
    page.wait_for_url(f"{live_server}/my/password/new")
    assert fits(page)
    page.fill("#f-password", NEW_PASSWORD)
    page.fill("#f-repeat", NEW_PASSWORD)
    page.click("button:has-text('Passwort speichern')")
    page.wait_for_url(f"{live_server}/my?password=1")
    assert "Ihr Passwort ist gespeichert" in page.locator("main").inner_text()
    assert fits(page)

    page.click("a:has-text('Ihrem Behandlungsteam schreiben')")
    page.fill("#f-subject", "Husten in der Nacht")
    page.fill("#f-body", "Seit zwei Nächten huste ich gegen 3 Uhr.")
    page.click("main button:has-text('Senden')")
    page.wait_for_url("**/my/messages/*?sent=1")
    assert "Ihre Nachricht wurde an Ihr Behandlungsteam gesendet." in page.content()
    assert fits(page)

    sign_in(page, live_server, "/messages", nurse.email)
    assert "waiting 0 min" in page.locator("main").inner_text()
    assert fits(page)
    page.click("a:has-text('Husten in der Nacht')")
    page.fill("#f-body", "Bitte messen Sie morgens Ihren Peak-Flow und rufen Sie uns an.")
    page.click("button:has-text('Send')")
    page.wait_for_load_state()
    assert "Answered." in page.locator("main").inner_text()
    assert fits(page)

    sign_in(page, live_server, "/my", "jana@mail.example", NEW_PASSWORD)
    assert "Neue Nachrichten von Ihrem Behandlungsteam: 1" in page.locator("main").inner_text()
    page.click("a:has-text('Husten in der Nacht')")
    assert "Peak-Flow" in page.locator("main").inner_text()
    assert fits(page)
