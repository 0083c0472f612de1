"""The FHIR R4 routes under ``/fhir``: ``metadata`` (public), ``Patient/{id}/$everything``,
``{Type}/{id}`` for each resource type, and the spirometry transaction (``POST /fhir``
and ``POST /fhir/Bundle``). FHIR JSON in and out (``application/fhir+json``; plain
``application/json`` is accepted too), bearer tokens as in the JSON API.

Every refusal — including those of the access declaration, which run before the route
(no token 401, a role that may not 403) — answers an OperationOutcome: the routes use
``FhirRoute``, which turns the kit's errors into OperationOutcomes instead of the JSON
API's ``{"detail": ...}`` or an HTML page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from respira.fhir import service
from respira.fhir.outcome import Issue, Refusal
from respira.kit.errors import DomainError
from respira.kit.web.deps import ApiAccess, Public
from respira.kit.web.reads import reads_patient
from respira.kit.web.routes import Call, uses

FHIR_JSON = "application/fhir+json"
ACCEPTED_BODIES = ("application/fhir+json", "application/json")
RESOURCE_TYPES = tuple(service.TYPE_ROLES)


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


class FhirRoute(APIRoute):
    """A route whose errors are OperationOutcomes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except (DomainError, RequestValidationError) as exc:
                status, outcome, headers = service.outcome_of(exc)
                return FhirResponse(outcome, status_code=status, headers=headers)

        return answer


router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute)


async def fhir_body(request: Request) -> bytes:
    """The request's body, when it is FHIR JSON (415 otherwise)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ACCEPTED_BODIES:
        raise Refusal(
            [
                Issue(
                    f"send {' or '.join(ACCEPTED_BODIES)}, not {kind or 'no content type'}",
                    code="not-supported",
                )
            ],
            415,
        )
    return await request.body()


@router.get("/metadata", response_class=FhirResponse)
def metadata(call: Call = uses(Public(api=True))) -> Response:
    return FhirResponse(service.capability_statement())


@router.get("/Patient/{patient_id}/$everything", response_class=FhirResponse)
def everything(patient_id: str, call: Call = uses(ApiAccess(*service.FHIR_ROLES))) -> Response:
    self_url = str(call.request.url)
    return FhirResponse(service.everything(call.session, call.actor, patient_id, self_url))


def _patient_of(resource: dict[str, Any]) -> int | None:
    """The patient a resource is about: the Patient itself, or its subject (patient)."""
    if resource.get("resourceType") == "Patient":
        reference = f"Patient/{resource.get('id', '')}"
    else:
        about = resource.get("subject") or resource.get("patient") or {}
        reference = about.get("reference", "") if isinstance(about, dict) else ""
    kind, _, row = reference.partition("/")
    return int(row) if kind == "Patient" and row.isdigit() else None


def _add_read_route(kind: str) -> None:
    """``GET /fhir/{kind}/{resource_id}``, for the roles that may read ``kind``."""

    def read(resource_id: str, call: Call = uses(ApiAccess(*service.TYPE_ROLES[kind]))) -> Response:
        found = service.read(call.session, call.actor, kind, resource_id)
        patient_id = _patient_of(found)
        if patient_id is not None:  # noted as a read of the patient's record once answered
            reads_patient(call.request, patient_id, f"{kind} {resource_id}")
        return FhirResponse(found)

    read.__name__ = f"read_{kind.lower()}"
    router.add_api_route(
        f"/{kind}/{{resource_id}}", read, methods=["GET"], response_class=FhirResponse
    )


for _kind in RESOURCE_TYPES:
    _add_read_route(_kind)


@router.get("/{resource_type}/{resource_id}", response_class=FhirResponse)
def unsupported(
    resource_type: str, resource_id: str, call: Call = uses(Public(api=True))
) -> Response:
    """Any other type: 404 with an OperationOutcome (Respira serves none)."""
    raise Refusal(
        [
            Issue(
                f"this server has no {resource_type} resources; see /fhir/metadata",
                code="not-supported",
            )
        ],
        404,
    )


WRITE = uses(ApiAccess(*service.IMPORT_ROLES))


def _transaction(call: Call, body: bytes) -> Response:
    imported = service.import_spirometry(call.session, call.actor, body)
    return FhirResponse(imported.response)


@router.post("", response_class=FhirResponse)
def transaction(call: Call = WRITE, body: bytes = Depends(fhir_body)) -> Response:
    """A transaction Bundle of spirometry Observations (at the FHIR base)."""
    return _transaction(call, body)


@router.post("/Bundle", response_class=FhirResponse)
def transaction_bundle(call: Call = WRITE, body: bytes = Depends(fhir_body)) -> Response:
    """The same transaction, posted to ``/fhir/Bundle`` as the API contract names it."""
    return _transaction(call, body)
