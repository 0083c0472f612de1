"""The route guard (``respira.kit.web.limits``): request bodies limited before any route
reads them, no body read for a protected route without a credential, ids out of range
answered 404 and NUL characters 422, on every route of the app, never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

from respira.app.factory import routers
from respira.kit.web.limits import MAX_ID, body_limit, route_inputs
from tests.conftest import PageClient, api_token, patient_data, sign_in

MiB = 1024 * 1024


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


# --- body limits -------------------------------------------------------------------------


def test_a_json_body_over_the_default_limit_answers_413_before_parsing(api_as):
    admin = api_as("admin")
    body = {**patient_data(), "notes": "x" * (MiB + 10)}
    r = admin.post("/api/v1/patients", json=body)
    assert r.status_code == 413
    assert r.json() == {"detail": "the request body is larger than 1 MiB"}


def test_a_streamed_body_is_counted_as_it_arrives(api_as, db):
    admin = api_as("admin")
    r = admin.post(
        "/api/v1/patients",
        content=_chunks(2 * MiB),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert "Content-Length" not in r.request.headers  # chunked, counted as it came


def test_a_body_within_the_limit_is_served(api_as):
    admin = api_as("admin")
    r = admin.post("/api/v1/patients", json=patient_data())
    assert r.status_code == 201, r.text


def test_a_page_form_over_the_limit_gets_a_page(page_as):
    admin = page_as("admin")
    r = admin.post(
        "/patients",
        data={"csrf_token": admin.csrf("/patients/new"), "first_name": "x" * (MiB + 1)},
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "larger than 1 MiB" in r.text


def test_a_public_form_over_the_limit_answers_413(client):
    r = client.post("/login", data={"email": "a@b.example", "password": "x" * (MiB + 1)})
    assert r.status_code == 413


def test_the_fhir_transaction_takes_more_than_the_default_but_not_without_bound(api_as):
    physician = api_as("physician")
    padded = b'{"resourceType": "Bundle", "type": "transaction", "entry": [], "pad": "'
    body = padded + b"x" * (2 * MiB) + b'"}'
    headers = {"Content-Type": "application/fhir+json"}
    r = physician.post("/fhir", content=body, headers=headers)
    assert r.status_code != 413 and r.status_code < 500, r.text
    r = physician.post("/fhir", content=b"x" * (17 * MiB), headers=headers)
    assert r.status_code == 413
    assert r.json()["resourceType"] == "OperationOutcome"


def test_the_limits_are_declared_in_the_settings(settings):
    by_path = {
        route.path: body_limit(route.path, settings)
        for router in routers()
        for route in router.routes
        if isinstance(route, APIRoute)
    }
    assert by_path["/api/v1/patients"] == settings.max_body_bytes == MiB
    assert by_path["/fhir"] == by_path["/fhir/Bundle"] == 16 * MiB
    assert by_path["/consultation"] == by_path["/api/v1/consultation-requests"] == 64 * 1024
    assert by_path["/consultation-requests/{consultation_request_id}/status"] == 64 * 1024


# --- no body read before authentication ------------------------------------------------


def _asgi_post(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST ``path`` straight into the app with a body of 50 MB that is never sent; the
    status and how many times the app asked for the body."""
    asked = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": b"{" * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    # In a thread of its own: a browser test's Playwright keeps an event loop running in
    # this thread for the rest of the session.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return status, asked


@pytest.mark.parametrize(
    "path",
    ["/api/v1/patients", "/patients", "/fhir", "/api/v1/consultation-requests/1/convert"],
)
def test_an_anonymous_body_to_a_protected_route_is_never_read(app, path):
    json = [(b"content-type", b"application/json"), (b"content-length", b"52428800")]
    status, asked = _asgi_post(app, path, json)
    assert (status, asked) == (401, 0)
    chunked = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    status, asked = _asgi_post(app, path, chunked)
    assert (status, asked) == (401, 0)


def test_an_invalid_token_is_still_refused_by_the_access_check(app, client):
    headers = [(b"authorization", b"Bearer not-a-token"), (b"content-length", b"52428800")]
    status, _ = _asgi_post(app, "/api/v1/patients", headers)
    assert status == 401
    r = client.post(
        "/api/v1/patients", json=patient_data(), headers={"Authorization": "Bearer nope"}
    )
    assert r.status_code == 401
    assert r.json()["detail"] == "the token is invalid, expired or revoked"


def test_a_signed_in_caller_over_the_limit_is_refused_without_reading_on(app, api_as):
    admin = api_as("admin")
    token = admin.headers["Authorization"].encode()
    headers = [(b"authorization", token), (b"content-length", b"52428800")]
    assert _asgi_post(app, "/api/v1/patients", headers) == (413, 0)
    streamed = [(b"authorization", token), (b"content-type", b"application/json")]
    status, asked = _asgi_post(app, "/api/v1/patients", streamed)
    assert status == 413
    assert asked * 65536 <= MiB + 65536  # stopped at the limit, not at 50 MB


# --- ids and NUL: every route, as admin and as a patient, on each database ---------------

# Beyond PostgreSQL's integer, beyond SQLite's 64 bits, and below both.
HUGE = (2**31, 10**30, -(2**63) - 1)


def _requests(route: APIRoute, inputs: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Requests to ``route`` with each kind of out-of-range input."""
    names = [p.alias for p in route.dependant.path_params]
    queries = {p.alias: p.alias in inputs.int_query for p in _query_params(route)}
    for method in sorted(route.methods - {"HEAD"}):
        values: list[str] = [str(n) for n in HUGE] + ["1%00"]
        for value in values:
            path = route.path
            for name in names:
                path = path.replace("{" + name + "}", value)
            if path != route.path or not names:
                yield method, path, {}
        ids = {n: "1" for n in names}
        base = route.path
        for name, one in ids.items():
            base = base.replace("{" + name + "}", one)
        for name, is_int in queries.items():
            for value in ([str(n) for n in HUGE] if is_int else []) + ["a%00b"]:
                yield method, f"{base}?{quote(name)}={value}", {}
        yield method, f"{base}?q=%00&entity_id=%00&entity_type=patient", {}
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            yield method, base, {"json": {"name": "a\x00b", "note": "\x00"}}
            yield method, base, {"data": {"first_name": "a\x00b", "csrf_token": "\x00"}}
            yield method, base, {"json": {"patient_id": 2**31, "id": 2**63}}


def _query_params(route: APIRoute) -> list[Any]:
    found: list[Any] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        found.extend(dependant.query_params)
        stack.extend(dependant.dependencies)
    return found


@pytest.fixture
def callers(app, make_account) -> Iterator[dict[str, PageClient]]:
    """An admin and a patient, each with a bearer token and a session cookie."""
    out: dict[str, PageClient] = {}
    for role in ("admin", "patient"):
        account = make_account(role)
        c = PageClient(app)
        c.headers["Authorization"] = f"Bearer {api_token(c, account)}"
        sign_in(c, account)
        out[role] = c
    yield out
    for c in out.values():
        c.close()


@pytest.mark.slow
def test_no_route_answers_500_to_huge_ids_or_nul_characters(app, settings, callers, backend):
    errors: list[str] = []
    refused = 0
    for router in routers():
        for route in router.routes:
            assert isinstance(route, APIRoute)
            inputs = route_inputs(route)
            for method, url, kw in _requests(route, inputs):
                for role, c in callers.items():
                    r = c.request(method, url, follow_redirects=False, **kw)
                    if r.status_code >= 500:
                        errors.append(f"{role} {method} {url} {kw}: {r.status_code}")
                    refused += r.status_code in (404, 422)
    assert errors == [], f"{len(errors)} server errors on {backend}:\n" + "\n".join(errors[:40])
    assert refused > 500  # the walk did reach the checks


def test_an_id_beyond_the_bound_is_404_and_a_query_integer_beyond_it_422(api_as):
    admin = api_as("admin")
    assert admin.get(f"/api/v1/patients/{MAX_ID + 1}").status_code == 404
    assert admin.get(f"/api/v1/patients/{MAX_ID}").status_code == 404
    r = admin.get(f"/api/v1/audit?entity_type=patient&entity_id=1&after_seq={MAX_ID + 1}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "after_seq"
    assert admin.get(f"/api/v1/audit?patient_id={2**40}").status_code == 422
    assert admin.get("/api/v1/audit?entity_type=patient&entity_id=1&after_seq=5").status_code == 200


def test_a_nul_in_a_search_or_a_json_string_is_422(api_as):
    admin = api_as("admin")
    r = admin.get("/api/v1/patients?q=ab%00c")
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "text may not contain the NUL character (U+0000)"
    r = admin.post("/api/v1/patients", json=patient_data(first_name="Gr\x00eta"))
    assert r.status_code == 422
    # A backslash followed by the text "u0000" is no NUL character.
    r = admin.post("/api/v1/patients", json=patient_data(last_name="Back\\u0000slash"))
    assert r.status_code == 201, r.text
    assert r.json()["last_name"] == "Back\\u0000slash"
