"""In real Chromium: a physician opens a visit, enters spirometry with FEV1 in millilitres
by mistake, sees the error beside the field, corrects it, adds markers and an ACT, and
sees pattern, bronchodilator response, phenotype and control on the visit page, with
the z-score chart."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.diagnostics.helpers import days_ago

pytestmark = pytest.mark.browser


def test_physician_records_a_visit_and_sees_it_interpreted(
    live_server, page, make_account, make_patient
):
    pid = make_patient()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    acc = make_account("physician", email="paula@clinic.example.org")
    page.goto(f"{live_server}/patients/{pid}")
    page.fill("#email", acc.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/patients/{pid}")
    page.click("text=New visit")
    page.fill("#f-visit_date", days_ago(1))
    page.click("button:has-text('Open visit')")
    page.wait_for_selector("text=Visit opened.")

    page.click("summary:has-text('Add a spirometry session')")
    page.fill("#f-fev1_pre_l", "2100")  # millilitres by mistake
    page.fill("#f-fvc_pre_l", "3.20")
    page.fill("#f-bronchodilator", "salbutamol")
    page.fill("#f-bronchodilator_dose_ug", "400")
    page.fill("#f-fev1_post_l", "2.50")
    page.fill("#f-fvc_post_l", "3.40")
    page.click("button:has-text('Record and interpret')")
    assert "looks like mL" in page.locator("#e-fev1_pre_l").inner_text()
    assert page.input_value("#f-fvc_post_l") == "3.40"
    page.fill("#f-fev1_pre_l", "2.10")
    page.click("button:has-text('Record and interpret')")
    page.wait_for_selector("text=Spirometry recorded and interpreted.")
    assert page.locator("svg.zscore-chart line.lln-line").count() == 1

    page.click("summary:has-text('Add markers and allergy tests')")
    page.fill("#f-blood_eosinophils_per_ul", "420")
    page.fill("#f-feno_ppb", "38")
    page.fill("#f-allergen_1", "house dust mite")
    page.select_option("#f-allergen_result_1", "positive")
    page.click("button:has-text('Record and compute phenotype')")
    page.wait_for_selector("text=Markers recorded; phenotype computed.")

    page.click("summary:has-text('Add ACT')")
    for n, value in enumerate(["3", "3", "2", "3", "3"], start=1):
        page.fill(f"#f-act_{n}", value)
    page.click("#form-act button:has-text('Score and record')")
    page.wait_for_selector("text=Questionnaire scored and recorded.")

    assert page.locator("#finding-pattern").inner_text().startswith("obstruction")
    assert page.locator("#finding-bdr").inner_text().startswith("positive")
    assert page.locator("#finding-phenotype").inner_text() == "allergic and eosinophilic"
    assert page.locator("#finding-control").inner_text() == "ACT 14: very poorly controlled"
    assert not [m for m in console if "Content Security Policy" in m], console
