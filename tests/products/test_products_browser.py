"""In real Chromium, at a phone's width: the laboratory opens a lot waiting for release
from the lab home, tries to sign without a password, signs the release, makes units and
opens a unit's chain of identity."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_lab_releases_a_lot_makes_units_and_reads_a_chain(live_server, page, make_account, lot):
    made = lot()
    acc = make_account("lab", email="lab@clinic.example.org")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/lab")
    page.fill("#email", acc.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/lab")

    page.locator("#h-release").locator("xpath=..").locator(f"text={made['code']}").click()
    page.wait_for_url(f"{live_server}/lab/lots/{made['id']}")
    assert "Every specification passes" in page.locator("main").inner_text()

    page.click("button:has-text('Sign: released for clinical use')")
    assert page.locator("#e-password").count() == 1
    page.fill("form.sign #f-password", PASSWORD)
    page.click("button:has-text('Sign: released for clinical use')")
    page.wait_for_selector("text=Lot released for clinical use (e-signed).")

    page.fill("#f-count", "2")
    page.click("button:has-text('Make units')")
    page.wait_for_selector("text=Units made, each with its DIN.")
    page.locator("#h-units").locator("xpath=..").locator("td a").first.click()
    page.wait_for_selector("#h-chain")
    chain = page.locator("ol.chain").inner_text()
    assert chain.index("donor") < chain.index("release")
    assert "labelled" in chain
