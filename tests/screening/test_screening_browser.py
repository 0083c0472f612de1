"""In real Chromium: a physician updates the screening findings, runs the screening,
reviews the decision and the criteria, tries to sign without a password, and signs."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_physician_records_findings_runs_and_signs_a_screening(
    live_server, page, make_account, candidate
):
    pid = candidate(findings={"thrombosis_risk": "unknown"})
    acc = make_account("physician", email="paula@clinic.example.org")
    page.goto(f"{live_server}/patients/{pid}")
    page.fill("#email", acc.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/patients/{pid}")

    page.click("text=Record screening findings")
    # The form starts from the newest findings; the physician answers one open question.
    assert page.is_checked("input[name=pneumonia][value=no]")
    assert page.is_checked("input[name=thrombosis_risk][value=unknown]")
    page.check("input[name=thrombosis_risk][value=no]")
    page.click("button:has-text('Save findings')")
    page.wait_for_url(f"{live_server}/patients/{pid}?findings=1#screening")

    page.click("button:has-text('Run screening')")
    page.wait_for_selector("#decision")
    assert "Decision: Eligible" in page.locator("#decision").inner_text()
    assert "respira-default-2026.12" in page.locator("main").inner_text()
    row = page.locator("#c-thrombosis_risk")
    assert "met" in row.inner_text() and "thrombosis risk factor: no" in row.inner_text()

    page.check("input[name=meaning][value='approved eligibility']")
    page.click("button:has-text('Sign the decision')")
    assert "enter your password to sign" in page.locator("#e-password").inner_text()
    page.check("input[name=meaning][value='approved eligibility']")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Sign the decision')")
    page.wait_for_selector("text=Signature stored. This decision can no longer change.")
    signature = page.locator("#signature").inner_text()
    assert "Signed “approved eligibility” by Physician" in signature
    assert "matches the stored screening" in signature
    assert page.locator("form.sign").count() == 0
