"""In real Chromium: a coordinator signs in, registers a patient with one invalid field,
sees the error beside it, fixes it, finds the patient through search and edits them."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_coordinator_registers_finds_and_edits_a_patient(live_server, page, make_account):
    acc = make_account("coordinator", email="carla@clinic.example.org")
    page.goto(f"{live_server}/patients")
    assert page.locator("h1").inner_text() == "Sign in"
    page.fill("#email", acc.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/patients")
    page.click("text=Register a patient")
    page.fill("#f-first_name", "Ingrid")
    page.fill("#f-last_name", "Bergström")
    page.fill("#f-date_of_birth", "1968-09-30")
    page.select_option("#f-sex_at_birth", "female")
    page.select_option("#f-country", "SE")
    page.select_option("#f-preferred_language", "sv")
    page.fill("#f-email", "ingrid@mail.example")
    page.fill("#f-height_cm", "1.71")  # metres by mistake
    page.fill("#f-weight_kg", "63")
    page.click("button:has-text('Register patient')")
    error = page.locator("#e-height_cm")
    assert "between 40 and 250 cm" in error.inner_text()
    assert page.locator("#f-height_cm").get_attribute("aria-invalid") == "true"
    assert page.input_value("#f-last_name") == "Bergström"  # what was typed is kept
    page.fill("#f-height_cm", "171")
    page.click("button:has-text('Register patient')")
    page.wait_for_selector("text=Patient registered.")
    mrn = page.locator(".banner .mrn").inner_text()
    assert mrn.startswith("RSP-")

    page.click("nav >> text=Patients")
    page.fill("#q", "bergstr")
    page.click("button:has-text('Search')")
    page.click("text=Bergström, Ingrid")
    assert page.locator(".banner .mrn").inner_text() == mrn
    page.click("text=Edit details")
    page.fill("#f-weight_kg", "65.5")
    page.fill("#f-reason", "weighed at the visit")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("text=Changes saved.")
    assert "65.5 kg" in page.locator("main").inner_text()
    assert "Record version" not in page.content()  # internal version numbers are not shown
