"""In real Chromium at 390 px: the audit trail's page never scrolls sideways (its table
scrolls inside its own box), its filters work, and it pages to older records."""

from __future__ import annotations

import pytest

from respira.kit import audit
from respira.kit.actors import Actor
from tests.conftest import browser_sign_in as sign_in

pytestmark = pytest.mark.browser


def test_the_audit_trail_fits_a_390_px_screen_and_filters_by_action(
    live_server, page, db, make_account, make_patient
):
    admin = make_account("admin")
    make_patient()
    dr = Actor(user_id=None, role="physician", name="Dr. Paula Pulmo")
    with db.transaction() as s:
        for i in range(60):
            audit.record(
                s,
                dr,
                entity_type="questionnaire_response",
                entity_id=i,
                action="create",
                after={"instrument": "act", "score": 12.0, "note": "a long note " * 20},
            )
        audit.record(
            s,
            dr,
            entity_type="patient",
            entity_id=1,
            action="update",
            before={"date_of_birth": "1980-03-14"},
            after={"date_of_birth": "1980-03-15"},
        )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "/audit", admin.email)
    assert page.locator("#audit-records tbody tr").count() == 50
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("a[rel=next]")
    page.wait_for_load_state()
    assert page.locator("#audit-records tbody tr").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server}/audit")
    page.click("summary")
    page.select_option("#f-action", "update")
    page.click("button:has-text('Show')")
    page.wait_for_load_state()
    rows = page.locator("#audit-records tbody tr")
    assert rows.count() == 1
    assert "1980-03-14 → 1980-03-15" in rows.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
