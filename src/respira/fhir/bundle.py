"""The bundles and the CapabilityStatement of the FHIR interface.

A ``searchset`` bundle (``$everything``) gives every entry its ``fullUrl`` on this
server, so that the relative references inside (``Patient/12``) resolve to entries of
the bundle; a reference to a resource the bundle does not hold (a unit the patient may
not read) keeps only its identifier and text. The CapabilityStatement says exactly what
the interface does: reads of ten resource types, ``Patient/$everything``, and a
transaction that takes spirometry Observations.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from respira import __version__
from respira.fhir import roles
from respira.fhir.codes import CANONICAL, RESPIRA
from respira.fhir.datatypes import Json, instant
from respira.fhir.patient_resources import base_url
from respira.kit.actors import Role
from respira.kit.config import get_settings

FHIR_VERSION = "4.0.1"
# When what the CapabilityStatement declares last changed.
CAPABILITY_DATE = "2026-12-06"


def _resolved(value: Any, present: set[str]) -> Any:
    if isinstance(value, dict):
        target = value.get("reference")
        if isinstance(target, str) and target not in present:
            value = {k: v for k, v in value.items() if k != "reference"}
        out = {k: c for k, v in value.items() if (c := _resolved(v, present)) is not None}
        return out or None
    if isinstance(value, list):
        items = [c for v in value if (c := _resolved(v, present)) is not None]
        return items or None
    return value


def searchset(resources: list[Json], self_url: str) -> Json:
    """The resources as a ``searchset`` bundle whose references resolve inside it."""
    base = base_url()
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    entries = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": _resolved(r, present),
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(dt.datetime.now(dt.UTC))},
        "type": "searchset",
        "total": len(entries),
        "link": [{"relation": "self", "url": self_url}],
        "entry": entries,
    }


_DOCS = {
    "Patient": "The patient at /api/v1/patients/{id}, with the medical record number.",
    "Condition": "asthma-{patient}: asthma (SNOMED CT 195967001 with the phenotype's and "
    "severity's codes, ICD-10 J45.x), once the diagnostic work-up has recorded anything.",
    "Observation": "Spirometry (LOINC, with predicted, LLN, ULN, z-score and % predicted "
    "as components and the reference equations as the method) and its interpretation, "
    "body height and weight, eosinophils, FeNO, IgE, ACT/C-ACT/ACQ/GINA scores, the "
    "follow-up check-ins' scores and spirometry, vital signs of the administrations.",
    "MedicationStatement": "The regular asthma medication of the treatment histories (ATC).",
    "QuestionnaireResponse": "An answered follow-up check-in; the id is the follow-up's.",
    "Procedure": "An administration of cells (intravenous or nebulised).",
    "BiologicallyDerivedProduct": "A unit of cells; the id is its ISBT 128 DIN.",
    "AdverseEvent": "An adverse event (CTCAE grade as an extension, ICH E2A seriousness).",
    "CarePlan": "A version of a treatment course with its infusions, nebulisations and "
    "supporting sessions.",
    "DocumentReference": "A signed medical summary, its PDF as the attachment.",
}


def _readers(kind: str) -> str:
    allowed = roles.TYPE_ROLES[kind]
    names = ", ".join(sorted(str(r) for r in allowed))
    return f"{names} (a patient: their own)" if Role.PATIENT in allowed else names


def capability_statement() -> Json:
    base = base_url()
    clinic = get_settings().clinic_name
    resources = []
    for kind, text in _DOCS.items():
        entry: Json = {
            "type": kind,
            "documentation": f"{text} Read by: {_readers(kind)}.",
            "interaction": [{"code": "read"}],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
        }
        if kind == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                    "documentation": "A searchset Bundle of the patient's record as the "
                    "reader's role may see it; no parameters are supported.",
                }
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "id": "respira",
        "url": base + "/metadata",
        "version": __version__,
        "name": "RespiraFhirServer",
        "title": f"Respira FHIR R4 interface of {clinic}",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": clinic,
        "kind": "instance",
        "software": {"name": "Respira", "version": __version__},
        "implementation": {"description": f"{clinic}: Respira", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "application/json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Reads, Patient/$everything and a spirometry transaction. "
                "No search, no history, no create, update or delete. The bulk export of "
                "every patient is the command `respira fhir export` (NDJSON per resource "
                f"type), not $export. Respira's own codes: {RESPIRA}; its extension of "
                f"the CTCAE grade: {CANONICAL}/StructureDefinition/ctcae-grade.",
                "security": {
                    "cors": False,
                    "description": "A bearer token from POST /api/v1/auth/token (the JSON "
                    "API's tokens). Each resource type is read only by the roles named in "
                    "its documentation, and a patient reads only their own record.",
                },
                "resource": resources,
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "POST [base] or [base]/Bundle: a transaction of "
                        "POST Observation entries with FEV1 and FVC before (20157-4, "
                        "19876-2) and after (20155-8, 19874-7) the bronchodilator, for one "
                        "known patient and one day, stored as a diagnostics spirometry "
                        "record and interpreted (FEV1/FVC 19926-5 is checked and not "
                        f"stored). Roles: {', '.join(sorted(map(str, roles.IMPORT_ROLES)))}. "
                        "Anything else is refused whole with an OperationOutcome.",
                    }
                ],
            }
        ],
    }
