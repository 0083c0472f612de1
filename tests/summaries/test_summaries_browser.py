"""In real Chromium: a physician opens the patient's page, starts a discharge summary,
writes the recommendations, signs it with the password and downloads the PDF; the
patient signs in and downloads the same PDF from their own page, /my/summaries. Both
pages stay usable at 390 px."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.conftest import browser_sign_in as sign_in

pytestmark = pytest.mark.browser


def _download(page: Any, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def test_a_physician_signs_a_discharge_summary_and_the_patient_downloads_it(
    live_server, page, sc, road
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, f"/patients/{road.pid}", sc.physician.email)
    page.click("#summaries summary")
    page.select_option("#f-kind", "discharge")
    page.select_option("#f-language", "de")
    page.click("button:has-text('Start the draft')")
    page.wait_for_load_state()
    assert "The draft was started" in page.locator("main").inner_text()
    assert page.locator("#section-diagnosis").count() == 1
    page.fill("#f-recommendations", "Weiter mit der bisherigen Inhalationstherapie.")
    page.click("button:has-text('Save the draft')")
    page.wait_for_load_state()
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Sign the summary')")
    page.wait_for_load_state()
    assert "The summary was signed." in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    signed_hash = page.locator("dd.hash").inner_text().strip()
    physician_pdf = _download(page, "#pdf")
    assert physician_pdf.startswith(b"%PDF-")
    assert hashlib.sha256(physician_pdf).hexdigest() == signed_hash
    assert _download(page, "#pdf-en").startswith(b"%PDF-")

    sign_in(page, live_server, "/my/summaries", road.patient.email)
    assert "Entlassungsbericht" in page.locator("main").inner_text()  # the patient's language
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    patient_pdf = _download(page, "a.pdf-link >> nth=0")
    assert patient_pdf == physician_pdf
