"""In real Chromium at 390 px: a physician turns on two-factor sign-in, keeps the
recovery codes and signs in again with a code; an administrator opens the requirement
by role. No page is wider than the screen."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.accounts.test_accounts_browser_390 import _fits, _submit
from tests.conftest import PASSWORD
from tests.conftest import browser_sign_in as sign_in

pytestmark = pytest.mark.browser


def test_two_factor_pages_work_at_390_px(live_server, page, make_account):
    page.set_viewport_size({"width": 390, "height": 844})
    physician = make_account("physician")
    sign_in(page, live_server, "/account/two-factor", physician.email)
    _fits(page)
    secret = page.inner_text("#secret").replace(" ", "").strip()
    page.fill("#f-code", pyotp.TOTP(secret).now())
    _submit(page, "form[action='/account/two-factor/enable'] button[type=submit]")
    assert len(page.query_selector_all("#recovery-codes li")) == 10
    _fits(page)
    page.context.clear_cookies()
    page.goto(f"{live_server}/account/two-factor")
    page.fill("#email", physician.email)
    page.fill("#password", PASSWORD)
    _submit(page, "form[action='/login'] button[type=submit]")
    assert page.url.endswith("/login/code")
    _fits(page)
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the enrolment spent now()
    _submit(page, "form[action='/login/code'] button[type=submit]")
    assert page.url.endswith("/account/two-factor")
    assert "Unused recovery codes: 10." in page.content()
    _fits(page)
    admin = make_account("admin")
    sign_in(page, live_server, "/admin/two-factor", admin.email)
    _fits(page)
