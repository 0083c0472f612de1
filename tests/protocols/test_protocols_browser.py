"""In real Chromium, on a phone-sized screen: a physician plans a course for an eligible
patient, meets a limit next to its field, fixes it, approves the course with their
password and opens the printable schedule."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.protocols.helpers import days_from_today

pytestmark = pytest.mark.browser


def _fits(page) -> bool:
    return bool(page.evaluate("document.querySelector('main').scrollWidth <= window.innerWidth"))


def test_physician_plans_approves_and_prints_a_course_at_390px(
    live_server, page, make_account, eligible
):
    pid = eligible()
    acc = make_account("physician", email="paula@clinic.example.org")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/patients/{pid}")
    page.fill("#email", acc.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/patients/{pid}")

    page.click("text=Plan a course")
    page.select_option("select[name=source]", "allogeneic_cord")
    page.fill("input[name=start_date]", days_from_today(7).isoformat())
    page.fill("input[name=stay_days]", "5")
    page.fill("input[name=weight_kg]", "64.5")
    page.fill("input[name='infusions.0.day']", "1")
    page.fill("input[name='infusions.0.dose_million_cells_per_kg']", "1.5")
    page.fill("input[name='infusions.1.day']", "3")
    page.fill("input[name='infusions.1.dose_million_cells_per_kg']", "3.2")
    page.fill("input[name='supporting.physiotherapy.count']", "2")
    page.fill("input[name='supporting.physiotherapy.days']", "2, 4")
    assert _fits(page)
    page.click("button:has-text('Store the draft')")
    error = page.locator("[id='e-infusions.1.dose_million_cells_per_kg']").inner_text()
    assert "above the highest dose of 3.0" in error and "programme limits version 1" in error
    page.fill("input[name='infusions.1.dose_million_cells_per_kg']", "2")
    page.click("button:has-text('Store the draft')")
    page.wait_for_selector("text=Draft stored.")
    main = page.locator("main").inner_text()
    assert "96,750,000" in main and "129,000,000" in main
    assert _fits(page)

    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Approve the course')")
    page.wait_for_selector("text=Course approved.")
    assert "Signed “approved protocol”" in page.locator("#approval").inner_text()

    page.click("text=Printable day-by-day schedule")
    page.wait_for_selector("#medication")
    assert "Continue your regular asthma medication" in page.locator("#medication").inner_text()
    assert page.locator("ol.days > li").count() == 5
    assert _fits(page)
