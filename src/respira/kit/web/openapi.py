"""The OpenAPI document (``/api/v1/openapi.json``), completed from what each route
declares, in one place rather than in a list of answers per route.

FastAPI's document knows a route's parameters, body and success answer. What a client
must also know follows from the route's dependencies, and is added here:

- an ``ApiAccess`` declaration: the route needs a bearer token (the ``bearerAuth``
  security scheme, HTTP bearer), so it may answer 401 (no or a bad token, with
  ``WWW-Authenticate: Bearer``) and 403 (a role that may not use it);
- a path parameter: 404 (no such record, or one the caller may not see);
- an ``If-Match`` header: the header is required (428 without it, 409 when the version
  is no longer the current one);
- a write by a signed-in role: 409 (the record's state does not allow it: signed,
  retracted, superseded, a probable duplicate);
- a request body: 413 (over the size limit) and 422 (the body breaks its schema or a
  rule);
- an anonymous write: 429 (anonymous writes are throttled per client address, with
  ``Retry-After``).

Every error answer shares one schema, ``Problem`` (``{"detail": ...}``: a message, or a
list of ``FieldProblem`` for 422); routes that answer FHIR JSON answer their errors as
an ``OperationOutcome``. Components that FastAPI could only name by their module
(``respira__quotes__schemas__ItemIn``, because two steps have an ``ItemIn``) are named
after their step instead (``QuotesItemIn``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from respira.kit.web.deps import SAFE_METHODS, ApiAccess, Public

BEARER = "bearerAuth"
PROBLEM = "Problem"
FIELD_PROBLEM = "FieldProblem"
OPERATION_OUTCOME = "OperationOutcome"
FHIR_JSON = "application/fhir+json"
IF_MATCH = "if-match"

DESCRIPTION = (
    "Respira's JSON API. Sign in with `POST /api/v1/auth/token` (an OAuth2 password "
    "grant: `username` and `password` as a form) and send the token as "
    "`Authorization: Bearer <token>`. Editable records answer their version as an "
    '`ETag`; an edit sends it back in `If-Match`. Errors answer `{"detail": ...}`.'
)

# Why each answer is given, as the document says it.
WHY: dict[int, str] = {
    401: "No bearer token, or one that is invalid, expired or revoked.",
    403: "Your role may not use this operation.",
    404: "No such record, or not one you may see.",
    409: "The record changed since you read it, or its state does not allow this "
    "(signed, retracted, superseded, a probable duplicate).",
    413: "The request body is over the size limit.",
    422: "The input breaks its schema or a rule; `detail` names each field.",
    428: "Send `If-Match` with the version you read (the record's `ETag`).",
    429: "Too many requests from your address; wait for `Retry-After` seconds.",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    429: {
        "Retry-After": {
            "schema": {"type": "integer"},
            "description": "Seconds until a request may be sent again.",
        }
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    PROBLEM: {
        "title": PROBLEM,
        "description": "An error: a message for people, or (422) one entry per field.",
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"$ref": f"#/components/schemas/{FIELD_PROBLEM}"}},
                ]
            }
        },
    },
    FIELD_PROBLEM: {
        "title": FIELD_PROBLEM,
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "field": {"type": "string", "description": "The field, as a dotted path."},
            "msg": {"type": "string", "description": "What is wrong, for people."},
            "type": {"type": "string"},
        },
    },
    OPERATION_OUTCOME: {
        "title": OPERATION_OUTCOME,
        "description": "A FHIR R4 OperationOutcome.",
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {
            "resourceType": {"type": "string", "enum": [OPERATION_OUTCOME]},
            "issue": {"type": "array", "items": {"type": "object"}},
        },
    },
}


def install(app: FastAPI) -> None:
    """Serve the completed document at the app's ``openapi_url`` (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `POST /api/v1/auth/token`.",
        }
    }
    components.setdefault("schemas", {}).update(SCHEMAS)
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        item = document["paths"].get(route.path_format, {})
        for method in route.methods:
            operation = item.get(method.lower())
            if operation is not None:
                _complete(operation, route, method)
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    return _rename_module_names(document)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """The app's JSON routes, each as the app serves it (FastAPI keeps an included
    router's routes inside it and answers them with the include's context)."""
    contexts = getattr(routing, "iter_route_contexts", None)
    for route in contexts(app.routes) if contexts else app.routes:
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def _complete(operation: dict[str, Any], route: Any, method: str) -> None:
    dependant = route.dependant
    access = {type(d.call) for d in _walk(dependant)}
    signed_in = ApiAccess in access
    params = {p.alias.lower() for p in _params(dependant)}
    has_body = route.body_field is not None
    answers: set[int] = set()
    if signed_in:
        operation["security"] = [{BEARER: []}]
        answers |= {401, 403}
    if any(p["in"] == "path" for p in operation.get("parameters", [])):
        answers.add(404)
    if IF_MATCH in params:
        _require_if_match(operation)
        answers |= {409, 428}
    if signed_in and method not in SAFE_METHODS:
        answers.add(409)
    if has_body:
        answers.add(413)
    if params or has_body:
        answers.add(422)
    if Public in access and method not in SAFE_METHODS:
        answers.add(429)
    responses = operation.setdefault("responses", {})
    declared = {str(status) for status in route.responses or {}}
    for status in sorted(answers):
        if str(status) not in declared:  # what a route says of an answer stands
            responses[str(status)] = {"description": WHY[status]}
    # Every error answer has the error schema, unless the route gave it a model of its
    # own (FastAPI gives an answer declared without a model an empty schema).
    content = _error_content(route)
    for status, answer in responses.items():
        if not status.startswith(("4", "5")):
            continue
        if not any(media.get("schema") for media in answer.get("content", {}).values()):
            answer["content"] = content
        if int(status) in HEADERS:
            answer.setdefault("headers", HEADERS[int(status)])


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


