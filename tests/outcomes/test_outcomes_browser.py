"""In real Chromium: a physician opens the outcome report, filters it to adult women,
sees the figures and charts of that cohort (also at a phone's width, 390 px), is told
at the field what cannot be read, and downloads the PDF; a visitor follows the home
page's link to the public page, reads it in German, and at 390 px it does not scroll
sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from respira.outcomes import synthetic
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def registry(db: Any) -> synthetic.SyntheticCounts:
    with db.transaction() as session:
        return synthetic.generate(session, 40, seed=11)


def test_a_physician_filters_the_report_and_downloads_its_pdf(
    live_server, page, make_account, registry
):
    physician = make_account("physician")
    browser_sign_in(page, live_server, "/outcomes/report", physician.email)
    main = page.locator("main")
    assert "Outcome report" in main.inner_text()
    everyone = page.locator("#report-facts dd").first.inner_text()
    assert everyone == str(registry.courses)

    page.click("#filters summary")
    page.select_option("#f-sex", "female")
    page.fill("#f-age_min", "18")
    page.click("button:has-text('Show the report')")
    page.wait_for_url("**/outcomes/report?**sex=female**")
    women = int(page.locator("#report-facts dd").first.inner_text())
    assert 0 < women < registry.courses
    assert page.locator("#f-sex").input_value() == "female"
    assert page.locator("svg#change-act").count() == 1
    assert page.locator("#numbers-change-act tbody tr").count() == 4  # one row per window
    assert "There is no comparison group" in page.locator("#limits").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A value that cannot be read: named at its field, nothing computed.
    page.fill("#f-age_max", "10")
    page.click("button:has-text('Show the report')")
    page.wait_for_load_state()
    assert page.locator("#e-age_max").is_visible()
    assert page.locator("#completeness").count() == 0

    page.fill("#f-age_max", "")
    page.click("button:has-text('Show the report')")
    page.wait_for_load_state()
    with page.expect_download() as info:
        page.click("#pdf")
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert info.value.suggested_filename.endswith("-filtered.pdf")


def test_a_visitor_reads_the_public_page_in_german_on_a_phone(live_server, page, registry):
    page.goto(f"{live_server}/")
    page.click("a[href='/outcomes']")
    page.wait_for_url(f"{live_server}/outcomes")
    page.select_option("#lang-switch", "de")
    page.click("form.lang button[type=submit]")
    page.wait_for_url(f"{live_server}/outcomes")
    main = page.locator("main")
    text = main.inner_text()
    assert "Unsere Ergebnisse – und ihre Grenzen" in text
    assert "Was dies nicht zeigen kann" in text and "Es gibt keine Vergleichsgruppe" in text
    assert "Ansprecher in Monat 12" in text
    assert "synthetische (Demo-)Behandlungen" in text
    assert page.locator("svg#public-change-act").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Wide tables scroll inside their own box instead of the page.
    assert page.locator("#completeness .table-scroll").first.is_visible()
