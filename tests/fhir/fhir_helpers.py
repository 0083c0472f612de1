"""What the FHIR tests share: the check that a resource is valid FHIR R4, and reading a
bundle.

Validity: every resource is parsed with ``fhir.resources``' models (version 8 ships R4B,
R5 and STU3; R4B's models of the resource types Respira emits are R4's, so R4B is the
R4 check), which fail on an unknown element, a wrong type or cardinality, a malformed
date or id. The models do not check what FHIR also requires and they let through:
no ``null``, empty string, empty array or empty object anywhere; codes of the value
sets with a *required* binding (statuses, gender, the adverse-event vocabularies);
references written ``Type/id``. ``assert_valid_r4`` checks those too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
REFERENCE = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
HL7 = "http://terminology.hl7.org/CodeSystem/"

# (resource type, element path) → the codes of its required binding (FHIR R4).
REQUIRED: dict[tuple[str, str], set[str]] = {
    ("Observation", "status"): {
        "registered", "preliminary", "final", "amended", "corrected", "cancelled",
        "entered-in-error", "unknown",
    },
    ("MedicationStatement", "status"): {
        "active", "completed", "entered-in-error", "intended", "stopped", "on-hold",
        "unknown", "not-taken",
    },
    ("Procedure", "status"): {
        "preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
        "entered-in-error", "unknown",
    },
    ("CarePlan", "status"): {
        "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown",
    },
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("CarePlan", "activity.detail.status"): {
        "not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled",
        "stopped", "unknown", "entered-in-error",
    },
    ("QuestionnaireResponse", "status"): {
        "in-progress", "completed", "amended", "entered-in-error", "stopped",
    },
    ("AdverseEvent", "actuality"): {"actual", "potential"},
    ("DocumentReference", "status"): {"current", "superseded", "entered-in-error"},
    ("DocumentReference", "docStatus"): {"preliminary", "final", "amended", "entered-in-error"},
    ("DocumentReference", "relatesTo.code"): {"replaces", "transforms", "signs", "appends"},
    ("BiologicallyDerivedProduct", "status"): {"available", "unavailable"},
    ("BiologicallyDerivedProduct", "productCategory"): {
        "organ", "tissue", "fluid", "cells", "biologicalAgent",
    },
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("OperationOutcome", "issue.severity"): {"fatal", "error", "warning", "information"},
    ("OperationOutcome", "issue.code"): {
        "invalid", "structure", "required", "value", "invariant", "security", "login",
        "unknown", "expired", "forbidden", "suppressed", "processing", "not-supported",
        "duplicate", "multiple-matches", "not-found", "deleted", "too-long", "code-invalid",
        "extension", "too-costly", "business-rule", "conflict", "transient", "lock-error",
        "no-store", "exception", "timeout", "incomplete", "throttled", "informational",
    },
    ("Bundle", "type"): {
        "document", "message", "transaction", "transaction-response", "batch",
        "batch-response", "history", "searchset", "collection",
    },
    ("CapabilityStatement", "status"): {"draft", "active", "retired", "unknown"},
    ("CapabilityStatement", "kind"): {"instance", "capability", "requirements"},
}  # fmt: skip
# Code systems whose codes are closed (required bindings): system → codes.
CLOSED_SYSTEMS: dict[str, set[str]] = {
    HL7 + "condition-clinical": {
        "active", "recurrence", "relapse", "inactive", "remission", "resolved",
    },
    HL7 + "condition-ver-status": {
        "unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error",
    },
    HL7 + "adverse-event-severity": {"mild", "moderate", "severe"},
    HL7 + "adverse-event-outcome": {
        "resolved", "recovering", "ongoing", "resolvedWithSequelae", "fatal", "unknown",
    },
    HL7 + "adverse-event-seriousness": {
        "Non-serious", "Serious", "SeriousResultsInDeath", "SeriousIsLifeThreatening",
        "SeriousResultsInHospitalization", "SeriousResultsInDisability",
        "SeriousIsBirthDefect", "SeriousRequiresPreventImpair",
    },
    HL7 + "adverse-event-causality-assess": {
        "Certain", "Probably-Likely", "Possible", "Unlikely", "Conditional-Classified",
        "Unassessable-Unclassifiable",
    },
    HL7 + "observation-category": {
        "social-history", "vital-signs", "imaging", "laboratory", "procedure", "survey",
        "exam", "therapy", "activity",
    },
}  # fmt: skip


def _values(node: Any, path: list[str]) -> Iterator[Any]:
    if not path:
        yield node
        return
    if isinstance(node, list):
        for item in node:
            yield from _values(item, path)
    elif isinstance(node, dict) and path[0] in node:
        yield from _values(node[path[0]], path[1:])


def _walk(node: Any, where: str) -> Iterator[str]:
    """The problems FHIR forbids anywhere: nulls, empty values, bad references."""
    if node is None or node == "" or node == [] or node == {}:
        yield f"{where}: empty value"
    elif isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and not REFERENCE.match(ref):
            yield f"{where}.reference: {ref!r} is not Type/id"
        system, code = node.get("system"), node.get("code")
        if system in CLOSED_SYSTEMS and code not in CLOSED_SYSTEMS[system]:
            yield f"{where}: {code!r} is not a code of {system}"
        for key, value in node.items():
            yield from _walk(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}[{i}]")


def r4_problems(resource: dict[str, Any]) -> list[str]:
    kind = resource.get("resourceType", "?")
    where = f"{kind}/{resource.get('id')}"
    problems = [f"{where} {p}" for p in _walk(resource, "")]
    if "id" in resource and not ID.match(str(resource["id"])):
        problems.append(f"{where}: the id is not a FHIR id")
    for (rtype, path), allowed in REQUIRED.items():
        if rtype == kind:
            for value in _values(resource, path.split(".")):
                if value not in allowed:
                    problems.append(f"{where} {path}: {value!r} is not in its value set")
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except Exception as exc:  # the models' validation errors
        problems.append(f"{where}: {exc}")
    return problems


def assert_valid_r4(resource: dict[str, Any]) -> None:
    problems = r4_problems(resource)
    assert not problems, "\n".join(problems)


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", [])]


def by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources(bundle) if r["resourceType"] == kind]


def by_id(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['resourceType']}/{r['id']}": r for r in resources(bundle)}


def codings(concept: dict[str, Any] | None) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in (concept or {}).get("coding", [])}


def component(resource: dict[str, Any], code: str) -> dict[str, Any]:
    """The component whose code is ``code`` (of any system)."""
    found = [c for c in resource.get("component", []) if code in {x for _, x in codings(c["code"])}]
    assert len(found) == 1, (resource["id"], code)
    return found[0]


def outcome_issues(response: Any) -> list[dict[str, Any]]:
    """An OperationOutcome answer's issues (after checking it is one)."""
    assert response.headers["content-type"].startswith("application/fhir+json"), response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    assert_valid_r4(body)
    issues: list[dict[str, Any]] = body["issue"]
    return issues


def everything(client: Any, pid: int) -> dict[str, Any]:
    """``$everything`` of the patient, as ``client`` reads it (after checking the answer
    is FHIR JSON)."""
    r = client.get(f"/fhir/Patient/{pid}/$everything")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/fhir+json"
    return dict(r.json())
