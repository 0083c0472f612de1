"""The first half of the road, end to end, in real Chromium (issue 3):

a person asks for a consultation in German on the public page; a coordinator converts
the request into a patient; a physician records a visit with pre/post spirometry,
markers, an ACT and the treatment history, sees pattern, bronchodilator response,
phenotype and control on the page, records the screening findings, runs the screening
and signs it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _ago(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def _sign_in(page: Any, base: str, path: str, email: str) -> None:
    page.goto(f"{base}{path}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}{path}")


def test_consultation_to_signed_eligibility_decision(live_server, chromium, make_account):
    coordinator = make_account("coordinator", email="carla@clinic.example.org")
    physician = make_account("physician", email="paula@clinic.example.org")

    # --- a person in Germany asks for a consultation, in German -------------------
    visitor = chromium.new_context(
        locale="de-DE", extra_http_headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    )
    page = visitor.new_page()
    page.goto(f"{live_server}/consultation")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Konsultation anfragen"
    page.get_by_label("Ihr Name").fill("Katharina Vogel")
    page.get_by_label("E-Mail-Adresse").fill("k.vogel@mail.example")
    page.get_by_label("Telefonnummer").fill("+49 30 1234567")
    page.get_by_label("Land, in dem Sie leben").select_option("DE")
    page.get_by_label("Ihr Asthma in wenigen Sätzen").fill(
        "Asthma seit der Kindheit, zweimal im Krankenhaus im letzten Jahr, "
        "Notfallspray fast täglich trotz Dauertherapie."
    )
    page.locator("#f-consent").check()
    page.get_by_role("button", name="Anfrage senden").click()
    assert page.locator("h1").inner_text() == "Vielen Dank, Ihre Anfrage wurde gesendet"
    visitor.close()

    # --- the coordinator converts the request into a patient ----------------------
    ctx = chromium.new_context(locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, live_server, "/consultation-requests", coordinator.email)
    page.click("text=Katharina Vogel")
    page.click("text=Convert to patient")
    assert page.input_value("#f-first_name") == "Katharina"
    assert page.input_value("#f-last_name") == "Vogel"
    assert page.input_value("#f-email") == "k.vogel@mail.example"
    assert page.input_value("#f-preferred_language") == "de"
    page.fill("#f-date_of_birth", "1985-03-14")
    page.select_option("#f-sex_at_birth", "female")
    page.fill("#f-height_cm", "168")
    page.fill("#f-weight_kg", "66")
    page.fill("#f-smoking_pack_years", "0")  # unknown smoking would leave screening open
    page.click("button:has-text('Create patient and link the request')")
    page.wait_for_url("**/patients/*?created=1")
    patient_url = page.url.split("?")[0]
    mrn = page.locator(".banner .mrn").inner_text()
    assert mrn.startswith("RSP-")
    ctx.close()

    # --- the physician records the diagnostic work-up ------------------------------
    ctx = chromium.new_context(locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    patient_path = patient_url.removeprefix(live_server)
    _sign_in(page, live_server, patient_path, physician.email)
    assert page.locator(".banner .mrn").inner_text() == mrn
    page.click("text=New visit")
    page.fill("#f-visit_date", _ago(1))
    page.click("button:has-text('Open visit')")
    page.wait_for_selector("text=Visit opened.")

    page.click("summary:has-text('Add a spirometry session')")
    page.fill("#f-fev1_pre_l", "2.10")
    page.fill("#f-fvc_pre_l", "3.30")
    page.fill("#f-bronchodilator", "salbutamol")
    page.fill("#f-bronchodilator_dose_ug", "400")
    page.fill("#f-fev1_post_l", "2.55")
    page.fill("#f-fvc_post_l", "3.45")
    page.click("button:has-text('Record and interpret')")
    page.wait_for_selector("text=Spirometry recorded and interpreted.")

    page.click("summary:has-text('Add markers and allergy tests')")
    page.fill("#f-blood_eosinophils_per_ul", "420")
    page.fill("#f-feno_ppb", "38")
    page.fill("#f-total_ige_iu_ml", "310")
    page.fill("#f-allergen_1", "house dust mite")
    page.select_option("#f-allergen_result_1", "positive")
    page.click("button:has-text('Record and compute phenotype')")
    page.wait_for_selector("text=Markers recorded; phenotype computed.")

    page.click("summary:has-text('Add ACT')")
    for n, value in enumerate(["3", "3", "2", "3", "3"], start=1):
        page.fill(f"#f-act_{n}", value)
    page.click("#form-act button:has-text('Score and record')")
    page.wait_for_selector("text=Questionnaire scored and recorded.")

    page.click("summary:has-text('Add treatment and exacerbation history')")
    form = page.locator("#form-history")
    form.locator("#f-ics_dose_level").select_option("high")
    form.locator("#f-laba").select_option("yes")
    form.locator("#f-lama").select_option("yes")
    form.locator("#f-maintenance_ocs").select_option("no")
    form.locator("#f-biologic").select_option("none")
    form.locator("#f-gina_step").select_option("5")
    form.locator("#f-severe_exacerbations_12m").fill("3")
    form.locator("#f-hospitalisations_12m").fill("2")
    form.locator("#f-last_exacerbation_date").fill(_ago(70))
    form.locator("#f-last_systemic_cs_date").fill(_ago(70))
    form.locator("#f-rescue_puffs_per_week").fill("24")
    form.locator("#f-adherence_confirmed").select_option("yes")
    form.locator("#f-inhaler_technique_confirmed").select_option("yes")
    form.locator("button:has-text('Record history')").click()
    page.wait_for_selector("#history article")

    # What the physician must see, interpreted, on the visit page.
    assert page.locator("#finding-pattern").inner_text().startswith("obstruction")
    assert page.locator("#finding-bdr").inner_text().startswith("positive")
    assert page.locator("#finding-phenotype").inner_text() == "allergic and eosinophilic"
    assert page.locator("#finding-control").inner_text() == "ACT 14: very poorly controlled"
    assert page.locator("svg.zscore-chart line.lln-line").count() == 1

    # --- screening: findings, evaluation, e-signature ------------------------------
    page.goto(patient_url)
    page.click("text=Record screening findings")
    good_yes = {
        "airflow_variability_documented",
        "stable_general_health",
        "informed_consent",
        "decision_capacity",
    }
    for radio in page.locator("input[type=radio][value=no]").all():
        name = radio.get_attribute("name")
        value = "yes" if name in good_yes else "no"
        page.check(f"input[name={name}][value={value}]")
    page.fill("#f-assessed_on", _ago(0))
    page.select_option("#f-tb_screening_result", "negative")
    page.fill("#f-tb_screening_on", _ago(10))
    page.select_option("#f-heart_failure_nyha", "none")
    page.fill("#f-egfr_ml_min_1_73m2", "92")
    page.fill("#f-egfr_measured_on", _ago(10))
    page.select_option("#f-pregnancy_test_result", "negative")
    page.fill("#f-pregnancy_test_on", _ago(1))
    page.click("button:has-text('Save findings')")
    page.wait_for_url("**#screening")

    page.click("button:has-text('Run screening')")
    page.wait_for_selector("#decision")
    assert "Decision: Eligible" in page.locator("#decision").inner_text(), page.locator(
        "main"
    ).inner_text()
    assert "met" in page.locator("#c-uncontrolled_asthma").inner_text()
    assert "met" in page.locator("#c-confirmed_asthma").inner_text()

    page.check("input[name=meaning][value='approved eligibility']")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Sign the decision')")
    page.wait_for_selector("text=Signature stored. This decision can no longer change.")
    assert "approved eligibility" in page.locator("#signature").inner_text()
    assert page.locator("form.sign").count() == 0
    ctx.close()
