"""In real Chromium at 390 px: an administrator creates an account and deactivates it,
and changes their own password; no page is wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import browser_sign_in as sign_in

pytestmark = pytest.mark.browser


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_accounts_pages_work_at_390_px(live_server, page, make_account):
    page.set_viewport_size({"width": 390, "height": 844})
    admin = make_account("admin")
    sign_in(page, live_server, "/admin/users", admin.email)
    _fits(page)
    page.fill("#f-name", "Dana Weiss")
    page.fill("#f-email", "dana@clinic.example.org")
    page.select_option("#f-role", "nurse")
    page.fill("#f-password", "amber-otter-lantern-47")
    _submit(page, "form[action='/admin/users'] button[type=submit]")
    assert "The account was created." in page.content()
    _fits(page)
    _submit(page, "text=Dana Weiss")
    _fits(page)
    page.fill("#reason-deactivate", "left the clinic")
    _submit(page, "form[action$='/deactivate'] button[type=submit]")
    assert "inactive" in page.inner_text("#status")
    _fits(page)
    page.goto(f"{live_server}/account/password")
    _fits(page)
    page.fill("#f-current", "wrong password here")
    page.fill("#f-password", "amber-otter-lantern-48")
    page.fill("#f-repeat", "amber-otter-lantern-48")
    _submit(page, "form[action='/account/password'] button[type=submit]")
    assert "this is not your current password" in page.content()
    _fits(page)
