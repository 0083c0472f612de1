"""The OpenAPI document says what each operation needs and every answer it can give:
the bearer scheme on the operations that need a token, 401/403 there, 404 where a path
names a record, a required ``If-Match`` with 428 and 409, 413 and 422 for bodies, 429 for
anonymous writes, and one error schema. Each expectation is worked out here from the
routes' own declarations, and the document is checked against them and against real
answers."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from respira.app.factory import routers
from respira.kit.web.deps import ApiAccess, Public
from tests.conftest import patient_data

SAFE = {"GET", "HEAD", "OPTIONS"}


def _document(client: Any) -> dict[str, Any]:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }


def _audience(route: APIRoute) -> type:
    def walk(dependant: Any) -> Any:
        for dep in dependant.dependencies:
            if isinstance(dep.call, ApiAccess | Public):
                return type(dep.call)
            found = walk(dep)
            if found is not None:
                return found
        return None

    found = walk(route.dependant)
    assert found is not None, route.path
    return found


def _json_routes() -> list[tuple[str, APIRoute]]:
    return [
        (method, route)
        for router in routers()
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    ]


def test_the_bearer_scheme_is_declared_and_required_exactly_where_a_token_is(client):
    document = _document(client)
    assert document["components"]["securitySchemes"] == {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `POST /api/v1/auth/token`.",
        }
    }
    operations = _operations(document)
    routes = _json_routes()
    assert len(routes) == len(operations) > 100
    for method, route in routes:
        op = operations[(method, route.path)]
        if _audience(route) is ApiAccess:
            assert op["security"] == [{"bearerAuth": []}], route.path
            assert {"401", "403"} <= set(op["responses"]), route.path
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
        else:
            assert "security" not in op, route.path
            # A public route answers 401 and 403 only when it says so (a wrong password;
            # a role that must set up two-factor sign-in first).
            for status in (401, 403):
                if str(status) in op["responses"]:
                    assert status in route.responses, route.path


def test_every_operation_lists_the_answers_its_inputs_can_give(client):
    operations = _operations(_document(client))
    for (method, path), op in operations.items():
        params = {(p["in"], p["name"].lower()): p for p in op.get("parameters", [])}
        answers = set(op["responses"])
        where = f"{method} {path}"
        if any(kind == "path" for kind, _ in params):
            assert "404" in answers, where
        if "requestBody" in op:
            assert {"413", "422"} <= answers, where
        if ("header", "if-match") in params:
            header = params[("header", "if-match")]
            assert header["required"] is True and header["name"] == "If-Match", where
            assert {"409", "428"} <= answers, where
        if "security" in op and method not in SAFE:
            assert "409" in answers, where
        if "security" not in op and method not in SAFE:
            assert "429" in answers, where
            assert "Retry-After" in op["responses"]["429"]["headers"], where
    # The routes that demand If-Match (parse_if_match) all say so.
    demanding = {
        ("PATCH", "/api/v1/patients/{patient_id}"),
        ("PATCH", "/api/v1/screenings/{screening_id}"),
        ("PATCH", "/api/v1/adverse-events/{event_id}"),
        ("PATCH", "/api/v1/stays/{stay_id}"),
        ("POST", "/api/v1/threads/{thread_id}/close"),
        ("PATCH", "/api/v1/summaries/{summary_id}"),
    }
    for key in demanding:
        names = [p["name"] for p in operations[key].get("parameters", []) if p["in"] == "header"]
        assert "If-Match" in names, key
        assert "428" in operations[key]["responses"], key


def test_errors_share_one_schema_and_no_component_is_named_by_its_module(client):
    document = _document(client)
    schemas = document["components"]["schemas"]
    assert schemas["Problem"]["required"] == ["detail"]
    assert "HTTPValidationError" not in schemas
    assert not [name for name in schemas if "__" in name]
    # Two steps each have an ItemIn, a ReasonIn, a CancellationIn, a ReferenceOut.
    assert {"QuotesItemIn", "LogisticsItemIn", "ProductsReasonIn", "SafetyReasonIn"} <= set(schemas)
    refs = str(document)
    assert "respira__" not in refs
    for (method, path), op in _operations(document).items():
        for status, answer in op["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            (_media, body), *_ = answer["content"].items()
            expected = "OperationOutcome" if path.startswith("/fhir") else "Problem"
            ref = body["schema"]["$ref"]
            if ref != f"#/components/schemas/{expected}":
                # A model the route declares for the answer (the 409 of a probable
                # duplicate, with its candidates) still carries the message.
                own = schemas[ref.rsplit("/", 1)[1]]
                assert "detail" in own["required"], (method, path, status, ref)


def test_the_documented_answers_are_the_real_ones(client, api_as):
    """401 with WWW-Authenticate and a Problem body; 428 without If-Match; 422 with one
    entry per field."""
    anonymous = client.get("/api/v1/patients")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert isinstance(anonymous.json()["detail"], str)
    coordinator = api_as("coordinator")
    created = coordinator.post("/api/v1/patients", json=patient_data())
    assert created.status_code == 201, created.text
    r = coordinator.patch(f"/api/v1/patients/{created.json()['id']}", json={"weight_kg": 80})
    assert r.status_code == 428
    assert "If-Match" in r.json()["detail"]
    bad = coordinator.post("/api/v1/patients", json={"first_name": ""})
    assert bad.status_code == 422
    assert all({"loc", "msg", "type"} <= set(item) for item in bad.json()["detail"])
