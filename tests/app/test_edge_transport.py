"""HTTPS by default (Secure cookies, Strict-Transport-Security) unless the operator runs
plain HTTP on this machine, and only the clinic's own host names answered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from respira.kit.config import Settings, get_settings
from respira.kit.web.middleware import host_allowed
from tests.conftest import PageClient, sign_in

CLINIC = "https://clinic.example.org"


def test_secure_cookies_are_the_default():
    s = Settings(insecure_http_localhost=False)
    assert s.cookie_secure is True


def test_plain_http_must_be_asked_for_and_only_on_this_machine():
    with pytest.raises(ValidationError, match="insecure_http_localhost=true instead"):
        Settings(insecure_http_localhost=False, cookie_secure=False)
    with pytest.raises(ValidationError, match=r"public_base_url must name 127\.0\.0\.1"):
        Settings(insecure_http_localhost=True, public_base_url=CLINIC)
    s = Settings(insecure_http_localhost=True, public_base_url="http://localhost:8000")
    assert s.cookie_secure is False


def test_allowed_hosts_default_to_the_public_address_and_this_machine():
    s = Settings(insecure_http_localhost=False, public_base_url=CLINIC, allowed_hosts=[])
    assert s.allowed_hosts == ["clinic.example.org", "127.0.0.1", "localhost"]


def test_allowed_hosts_are_read_comma_separated(monkeypatch):
    monkeypatch.setenv("RESPIRA_ALLOWED_HOSTS", "Clinic.Example.org, *.respira.example")
    s = Settings()
    assert s.allowed_hosts == ["clinic.example.org", "*.respira.example"]
    assert host_allowed("ward.respira.example", s.allowed_hosts)
    assert not host_allowed("respira.example.evil", s.allowed_hosts)
    assert not host_allowed("evil.example", s.allowed_hosts)


@pytest.fixture
def https_app(db, monkeypatch) -> Iterator[object]:
    """The app as deployed: HTTPS at the clinic's address, default hosts."""
    from respira.app.factory import create_app

    monkeypatch.setenv("RESPIRA_INSECURE_HTTP_LOCALHOST", "false")
    monkeypatch.setenv("RESPIRA_PUBLIC_BASE_URL", CLINIC)
    monkeypatch.setenv("RESPIRA_ALLOWED_HOSTS", "")
    get_settings.cache_clear()
    yield create_app(get_settings(), db=db)
    get_settings.cache_clear()


def test_https_answers_carry_hsts_and_secure_cookies(https_app, make_account):
    c = PageClient(https_app, base_url=CLINIC)
    r = c.get("/login")
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    assert "secure" in r.headers["set-cookie"].lower()  # the visitor's CSRF cookie
    sign_in(c, make_account("admin"))
    assert c.get("/patients").status_code == 200  # the Secure session cookie came back
    c.close()


def test_the_session_cookie_is_marked_secure(https_app, make_account):
    account = make_account("admin")
    c = PageClient(https_app, base_url=CLINIC)
    token = c.csrf("/login")
    r = c.post(
        "/login",
        data={"email": account.email, "password": account.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookies = r.headers.get_list("set-cookie")
    session = [h for h in cookies if h.startswith("respira_session=")]
    assert session and "secure" in session[0].lower()
    c.close()


def test_a_forged_host_is_refused(https_app):
    with TestClient(https_app, base_url="https://evil.example") as c:
        page = c.get("/login", follow_redirects=False)
        api = c.get("/api/v1/patients")
    assert page.status_code == 400
    assert "Unknown host" in page.text
    assert api.status_code == 400
    assert api.json()["detail"] == "this server does not answer to the host named in the request"
    with TestClient(https_app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/healthz").status_code == 200


def test_plain_http_on_this_machine_has_no_hsts_and_no_secure_cookies(client):
    r = client.get("/login")
    assert "strict-transport-security" not in r.headers
    assert "secure" not in r.headers["set-cookie"].lower()
