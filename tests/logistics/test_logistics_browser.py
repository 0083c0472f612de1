"""Issue 9 end to end, in real Chromium: a coordinator builds a quote in EUR from the
approved course of a Russian-speaking patient, sends it, records the patient's
acceptance, books the stay against it (which issues the invoice), completes the airport
pickup and the interpreter, and the kitchen's list of the arrival day shows the
patient's peanut allergy in red and in words; the board and the stay stay within a
phone's width (390 px)."""

from __future__ import annotations

from typing import Any

import pytest

from respira.logistics import service
from respira.quotes import service as quotes_service
from tests.conftest import browser_sign_in
from tests.logistics.logistics_helpers import days
from tests.quotes.quotes_helpers import Billing

pytestmark = pytest.mark.browser


def test_quote_acceptance_stay_and_checklist_reach_the_kitchen_list(
    live_server, page: Any, db, make_patient, make_account, clinic, desk
):
    office = Billing(db, make_patient, make_account, clinic)
    office.prices = office.price_list()
    pid = clinic.eligible_patient(first_name="Ольга", last_name="Смирнова", preferred_language="ru")
    course = clinic.course(pid, start=days(10))
    desk.restrict(pid, "Peanut", "allergy", "severe")
    base = live_server

    browser_sign_in(page, base, f"/patients/{pid}", desk.coordinator.email)
    # The quote, from the approved course, in EUR.
    page.click(f"#quote-from-course-{course.id}")
    page.wait_for_selector("#quote-form")
    page.select_option("#f-severity", "moderate")
    page.click("#issue")
    page.wait_for_selector("#quote-title")
    quote_id = int(page.url.split("/quotes/")[1].split("?")[0])
    assert "EUR" in page.locator("main").inner_text()
    page.click("#send-button")
    page.wait_for_url(f"{base}/quotes/{quote_id}*")
    page.select_option("#accept select[name=how]", "signed_paper")
    page.click("#accept-button")
    page.wait_for_selector("#accepted")

    # The stay, booked against the accepted quote for the course.
    page.goto(f"{base}/patients/{pid}")
    page.click(f"a[href='/logistics/patients/{pid}/stays/new']")
    page.select_option("#f-course_id", str(course.id))
    page.select_option("#f-quote_id", str(quote_id))
    page.click("#book-form button[type=submit]")
    page.wait_for_url(f"{base}/logistics/stays/*?booked=1")
    stay_id = int(page.url.split("/logistics/stays/")[1].split("?")[0])
    open_before = page.locator("#open-items").inner_text()
    assert "Airport pickup and drop-off" in open_before and "Interpreter" in open_before

    # The pickup and the drop-off, confirmed by the driver.
    page.click("#checklist a:has-text('Airport pickup and drop-off')")
    for part in ("pickup", "dropoff"):
        page.fill(f"[name='{part}.driver']", "Jonas Weber")
        page.fill(f"[name='{part}.driver_phone']", "+49 170 5550123")
        page.fill(f"[name='{part}.vehicle']", "Grey VW Caravelle, B-RS 2027")
        page.fill(f"[name='{part}.meeting_point']", "Arrivals, exit B")
        page.check(f"[name='{part}.confirmed']")
    page.select_option("#f-state", "done")
    page.click("#item-form button[type=submit]")
    page.wait_for_url(f"{base}/logistics/stays/{stay_id}?saved=1*")

    # The interpreter: Russian, the patient's language, already proposed.
    page.click("#checklist a:has-text('Interpreter')")
    assert page.input_value("#f-language") == "ru"
    page.fill("#f-interpreter", "Irina Volkova")
    page.select_option("#f-state", "done")
    page.click("#item-form button[type=submit]")
    page.wait_for_url(f"{base}/logistics/stays/{stay_id}?saved=1*")
    open_after = page.locator("#open-items").inner_text()
    assert "Airport pickup" not in open_after and "Interpreter" not in open_after
    assert "Flights" in open_after

    with db.session() as s:
        stay = service.get_stay(s, desk.actor, stay_id)
        [invoice] = quotes_service.list_invoices(s, desk.actor, pid)
    assert (stay.course_id, stay.quote_id) == (course.id, quote_id)
    assert invoice.quote_id == quote_id and invoice.stay_id == stay_id
    assert invoice.currency == "EUR"

    # The kitchen's list of the arrival day, on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/logistics/board?day={stay.arrival_date.isoformat()}")
    allergy = page.locator("#kitchen-list li.abnormal")
    assert allergy.count() == 1
    text = allergy.inner_text()
    assert "ALLERGY" in text and "Peanut" in text and "severe" in text
    assert allergy.evaluate("e => getComputedStyle(e).color") == "rgb(164, 22, 26)"
    arrivals = page.locator("#h-arrivals + .table-scroll").inner_text()
    assert "Смирнова" in arrivals and "confirmed" in arrivals
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{base}/logistics/stays/{stay_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
