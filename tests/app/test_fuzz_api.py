"""Schemathesis over the whole OpenAPI document, as an admin, a physician and a patient of
a seeded demo clinic (so that small ids name real records), on each database.

Every operation gets a bounded, derandomised budget of generated requests, valid ones
(``positive``) and invalid ones (``negative``), and every answer is checked for two
things only: no server error (5xx) and a body that matches the schema the document
declares for that status. The failures are collected across the whole walk and reported
together, grouped by operation and check, so that one run shows everything it found.

The budget is ``RESPIRA_FUZZ_EXAMPLES`` examples per operation, role and mode (default
below) for the roles the operation serves; a role it refuses gets one example per mode
(its 403 is checked against the document too, and refusing never depends on the input).
The run is deterministic (Hypothesis derandomised, no example database), so CI sees the
same requests every time.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from respira.app import demo
from respira.app import migrate as dbmod
from respira.app.factory import routers
from respira.kit.config import get_settings
from respira.kit.db import Database
from respira.kit.web.deps import ApiAccess, Public
from tests.conftest import BACKENDS

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("RESPIRA_FUZZ_EXAMPLES", "6"))
ROLES = ("admin", "physician", "patient")
# Any answer slower than this is a failure (the machine running CI may be busy).
TIMEOUT_S = 30
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
]


@dataclass
class Tally:
    operations: set[str] = field(default_factory=set)
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))


@pytest.fixture(scope="module", params=BACKENDS)
def clinic(request: pytest.FixtureRequest, make_database_url: Any) -> Iterator[FastAPI]:
    """A demo clinic on a database of its own, and the app serving it."""
    from respira.app.factory import create_app

    url = make_database_url(request.param)
    dbmod.upgrade(url)
    database = Database(url)
    seeded = demo.seed(database, patients=20)
    assert seeded is not None
    get_settings.cache_clear()
    app = create_app(get_settings(), db=database)
    app.state.demo_accounts = {role: (email, pw) for role, email, pw in seeded.accounts}
    yield app
    database.dispose()


def _tokens(app: FastAPI) -> dict[str, str]:
    out = {}
    with TestClient(app) as c:
        for role in ROLES:
            email, password = app.state.demo_accounts[role]
            r = c.post("/api/v1/auth/token", data={"username": email, "password": password})
            assert r.status_code == 200, r.text
            out[role] = r.json()["access_token"]
    return out


def _audiences() -> dict[tuple[str, str], frozenset[str]]:
    """The roles each JSON operation serves, from its access declaration."""
    out: dict[tuple[str, str], frozenset[str]] = {}

    def roles(dependant: Any) -> frozenset[str]:
        for dep in dependant.dependencies:
            if isinstance(dep.call, ApiAccess):
                return frozenset(str(r) for r in dep.call.roles)
            if isinstance(dep.call, Public):
                return frozenset(ROLES)
            found = roles(dep)
            if found:
                return found
        return frozenset()

    for router in routers():
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    out[(method, route.path)] = roles(route.dependant)
    return out


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], tally: Tally, examples: int
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        # The role's token, whatever the generator made of the security scheme.
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = {**generated, **headers}
        try:
            response = case.call(timeout=TIMEOUT_S)
        except Exception as exc:  # a timeout, or an error the app let escape
            tally.examples += 1
            tally.failures[(operation.label, type(exc).__name__)].append(
                f"{case.as_curl_command(headers=headers)}\n    {str(exc)[:400]}"
            )
            return
        tally.examples += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (operation.label, type(failure).__name__)
                if len(tally.failures[key]) < 3:
                    tally.failures[key].append(
                        f"{response.status_code} {case.as_curl_command(headers=headers)}\n"
                        f"    {failure.title}: {str(failure.message)[:1200]}"
                    )

    # No request of this mode may exist (a negative case of an operation without input).
    with contextlib.suppress(Unsatisfiable):
        run()


def test_fuzz_the_whole_api_as_admin_physician_and_patient(clinic: FastAPI) -> None:
    tokens = _tokens(clinic)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", clinic)
    tally = Tally()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    audiences = _audiences()
    for role in ROLES:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        for operation in operations:
            tally.operations.add(operation.label)
            served = role in audiences[(operation.method.upper(), operation.path)]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation, mode, headers, tally, EXAMPLES if served else 1)
    elapsed = time.monotonic() - started
    summary = (
        f"{len(tally.operations)} operations, {tally.examples} requests in {elapsed:.0f} s; "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    print(summary)
    found = [
        f"{label} [{kind}]:\n  " + "\n  ".join(examples)
        for (label, kind), examples in sorted(tally.failures.items())
    ]
    assert tally.examples >= len(tally.operations) * len(ROLES), summary
    assert not found, f"{summary}\n{len(found)} operation/check pairs failed:\n" + "\n".join(found)
