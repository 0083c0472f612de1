"""In real Chromium at 390 px: a coordinator builds a provisional quote from the patient's
page, makes it and sends it; the Russian-speaking patient signs in, reads it in Russian
in the portal and accepts it; the coordinator issues the invoice; the admin opens the
form of a new price list version. No page is wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import browser_sign_in as sign_in

pytestmark = pytest.mark.browser


def _submit(page: Any, selector: str) -> None:
    """Click and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_quote_is_built_sent_and_accepted_by_the_patient_at_390_px(
    live_server, page, office, make_account
):
    page.set_viewport_size({"width": 390, "height": 844})
    pid = office.patient(preferred_language="ru", first_name="Анна", last_name="Петрова")
    patient = make_account("patient", patient_id=pid)
    sign_in(page, live_server, f"/patients/{pid}", office.coordinator.email)
    page.click("#quote-provisional")
    page.select_option("#f-plan\\.source", "allogeneic_cord")
    page.fill("#f-plan\\.infusions", "2")
    page.fill("#f-plan\\.dose_million_cells_per_kg", "1.0")
    page.fill("#f-plan\\.stay_days", "5")
    _submit(page, "#propose")
    assert page.input_value("#f-qty\\.CELLS-CORD-1") == "2"
    _fits(page)
    page.fill("#f-qty\\.INTERP", "2")
    page.select_option("#f-severity", "moderate")
    page.click("#issue")
    page.wait_for_url(f"{live_server}/quotes/*")
    assert "The quote was made as a draft" in page.locator("#flash").inner_text()
    _fits(page)
    _submit(page, "#send-button")
    assert page.locator("#quote-status [data-state]").get_attribute("data-state") == "sent"
    quote_path = page.url.replace(live_server, "").split("?")[0]
    quote_id = quote_path.rsplit("/", 1)[1]

    sign_in(page, live_server, "/my/quotes", patient.email)
    assert "Мои сметы" in page.locator("main").inner_text()
    _submit(page, f"a[href='/my/quotes/{quote_id}']")
    text = page.locator("main").inner_text()
    assert "Что включено" in text and "Региональные ориентиры" in text
    _fits(page)
    _submit(page, "#accept-button")
    assert "Спасибо" in page.locator("#flash").inner_text()
    assert page.locator("#quote-status [data-state]").get_attribute("data-state") == "accepted"

    sign_in(page, live_server, quote_path, office.coordinator.email)
    _submit(page, "#invoice-button")
    assert "INV-" in page.locator("#invoice-title").inner_text()
    _fits(page)
    sign_in(page, live_server, "/price-lists/new", office.admin.email)
    _fits(page)
