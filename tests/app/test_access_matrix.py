"""Least privilege, route by route: every route states who may use it, and every route
is walked with every role and with no credentials.

The access policy is written out by hand, one ``tests/<step>/access_policy.py`` per
step (``POLICY``, and ``access_ids`` for the path parameters its routes take); this
test collects them all. A new route must be added to its step's policy (the first
test fails otherwise), and the app's declaration must equal the policy, so widening
access is always a visible change to a policy file.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from respira.app.factory import routers
from respira.kit.actors import Role
from respira.kit.web.deps import ApiAccess, PageAccess, Public
from tests.conftest import PageClient, api_token, sign_in

PUBLIC = "public"
TESTS = Path(__file__).resolve().parents[1]


def _policies() -> list[Any]:
    """Every step's ``tests/<step>/access_policy.py`` (and the shell's, in tests/app)."""
    return [
        importlib.import_module(f"tests.{path.parent.name}.access_policy")
        for path in sorted(TESTS.glob("*/access_policy.py"))
    ]


def _expected() -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for module in _policies():
        for key, roles in module.POLICY.items():
            assert key not in out, f"{key} is in two steps' policies"
            out[key] = roles
    return out


EXPECTED = _expected()

# Routes the framework adds (the OpenAPI document) have no dependency to read.
FRAMEWORK_ROUTES = {("GET", "/api/v1/openapi.json")}


def _declaration(route: APIRoute) -> Any:
    found = []

    def walk(dependant: Any) -> None:
        for dep in dependant.dependencies:
            if isinstance(dep.call, ApiAccess | PageAccess):
                found.append(dep.call.roles)
            elif isinstance(dep.call, Public):
                found.append(PUBLIC)
            walk(dep)

    walk(route.dependant)
    assert len(found) == 1, f"{route.path} declares its audience {len(found)} times"
    return found[0]


def _routes(app: Any) -> dict[tuple[str, str], APIRoute | None]:
    out: dict[tuple[str, str], APIRoute | None] = {}
    for router in routers():
        for route in router.routes:
            assert isinstance(route, APIRoute), route
            for method in route.methods:
                out[(method, route.path)] = route
    for route in app.routes:
        if getattr(route, "path", None) == "/api/v1/openapi.json":
            out[("GET", route.path)] = None
    return out


def test_every_route_states_its_audience_and_matches_the_policy(app):
    routes = _routes(app)
    assert set(routes) == set(EXPECTED), (
        f"routes missing from the policy: {sorted(set(routes) - set(EXPECTED))}; "
        f"policy rows without a route: {sorted(set(EXPECTED) - set(routes))}"
    )
    for key, route in routes.items():
        if key in FRAMEWORK_ROUTES:
            continue
        assert route is not None
        declared = _declaration(route)
        assert declared == EXPECTED[key], f"{key}: declared {declared}, policy {EXPECTED[key]}"


@pytest.fixture
def ids(make_patient, db) -> dict[str, Any]:
    """A value for every path parameter, naming a record that exists."""
    patient_id = make_patient(first_name="Other", email="other@mail.example")
    found: dict[str, Any] = {"patient_id": patient_id}
    for module in _policies():
        if hasattr(module, "access_ids"):
            found.update(module.access_ids(db, patient_id))
    return found


def _fill(path: str, ids: dict[str, Any]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"no test id for a parameter of {path}"
    return path


def test_every_route_answers_401_403_or_serves_by_role(app, make_account, ids):
    api: dict[str, PageClient] = {}
    pages: dict[str, PageClient] = {}
    for role in Role:
        account = make_account(role)
        a = PageClient(app)
        a.headers["Authorization"] = f"Bearer {api_token(a, account)}"
        api[role] = a
        p = PageClient(app)
        sign_in(p, account)
        pages[role] = p
    anon = PageClient(app)
    failures = []
    for (method, path), policy in EXPECTED.items():
        url = _fill(path, ids)
        is_api = path.startswith(("/api/", "/fhir"))
        for role in [None, *Role]:
            c = anon if role is None else (api[role] if is_api else pages[role])
            kwargs: dict[str, Any] = {"follow_redirects": False}
            if method != "GET" and not is_api:
                kwargs["data"] = {"csrf_token": c.csrf("/login" if role is None else "/")}
            if path == "/logout" and role is not None:
                continue  # signing out would end the session the rest of the walk uses
            status = c.request(method, url, **kwargs).status_code
            if policy == PUBLIC:
                ok = status not in (401, 403)
                expected = "served"
            elif role is None:
                ok = status == 401
                expected = "401"
            elif role in policy:
                ok = status not in (401, 403)
                expected = "served"
            else:
                ok = status == 403
                expected = "403"
            if not ok:
                failures.append(
                    f"{method} {path} as {role or 'anonymous'}: {status}, expected {expected}"
                )
    for c in [anon, *api.values(), *pages.values()]:
        c.close()
    assert not failures, "\n".join(failures)
