"""Use cases of the FHIR R4 interface, as one public face: the CapabilityStatement,
``Patient/$everything``, the read of one resource, the import of spirometry from a
transaction Bundle, and the bulk export. They live in

- ``respira.fhir.record`` — a patient's record read through each step's service;
- ``respira.fhir.diagnostics_resources``, ``followup_resources``, ``treatment_resources``
  and ``patient_resources`` — the resources, built as plain dicts (codes:
  ``respira.fhir.codes``, clinical.md §7);
- ``respira.fhir.bundle`` — the searchset bundle and the CapabilityStatement;
- ``respira.fhir.importer`` — the spirometry transaction;
- ``respira.fhir.export`` — the NDJSON bulk export (``respira fhir export``);
- ``respira.fhir.outcome`` — refusals as OperationOutcomes;

and who may read what in ``respira.fhir.roles``. Every resource validates as FHIR R4
(the tests parse each with ``fhir.resources``' R4B models, identical to R4 for these
resources).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from respira.fhir import bundle, importer, record
from respira.fhir.bundle import capability_statement
from respira.fhir.datatypes import Json, row_id
from respira.fhir.export import ExportResult, export
from respira.fhir.importer import Imported
from respira.fhir.outcome import Refusal, outcome_of
from respira.fhir.roles import FHIR_ROLES, IMPORT_ROLES, TYPE_ROLES
from respira.kit.actors import Actor

__all__ = [
    "FHIR_ROLES",
    "IMPORT_ROLES",
    "TYPE_ROLES",
    "ExportResult",
    "Imported",
    "Refusal",
    "capability_statement",
    "everything",
    "export",
    "import_spirometry",
    "outcome_of",
    "read",
]


def everything(session: Session, actor: Actor, patient_id: str, self_url: str) -> Json:
    """``Patient/{id}/$everything``: the record as a searchset Bundle (404 for a patient
    the actor may not see, or an id that names none)."""
    return bundle.searchset(record.everything(session, actor, row_id(patient_id)), self_url)


def read(session: Session, actor: Actor, kind: str, resource_id: str) -> Json:
    return record.read(session, actor, kind, resource_id)


def import_spirometry(session: Session, actor: Actor, body: bytes) -> Imported:
    """Store a transaction Bundle of spirometry Observations as a diagnostic visit with
    its spirometry record, audited; commits. Refused whole (``Refusal``) otherwise."""
    imported = importer.import_bundle(session, actor, body)
    session.commit()
    return imported
