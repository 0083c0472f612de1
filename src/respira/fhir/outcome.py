"""Errors as FHIR OperationOutcomes: every refusal of the FHIR interface (no token 401,
a role that may not 403, not found 404, a retracted record 410, a malformed bundle 400,
a bundle the clinic cannot accept 422) answers an OperationOutcome that names the
problem, and where it lies as a FHIRPath expression (``Bundle.entry[2].resource.code``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError

from respira.fhir.datatypes import Json
from respira.kit.errors import DomainError, InvalidInput, NotAuthenticated

# HTTP status → the OperationOutcome issue type (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    410: "deleted",
    422: "processing",
    428: "required",
    429: "throttled",
}


@dataclass(frozen=True)
class Issue:
    diagnostics: str
    code: str = "processing"
    expression: tuple[str, ...] = ()
    severity: str = "error"


class Gone(DomainError):
    """A resource that existed and was retracted as entered in error."""

    status_code = 410
    title = "Gone"


class Refusal(DomainError):
    """A request refused whole with its issues: 400 for what is not FHIR as asked (not
    JSON, not a transaction Bundle, a malformed element), 422 for FHIR the clinic cannot
    accept (an unknown code or patient, values the record refuses)."""

    def __init__(self, issues: list[Issue], status_code: int = 422) -> None:
        super().__init__("; ".join(i.diagnostics for i in issues))
        self.issues = issues
        self.status_code = status_code


def operation_outcome(issues: list[Issue]) -> Json:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": i.severity,
                "code": i.code,
                "diagnostics": i.diagnostics,
                **({"expression": list(i.expression)} if i.expression else {}),
            }
            for i in issues
        ],
    }


def outcome_of(exc: Exception) -> tuple[int, Json, dict[str, str]]:
    """The status, OperationOutcome and headers that answer ``exc``."""
    headers: dict[str, str] = {}
    if isinstance(exc, Refusal):
        return exc.status_code, operation_outcome(exc.issues), headers
    if isinstance(exc, RequestValidationError):
        issues = [
            Issue(
                f"{'.'.join(str(p) for p in err.get('loc', ())[1:]) or 'request'}: "
                f"{err.get('msg', 'is not valid')}",
                code="invalid",
            )
            for err in exc.errors()
        ]
        return 400, operation_outcome(issues), headers
    assert isinstance(exc, DomainError)
    code = ISSUE_TYPES.get(exc.status_code, "processing")
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, InvalidInput):
        issues = [
            Issue(f"{f}: {m}", code="invalid", expression=(f,)) for f, m in exc.errors.items()
        ]
    else:
        issues = [Issue(exc.message, code=code)]
    return exc.status_code, operation_outcome(issues), headers


def issue_at(path: list[Any]) -> str:
    """A FHIRPath expression from a JSON path (``["entry", 2, "resource"]`` →
    ``Bundle.entry[2].resource``)."""
    out = "Bundle"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
