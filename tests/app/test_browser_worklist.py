"""In real Chromium (issue 14): a physician's worklist shows a screening waiting; they
open it from the worklist and sign it with their password; a second physician retracts
the ACT it used; the first physician's worklist and the screening page now say the
evidence changed."""

from __future__ import annotations

import pytest

from respira.app import demo
from respira.kit.validation import today_utc
from tests.app.test_worklists import ALL_PARTS, visit_with
from tests.conftest import PASSWORD
from tests.screening.screening_helpers import good_findings_values
from tests.screening.test_screening_api import evaluate

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login?next=/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")


def _item(page, label: str):
    """The worklist section whose heading is ``label``."""
    return page.locator("section.work", has=page.locator("h2", has_text=label))


def test_the_worklist_follows_a_screening_from_waiting_to_changed_evidence(
    db, live_server, chromium, api_as, make_patient
):
    doc = api_as("physician")
    pid = make_patient(first_name="Wilma", last_name="Worklist", height_cm=168.0)
    ids = visit_with(db, pid, ALL_PARTS)
    r = doc.post(
        f"/api/v1/patients/{pid}/screening-findings", json=good_findings_values(today_utc())
    )
    assert r.status_code == 201, r.text
    screening = evaluate(doc, pid)
    assert screening["decision"] == "eligible", screening["reasons"]
    sid = screening["id"]
    link = f"a[href='/screenings/{sid}']"

    # --- the physician finds the screening waiting on their worklist and signs it -------
    first = chromium.new_context(locale="en-GB")
    page = first.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, live_server, doc.account.email)
    waiting = _item(page, "Screenings waiting for the signature")
    assert waiting.locator(".work-count").inner_text() == "1"
    assert "Worklist, Wilma" in waiting.locator(link).inner_text()
    assert _item(page, "Signed screenings whose evidence changed").locator(link).count() == 0
    waiting.locator(link).click()
    page.wait_for_url(f"{live_server}/screenings/{sid}")
    page.check("input[name=meaning][value='approved eligibility']")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Sign the decision')")
    page.wait_for_selector("text=Signature stored. This decision can no longer change.")
    assert page.locator("#evidence-changed").count() == 0
    page.goto(f"{live_server}/")
    assert _item(page, "Screenings waiting for the signature").locator(link).count() == 0
    assert (
        _item(page, "Screenings waiting for the signature").locator(".work-count").inner_text()
        == "0"
    )

    # --- a second physician retracts the ACT the screening used -------------------------
    colleague = api_as("physician")
    second = chromium.new_context(locale="en-GB")
    other = second.new_page()
    other.set_default_timeout(10_000)
    _sign_in(other, live_server, colleague.account.email)
    other.goto(f"{live_server}/visits/{ids['visit']}")
    record = other.locator(f"#questionnaires-{ids['questionnaires']}")
    record.locator("summary:has-text('Retract this record')").click()
    record.locator("input[name=reason]").fill("ACT entered on the wrong patient")
    record.locator("button:has-text('Retract')").click()
    other.wait_for_url(f"{live_server}/visits/{ids['visit']}?saved=retracted*")
    assert (
        "Entered in error" in other.locator(f"#questionnaires-{ids['questionnaires']}").inner_text()
    )
    second.close()

    # --- the first physician's worklist and the screening page say the evidence changed --
    page.goto(f"{live_server}/")
    changed = _item(page, "Signed screenings whose evidence changed")
    assert changed.locator(".work-count").inner_text() == "1"
    row = changed.locator("li.work-row")
    assert "Overdue" in row.inner_text()
    assert "a record it used was retracted or superseded" in row.inner_text()
    # The most urgent item comes first.
    assert (
        page.locator("section.work h2")
        .first.inner_text()
        .startswith("Signed screenings whose evidence changed")
    )
    changed.locator(link).click()
    page.wait_for_url(f"{live_server}/screenings/{sid}")
    warning = page.locator("#evidence-changed").inner_text()
    assert "The evidence changed after this screening was signed." in warning
    assert "ACT entered on the wrong patient" in warning
    assert "Signed “approved eligibility”" in page.locator("main").inner_text()
    first.close()


def test_every_roles_worklist_fits_390_px_in_each_language(db, live_server, chromium):
    """The demo clinic's accounts: each role's home page at 390 px, in English, German
    and Russian, scrolls no sideways (long names, dates and labels wrap)."""
    clinic = demo.seed(db)
    assert clinic is not None
    for role, email, password in clinic.accounts:
        for lang in ("en", "de", "ru"):
            ctx = chromium.new_context(
                viewport={"width": 390, "height": 844},
                locale=lang,
                extra_http_headers={"Accept-Language": lang},
                device_scale_factor=1,
            )
            page = ctx.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server}/login?next=/")
            page.fill("#email", email)
            page.fill("#password", password)
            page.click("form.narrow button[type=submit]")
            page.wait_for_url(f"{live_server}/")
            page.goto(f"{live_server}/?lang={lang}")
            assert page.locator("html").get_attribute("lang") == lang
            if role != "patient":
                assert page.locator("section.work").count() > 0, (role, lang)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{role} ({lang}): the home page is {width} px wide"
            ctx.close()
