"""The web shell: health check, security headers, the access log, errors and the
language switcher."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from respira.app.factory import create_app
from respira.kit.db import Database
from tests.conftest import patient_data


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-directory/respira.kit.db",
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
    ],
)
def test_healthz_answers_503_when_the_database_is_unreachable(settings, url):
    app = create_app(settings, db=Database(url))
    with TestClient(app) as c:
        r = c.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "error", "database": "unreachable"}


def test_security_headers_on_pages_and_api(client):
    for path in ["/", "/login", "/healthz", "/api/v1/patients"]:
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["cache-control"] == "no-store"


def test_pages_contain_no_inline_script_or_style(page_as, make_patient):
    c = page_as("coordinator")
    pid = make_patient()
    for path in ["/", "/patients", f"/patients/{pid}", f"/patients/{pid}/edit", "/patients/new"]:
        html = c.get(path).text
        assert "<script" not in html and "<style" not in html and " style=" not in html, path


def test_static_stylesheet_is_served_and_cacheable(client):
    r = client.get("/static/respira.css")
    assert r.status_code == 200 and "text/css" in r.headers["content-type"]
    assert "no-store" not in r.headers.get("cache-control", "")


def test_no_patient_data_reaches_the_logs(api_as, page_as, caplog):
    caplog.set_level(logging.DEBUG)
    c = api_as("coordinator")
    data = patient_data(
        first_name="Zenobia", last_name="Quixotic", email="zq@mail.example", phone="+44 20 79460000"
    )
    pid = c.post("/api/v1/patients", json=data).json()["id"]
    c.get("/api/v1/patients", params={"q": "Quixotic"})
    c.patch(f"/api/v1/patients/{pid}", json={"last_name": "Quixotica"}, headers={"If-Match": "1"})
    c.post("/api/v1/patients", json={**data, "height_cm": 5000})
    p = page_as("coordinator")
    p.get("/patients", params={"q": "Zenobia"})
    p.get(f"/patients/{pid}")
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "respira.access" in {r.name for r in caplog.records}, "the access log is on"
    for secret in ["Zenobia", "Quixotic", "zq@mail.example", "79460000", "1979-04-12"]:
        assert secret not in logged


def test_access_log_names_the_route_template_not_the_path(api_as, caplog, make_patient):
    caplog.set_level(logging.INFO, logger="respira.access")
    pid = make_patient()
    api_as("physician").get(f"/api/v1/patients/{pid}")
    lines = [r.getMessage() for r in caplog.records if r.name == "respira.access"]
    assert any(line.startswith("GET /api/v1/patients/{patient_id} 200") for line in lines)


def test_unknown_page_is_a_404_page_and_unknown_api_path_is_json(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "<h1>Not found</h1>" in r.text
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_language_switcher_sets_a_cookie_and_returns_to_a_local_page(client):
    r = client.get("/language", params={"lang": "en", "next": "/login"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "respira_lang=en" in r.headers["set-cookie"]
    r = client.get(
        "/language", params={"lang": "en", "next": "https://evil.example/"}, follow_redirects=False
    )
    assert r.headers["location"] == "/"


def test_pages_declare_their_language(client):
    r = client.get("/login")
    assert r.headers["content-language"] in r.text[:200] or '<html lang="' in r.text


def test_database_errors_hide_the_statement_parameters(db):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as err, db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO patients (medical_record_number, first_name) VALUES (:m, :f)"),
            {"m": "RSP-0000000-0", "f": "Zenobia"},
        )
    assert "hidden due to hide_parameters" in str(err.value)


def test_an_unexpected_error_answers_500_and_logs_no_patient_data(api_as, caplog, monkeypatch):
    """PostgreSQL puts the failing row into its error messages ("DETAIL: Failing row
    contains ..."), so an unexpected exception is logged as its type and the code
    locations of its traceback, never its message."""
    from respira.patients import service

    row = ", ".join(["Zeno" + "bia", "Quixotic", "1979-04-12"])  # data, not code

    def boom(*args, **kwargs):
        raise RuntimeError(f"DETAIL: Failing row contains ({row})")

    monkeypatch.setattr(service, "search_patients", boom)
    caplog.set_level(logging.DEBUG)
    c = api_as("physician")
    r = c.get("/api/v1/patients")
    assert r.status_code == 500
    assert "Zenobia" not in r.text
    assert r.json() == {"detail": "internal error; it has been logged without its data"}
    records = [rec for rec in caplog.records if rec.name == "respira.kit.errors"]
    assert records and "RuntimeError" in records[0].getMessage()
    assert "respira/patients/api.py" in records[0].getMessage()  # where, for the fix
    logged = "\n".join(rec.getMessage() for rec in caplog.records) + "".join(
        str(rec.exc_info) for rec in caplog.records
    )
    assert "Zenobia" not in logged


def test_a_favicon_is_linked_and_served_and_no_version_number_is_shown(client):
    page = client.get("/consultation/thanks?kind=consultation&ref=42").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/static/favicon.ico"' in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    for path in ("/favicon.ico", "/static/favicon.ico"):
        ico = client.get(path)
        assert ico.status_code == 200 and ico.content[:4] == b"\x00\x00\x01\x00", path
    # The thank-you page gives the request's reference; the footer no version number.
    assert "The reference of your request is 42;" in page
    from respira import __version__

    assert __version__ not in client.get("/").text
