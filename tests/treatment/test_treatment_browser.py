"""In real Chromium, the road from the protocol to the bedside: a physician approves a
course; the laboratory records the last QC result, releases the lot and prints a unit's
label (a PDF); a nurse scans the wrong patient's unit and is refused, then scans the
right one and records the administration."""

from __future__ import annotations

import re

import pytest

from respira.kit.db import utcnow
from tests.conftest import PASSWORD
from tests.conftest import browser_sign_in as sign_in
from tests.treatment.treatment_helpers import clinic_input

pytestmark = pytest.mark.browser


def test_course_approved_lot_released_and_the_nurse_gives_the_right_unit(live_server, page, clinic):
    # Two patients: P, whose course the physician approves now, and Q, already planned.
    p = clinic.eligible_patient()
    draft = clinic.course(p, approve=False)
    q = clinic.eligible_patient()
    q_course = clinic.course(q, infusion_days=(1,), nebulisation_days=())
    q_din = clinic.lot(units=1)[0]
    clinic.prepare(q_course, [q_din])
    # P's lot waits in quarantine for its last QC result (the karyotype).
    p_dins = clinic.lot(units=2, release=False, skip_qc=("karyotype",))

    # The physician approves P's course with the e-signature.
    sign_in(page, live_server, f"/courses/{draft.id}", clinic.physician.email)
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Approve the course')")
    page.wait_for_load_state()
    assert "approved" in page.locator("main").inner_text().lower()

    # The laboratory records the karyotype, releases the lot and prints a label.
    lot_id = clinic.lot_ids[p_dins[0]]
    sign_in(page, live_server, f"/lab/lots/{lot_id}", clinic.lab.email)
    page.select_option("#f-attribute", "karyotype")
    page.fill("#f-value", "normal")
    page.fill("#f-method", "G-banding")
    page.click("button:has-text('Store result')")
    page.wait_for_load_state()
    page.fill("form[action$='/release'] input[name=password]", PASSWORD)
    page.click("button:has-text('Sign: released for clinical use')")
    page.wait_for_load_state()
    assert "released" in page.locator("main").inner_text().lower()
    href = page.locator(f"a:has-text('Print label {p_dins[0]}')").get_attribute("href")
    label = page.request.get(f"{live_server}{href}")
    assert label.status == 200
    assert label.headers["content-type"].startswith("application/pdf")
    assert label.body().startswith(b"%PDF")
    clinic.prepare(draft, p_dins[:1])

    # The nurse scans P's wristband with Q's unit: NO-GO, with the reason in words.
    p_mrn = clinic.mrn(p)
    sign_in(page, live_server, "/ward/bedside-check", clinic.nurse.email)
    page.fill("#f-patient_code", p_mrn)
    page.fill("#f-din", q_din)
    page.click("button:has-text('Check')")
    answer = page.locator("#answer")
    assert "NO-GO" in answer.inner_text() and "Do not give this unit" in answer.inner_text()
    assert "course" in page.locator("#reasons").inner_text()

    # Then P's own unit: GO, and the administration is recorded.
    page.fill("#f-patient_code", p_mrn)
    page.fill("#f-din", p_dins[0])
    page.click("button:has-text('Check')")
    assert re.search(r"\bGO\b", page.locator("#h-answer").inner_text())
    assert "NO-GO" not in page.locator("#h-answer").inner_text()
    page.click("text=Record the administration")
    now = utcnow()
    page.fill("#f-started_at", clinic_input(now))
    page.fill("#f-ended_at", clinic_input(now))
    page.fill("#f-volume_ml", "50")
    page.fill("#f-rate_ml_per_h", "150")
    page.fill("#f-witness_email", clinic.witness.email)
    page.fill("#f-before-temperature_c", "36.7")
    page.fill("#f-before-heart_rate_bpm", "72")
    page.fill("#f-after-temperature_c", "37.2")
    page.click("button:has-text('Record administration')")
    page.wait_for_selector("text=Administration recorded.")
    assert p_dins[0] in page.locator("main").inner_text()

    # The ward board fits a phone held by the bed (390 px): nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/ward")
    assert clinic.mrn(p) in page.locator("main").inner_text()
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
