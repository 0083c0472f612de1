"""In real Chromium at a phone's width (390 px): a patient opens their appointments in
German, books a phone call, sees it with its calendar file, and the page never scrolls
sideways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.appointments.conftest import days_ahead
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_patient_books_a_phone_call_on_a_phone_in_german(
    live_server, page: Any, make_slot, make_account
):
    slot = make_slot(days_ahead(3, 10))
    patient = make_account("patient")
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies([{"name": "respira_lang", "value": "de", "url": live_server}])
    page.goto(f"{live_server}/login?next=/my/appointments")
    page.fill("#email", patient.email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/my/appointments")
    assert page.locator("h1").inner_text() == "Meine Termine"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(f"form[action='/appointments/slots/{slot.id}/book'] button")
    page.wait_for_url(f"{live_server}/my/appointments?done=booked")
    main = page.locator("main").inner_text()
    assert "Ihr Termin ist gebucht" in main and "Telefongespräch" in main
    assert page.locator("a[href$='.ics']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