def _params(dependant: Dependant) -> Iterator[Any]:
    for d in (dependant, *_walk(dependant)):
        yield from d.path_params
        yield from d.query_params
        yield from d.header_params
        yield from d.cookie_params


def _require_if_match(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == IF_MATCH:
            parameter.update(
                name="If-Match",
                required=True,
                description='The version you read: the record\'s `ETag`, such as `"3"`.',
                schema={"type": "string", "title": "If-Match"},
            )


def _error_content(route: Any) -> dict[str, Any]:
    kind = route.response_class
    if isinstance(kind, DefaultPlaceholder):
        kind = kind.value
    if getattr(kind, "media_type", None) == FHIR_JSON:
        return {FHIR_JSON: {"schema": {"$ref": f"#/components/schemas/{OPERATION_OUTCOME}"}}}
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}}


_MODULE_NAME = re.compile(r"respira__(?P<step>[a-z_]+?)__(?:[a-z_]+__)*(?P<name>[A-Za-z0-9]+)")


def _rename_module_names(document: dict[str, Any]) -> dict[str, Any]:
    """Name each component that FastAPI named by its module (two steps have a model of
    the same name) after its step instead, and point every reference at the new name."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    renames: dict[str, str] = {}
    for key in list(schemas):
        m = _MODULE_NAME.fullmatch(key)
        if m is None:
            continue
        step = "".join(part.title() for part in m["step"].split("_"))
        new = f"{step}{m['name']}"
        if new not in schemas and new not in renames.values():
            renames[key] = new
    if not renames:
        return document
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    refs = {
        f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renames.items()
    }
    renamed: dict[str, Any] = _map_refs(document, lambda ref: refs.get(ref, ref))
    return renamed


def _map_refs(node: Any, rename: Callable[[str], str]) -> Any:
    if isinstance(node, dict):
        return {
            k: rename(v) if k == "$ref" and isinstance(v, str) else _map_refs(v, rename)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_map_refs(v, rename) for v in node]
    return node
