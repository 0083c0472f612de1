"""Who may use the FHIR interface, resource type by resource type.

FHIR exchanges the clinical record with the home physician's systems and with the
patient's apps: the admins and physicians, who read the whole record, and a patient,
who reads their own (every read goes through the owning step's service, which answers
"not found" for another patient's record). Each resource type is further limited to the
roles that its owning step lets read it (least privilege; tests/fhir/access_policy.py):
a patient gets no AdverseEvent (the safety step gives patients no part) and no
BiologicallyDerivedProduct (the chain of identity is the staff's). Importing spirometry
is the diagnostics writers' (admins, physicians). ``metadata`` is public.
"""

from __future__ import annotations

from respira.diagnostics import service as diagnostics_service
from respira.followup import service as followup_service
from respira.kit.actors import SYSTEM_ROLE, Actor, Role
from respira.patients import service as patients_service
from respira.protocols import service as protocols_service
from respira.safety import service as safety_service
from respira.summaries import service as summaries_service
from respira.treatment import service as treatment_service

FHIR_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.PATIENT})
DIAGNOSTICS = diagnostics_service.READ_ROLES
FOLLOWUP = followup_service.READ_ROLES
ADMINISTRATIONS = treatment_service.ADMINISTRATION_READ_ROLES
UNITS = treatment_service.CHAIN_ROLES
SAFETY = safety_service.READ_ROLES
COURSES = protocols_service.READ_ROLES
SUMMARIES = summaries_service.READ_ROLES

TYPE_ROLES: dict[str, frozenset[Role]] = {
    "Patient": FHIR_ROLES & patients_service.READ_ROLES,
    "Condition": FHIR_ROLES & DIAGNOSTICS,
    "Observation": FHIR_ROLES & DIAGNOSTICS & FOLLOWUP & ADMINISTRATIONS & COURSES,
    "MedicationStatement": FHIR_ROLES & DIAGNOSTICS,
    "QuestionnaireResponse": FHIR_ROLES & FOLLOWUP,
    "Procedure": FHIR_ROLES & ADMINISTRATIONS,
    "BiologicallyDerivedProduct": FHIR_ROLES & UNITS,
    "AdverseEvent": FHIR_ROLES & SAFETY,
    "CarePlan": FHIR_ROLES & COURSES & ADMINISTRATIONS,
    "DocumentReference": FHIR_ROLES & SUMMARIES,
}
IMPORT_ROLES = diagnostics_service.WRITE_ROLES


def may(actor: Actor, roles: frozenset[Role]) -> bool:
    """Whether the actor may read what ``roles`` may (the operator at the command line,
    who holds the database, may read everything: the bulk export)."""
    return actor.role == SYSTEM_ROLE or actor.role in roles
