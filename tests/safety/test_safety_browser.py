"""In real Chromium, the safety half of issue 11's walk-through: a nurse records a
grade-3 infusion related reaction on the patient's page and marks it serious (the
stay was prolonged); a physician sees the banner on the next page, opens the event and
signs the initial report, and the banner is gone. The page stays usable at 390 px."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.conftest import browser_sign_in as sign_in

pytestmark = pytest.mark.browser


def test_nurse_records_a_serious_infusion_reaction_and_a_physician_signs_the_report(
    live_server, page, clinic, treated
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, f"/patients/{treated.pid}", clinic.nurse.email)
    page.click("a:has-text('Record an adverse event')")
    page.select_option("#f-term", "Infusion related reaction")
    page.click("button:has-text('Show the grades of this term')")
    assert "Prolonged" in page.locator("label[for=f-grade-3]").inner_text()
    page.check("#f-grade-3")
    page.select_option("#f-administration_id", str(treated.administration_id))
    page.check("#f-criterion-hospitalisation")
    page.select_option("#f-causality", "probable")
    page.fill("#f-action", "infusion stopped; IV antihistamine")
    page.click("button:has-text('Record the adverse event')")
    page.wait_for_load_state()
    heading = page.locator("#event-heading").inner_text()
    assert "Infusion related reaction" in heading and "SERIOUS" in heading
    assert "days left: 15" in page.locator("#initial-clock").inner_text()
    # nothing on the page is wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    event_url = page.url.split("?")[0]

    sign_in(page, live_server, "/safety", clinic.physician.email)
    banner = page.locator(".banner-alert a")
    assert "Serious adverse event awaiting acknowledgement" in banner.inner_text()
    assert treated.mrn in banner.inner_text()
    banner.click()
    page.wait_for_url(event_url)
    page.fill("#f-text", "Grade 3 infusion reaction 20 minutes into the first infusion.")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Sign the report')")
    page.wait_for_load_state()
    assert "The report was signed." in page.locator("main").inner_text()
    assert "signed" in page.locator("#initial-clock").inner_text()
    assert page.locator(".banner-alert").count() == 0
