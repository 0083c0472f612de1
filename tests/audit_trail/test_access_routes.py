"""Every route that reads one patient's record notes the read: a walk over the app's route
table in a seeded demo clinic, on each database.

Every ``GET`` route with a path parameter is either a read of a patient's record (its
path names the patient or one of their records: ``respira.audit_trail.access``) or names
no patient (``NOT_PATIENT_PARAMS``); a parameter that is neither fails the walk, so a new
route must be classified. Each patient-scoped route is then asked, by a member of staff
its access declaration lets in, for a real record of the demo clinic: a 2xx answer must
leave exactly one access record for that record's patient, a refusal none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from respira.app import demo
from respira.app import migrate as dbmod
from respira.app.factory import routers
from respira.audit_trail import access, links
from respira.audit_trail.models import AccessRecord, AuditPatientLink
from respira.kit.audit import AuditRecord
from respira.kit.config import get_settings
from respira.kit.db import Database
from respira.kit.web.deps import ApiAccess, PageAccess
from tests.conftest import BACKENDS, CSRF_RE

pytestmark = pytest.mark.slow

STAFF = ("admin", "physician", "coordinator", "nurse", "lab")
PARAM = re.compile(r"\{([a-z_]+)(?::[^}]*)?\}")
# A second parameter of a patient-scoped path: the entity type that fills it.
INNER_PARAMS = {"item_id": "stay_item"}
# Routes a demo clinic cannot answer 2xx for the record picked (a form for a state the
# record is not in); anything else that is not answered 2xx fails the walk.
NOT_WALKED: dict[str, str] = {
    "/consultation-requests/{consultation_request_id}/convert": "the request is converted",
    "/logistics/stays/{stay_id}/items/{item_id}": "the item picked is of another stay",
}


@pytest.fixture(scope="module", params=BACKENDS)
def clinic(request: pytest.FixtureRequest, make_database_url: Any) -> Iterator[FastAPI]:
    from respira.app.factory import create_app

    url = make_database_url(request.param)
    dbmod.upgrade(url)
    database = Database(url)
    seeded = demo.seed(database, patients=6)
    assert seeded is not None
    links.catch_up(database)
    get_settings.cache_clear()
    app = create_app(get_settings(), db=database)
    app.state.demo_accounts = {role: (email, pw) for role, email, pw in seeded.accounts}
    yield app
    access.flush(database)
    database.dispose()


def _clients(app: FastAPI) -> dict[tuple[str, str], TestClient]:
    """Per staff role: a JSON client with a bearer token and a signed-in page client."""
    out: dict[tuple[str, str], TestClient] = {}
    for role in STAFF:
        email, password = app.state.demo_accounts[role]
        api = TestClient(app)
        r = api.post("/api/v1/auth/token", data={"username": email, "password": password})
        assert r.status_code == 200, r.text
        api.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        out[(role, "api")] = api
        page = TestClient(app)
        found = CSRF_RE.search(page.get("/login").text)
        assert found
        r = page.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": found.group(1)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        out[(role, "page")] = page
    return out


def _roles(route: APIRoute) -> tuple[str, frozenset[str]]:
    for dep in route.dependant.dependencies:
        for inner in [dep, *dep.dependencies]:
            if isinstance(inner.call, ApiAccess):
                return "api", frozenset(getattr(r, "value", r) for r in inner.call.roles)
            if isinstance(inner.call, PageAccess):
                return "page", frozenset(getattr(r, "value", r) for r in inner.call.roles)
    return "public", frozenset()


def _linked(db: Database, entity_type: str) -> tuple[str, int] | None:
    """A record of ``entity_type`` that belongs to a patient, and the patient."""
    with db.transaction() as s:
        row = s.execute(
            select(AuditRecord.entity_id, AuditPatientLink.patient_id)
            .join(AuditPatientLink, AuditPatientLink.seq == AuditRecord.seq)
            .where(AuditRecord.entity_type == entity_type)
            .order_by(AuditRecord.seq)
            .limit(1)
        ).first()
    return (row[0], row[1]) if row else None


def _patient_with_most_records(db: Database) -> int:
    with db.transaction() as s:
        return int(
            s.execute(
                select(AuditPatientLink.patient_id)
                .group_by(AuditPatientLink.patient_id)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar_one()
        )


def _recorded(db: Database) -> list[tuple[int, str]]:
    access.flush(db)
    with db.transaction() as s:
        rows = [(r.patient_id, r.place) for r in s.scalars(select(AccessRecord))]
        s.execute(delete(AccessRecord))
    return rows


def test_every_staff_read_of_a_patients_record_through_any_route_is_recorded(
    clinic: FastAPI,
) -> None:
    db: Database = clinic.state.db
    clients = _clients(clinic)
    patient = _patient_with_most_records(db)
    unclassified, unrecorded, not_answered, walked = [], [], [], []
    _recorded(db)
    for route in (route for router in routers() for route in router.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        params = PARAM.findall(route.path)
        if not params:
            continue
        scoped = [p for p in params if p == "patient_id" or p in access.RECORD_PARAMS]
        others = [p for p in params if p not in scoped and p not in access.NOT_PATIENT_PARAMS]
        if others:
            unclassified.append(f"{route.path}: {others}")
            continue
        if not scoped:
            continue
        kind, roles = _roles(route)
        staff = [r for r in STAFF if r in roles]
        if not staff:
            continue  # a patient's own page (/my/...): not recorded by design
        values: dict[str, str] = {}
        expected = patient
        for param in params:
            if param == "patient_id":
                values[param] = str(patient)
                continue
            entity_type = access.RECORD_PARAMS.get(param) or INNER_PARAMS.get(param)
            picked = _linked(db, entity_type) if entity_type else None
            if picked is None:
                not_answered.append(f"{route.path}: no {entity_type} in the demo clinic")
                break
            values[param] = picked[0]
            if param == scoped[0]:
                expected = picked[1]
        else:
            url = PARAM.sub(lambda m, v=values: v[m.group(1)], route.path)
            answer = clients[(staff[0], kind)].get(url, follow_redirects=False)
            recorded = _recorded(db)
            if 200 <= answer.status_code < 300:
                walked.append(route.path)
                if [p for p, _ in recorded] != [expected]:
                    unrecorded.append(f"{route.path} as {staff[0]}: {recorded}")
            else:
                if recorded:
                    unrecorded.append(f"{route.path} refused {answer.status_code}: {recorded}")
                if route.path not in NOT_WALKED:
                    not_answered.append(f"{route.path} as {staff[0]}: {answer.status_code}")
    assert not unclassified, "classify these path parameters in audit_trail.access"
    assert not unrecorded, "\n".join(unrecorded)
    assert not not_answered, "\n".join(not_answered)
    assert len(walked) >= 60, walked


def test_a_staff_read_of_a_fhir_resource_is_recorded_for_its_patient(clinic: FastAPI) -> None:
    """FHIR resources are named by their own ids, not the patient's: the route declares
    the patient it read (the resource's subject)."""
    db: Database = clinic.state.db
    doctor = _clients(clinic)[("physician", "api")]
    patient = _patient_with_most_records(db)
    everything = doctor.get(f"/fhir/Patient/{patient}/$everything")
    assert everything.status_code == 200
    assert _recorded(db) == [(patient, "fhir:$everything")]
    kinds: dict[str, dict[str, Any]] = {}
    for entry in everything.json()["entry"]:
        kinds.setdefault(entry["resource"]["resourceType"], entry["resource"])
    assert {"Patient", "Observation", "Condition", "CarePlan"} <= set(kinds)
    for kind, resource in kinds.items():
        answer = doctor.get(f"/fhir/{kind}/{resource['id']}")
        assert answer.status_code == 200, (kind, answer.text)
        about = kind == "Patient" or (resource.get("subject") or resource.get("patient"))
        # A product unit names no patient (its patient is read through the unit chain).
        expected = [(patient, f"fhir:{kind} {resource['id']}"[:32])] if about else []
        assert _recorded(db) == expected, kind
    assert doctor.get("/fhir/Observation/999999999").status_code == 404
    assert _recorded(db) == []
