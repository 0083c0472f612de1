"""Least privilege, route by route: every route states who may use it, and every route
is walked with every role and with no credentials.

``EXPECTED`` is the access policy written out by hand. A new route must be added
here (the first test fails otherwise), and the app's declaration must equal the
policy, so widening access is always a visible change to this file.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from respira.app.factory import routers
from respira.kit.actors import Role
from respira.kit.web.deps import ApiAccess, PageAccess, Public
from tests.conftest import PageClient, api_token, sign_in
from tests.diagnostics.helpers import diagnostics_access_ids
from tests.intake.helpers import intake_access_ids
from tests.screening.screening_helpers import screening_access_ids

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)
STAFF_READ = frozenset({A, PH, CO})
PATIENT_READ = frozenset({A, PH, CO, PT})
PATIENT_WRITE = frozenset({A, PH, CO})
TRIAGE = frozenset({A, CO})  # consultation requests: coordinators and admins

EXPECTED: dict[tuple[str, str], Any] = {
    # --- shell ---
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/language"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    # --- accounts ---
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): EVERYONE_SIGNED_IN,
    ("GET", "/admin/users"): frozenset({A}),
    ("POST", "/api/v1/auth/token"): PUBLIC,
    # --- patient registry ---
    ("GET", "/api/v1/patients"): PATIENT_READ,
    ("POST", "/api/v1/patients"): PATIENT_WRITE,
    ("GET", "/api/v1/patients/{patient_id}"): PATIENT_READ,
    ("PATCH", "/api/v1/patients/{patient_id}"): PATIENT_WRITE,
    ("GET", "/patients"): STAFF_READ,
    ("GET", "/me"): frozenset({PT}),
    ("GET", "/patients/new"): PATIENT_WRITE,
    ("POST", "/patients"): PATIENT_WRITE,
    ("GET", "/patients/{patient_id}"): PATIENT_READ,
    ("GET", "/patients/{patient_id}/edit"): PATIENT_WRITE,
    ("POST", "/patients/{patient_id}/edit"): PATIENT_WRITE,
    # --- audit trail ---
    ("GET", "/api/v1/audit"): frozenset({A}),
    ("GET", "/audit"): frozenset({A}),
    # --- intake (consultation requests) ---
    ("GET", "/consultation"): PUBLIC,
    ("POST", "/consultation"): PUBLIC,
    ("GET", "/consultation/thanks"): PUBLIC,
    ("POST", "/api/v1/consultation-requests"): PUBLIC,
    ("GET", "/api/v1/consultation-requests"): TRIAGE,
    ("GET", "/api/v1/consultation-requests/{consultation_request_id}"): TRIAGE,
    ("PATCH", "/api/v1/consultation-requests/{consultation_request_id}"): TRIAGE,
    ("POST", "/api/v1/consultation-requests/{consultation_request_id}/convert"): TRIAGE,
    ("GET", "/consultation-requests"): TRIAGE,
    ("GET", "/consultation-requests/{consultation_request_id}"): TRIAGE,
    ("POST", "/consultation-requests/{consultation_request_id}/status"): TRIAGE,
    ("POST", "/consultation-requests/{consultation_request_id}/notes"): TRIAGE,
    ("GET", "/consultation-requests/{consultation_request_id}/convert"): TRIAGE,
    ("POST", "/consultation-requests/{consultation_request_id}/convert"): TRIAGE,
    # --- diagnostics ---
    # coordinators and the laboratory: no access (least privilege, docs/decisions)
    ("POST", "/api/v1/patients/{patient_id}/visits"): frozenset({A, PH}),
    ("GET", "/api/v1/patients/{patient_id}/visits"): frozenset({A, PH, PT}),
    ("GET", "/api/v1/visits/{visit_id}"): frozenset({A, PH, PT}),
    ("POST", "/api/v1/visits/{visit_id}/spirometry"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/markers"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/imaging"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/questionnaires"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/history"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/retract"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/{kind}/{record_id}/retract"): frozenset({A, PH}),
    ("GET", "/patients/{patient_id}/visits/new"): frozenset({A, PH}),
    ("POST", "/patients/{patient_id}/visits"): frozenset({A, PH}),
    ("GET", "/visits/{visit_id}"): frozenset({A, PH, PT}),
    ("POST", "/visits/{visit_id}/spirometry"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/markers"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/imaging"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/questionnaires"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/history"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/retract"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/{kind}/{record_id}/retract"): frozenset({A, PH}),
    # --- screening ---
    # physicians record findings, run and sign screenings (only a physician signs);
    # admins manage criteria sets and read; a patient reads their own; coordinators
    # and the laboratory see no screening detail (docs/decisions)
    ("GET", "/api/v1/screening/criteria-sets"): frozenset({A, PH}),
    ("POST", "/api/v1/screening/criteria-sets"): frozenset({A}),
    ("GET", "/api/v1/screening/criteria-sets/{set_id}"): frozenset({A, PH}),
    ("POST", "/api/v1/screening/criteria-sets/{set_id}/activate"): frozenset({A}),
    ("POST", "/api/v1/patients/{patient_id}/screening-findings"): frozenset({PH}),
    ("GET", "/api/v1/patients/{patient_id}/screening-findings"): frozenset({A, PH, PT}),
    ("POST", "/api/v1/patients/{patient_id}/screenings"): frozenset({PH}),
    ("GET", "/api/v1/patients/{patient_id}/screenings"): frozenset({A, PH, PT}),
    ("GET", "/api/v1/screenings/{screening_id}"): frozenset({A, PH, PT}),
    ("PATCH", "/api/v1/screenings/{screening_id}"): frozenset({PH}),
    ("POST", "/api/v1/screenings/{screening_id}/sign"): frozenset({PH}),
    ("GET", "/patients/{patient_id}/screening/findings"): frozenset({A, PH, PT}),
    ("GET", "/patients/{patient_id}/screening/findings/new"): frozenset({PH}),
    ("POST", "/patients/{patient_id}/screening/findings"): frozenset({PH}),
    ("POST", "/patients/{patient_id}/screenings"): frozenset({PH}),
    ("GET", "/screenings/{screening_id}"): frozenset({A, PH, PT}),
    ("POST", "/screenings/{screening_id}/sign"): frozenset({PH}),
    ("POST", "/screenings/{screening_id}/note"): frozenset({PH}),
    ("GET", "/screening/criteria"): frozenset({A, PH}),
    ("GET", "/screening/criteria/new"): frozenset({A}),
    ("POST", "/screening/criteria"): frozenset({A}),
    ("GET", "/screening/criteria/{set_id}"): frozenset({A, PH}),
    ("POST", "/screening/criteria/{set_id}/activate"): frozenset({A}),
}

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
    return {
        "patient_id": patient_id,
        **diagnostics_access_ids(db),
        **intake_access_ids(db),
        **screening_access_ids(db, patient_id),
    }


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
        is_api = path.startswith("/api/")
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
