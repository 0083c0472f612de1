"""The patient and their signed medical summaries as FHIR resources.

``Patient/{id}`` is the patient at ``/api/v1/patients/{id}``, identified also by the
clinic's medical record number (its system is the clinic's own address: two clinics
may issue the same number). ``DocumentReference/{id}`` is a signed summary, its frozen
PDF as the attachment (base64, with its size and SHA-1 as FHIR R4 asks; the SHA-256
Respira stored when the physician signed is an identifier)."""

from __future__ import annotations

import base64
import hashlib

from respira.fhir import codes
from respira.fhir.datatypes import (
    Json,
    coding,
    concept,
    identifier,
    instant,
    reference,
    resource,
)
from respira.kit.config import get_settings
from respira.patients.schemas import PatientOut
from respira.summaries.schemas import SignedSummary

V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
BCP47 = "urn:ietf:bcp:47"


def base_url() -> str:
    """The FHIR base of this clinic's server (the bundles' ``fullUrl``s start with it)."""
    return get_settings().public_base_url.rstrip("/") + "/fhir"


def mrn_system() -> str:
    return base_url() + "/sid/medical-record-number"


def patient(p: PatientOut) -> Json:
    return resource(
        "Patient",
        p.id,
        p.updated_at,
        identifier=[
            {
                "use": "usual",
                "type": concept(coding(V2_IDENTIFIER_TYPE, "MR", "Medical record number")),
                "system": mrn_system(),
                "value": p.medical_record_number,
            }
        ],
        active=True,
        name=[{"use": "official", "family": p.last_name, "given": [p.first_name]}],
        telecom=[
            {"system": "email", "value": p.email} if p.email else None,
            {"system": "phone", "value": p.phone} if p.phone else None,
        ],
        gender=p.sex_at_birth,
        birthDate=p.date_of_birth.isoformat(),
        address=[{"country": p.country}],
        communication=[
            {
                "language": concept(coding(BCP47, p.preferred_language)),
                "preferred": True,
            }
        ],
    )


def document(summary: SignedSummary, replaces: int | None = None) -> Json:
    """A signed summary; ``replaces`` the earlier version a correction supersedes."""
    system, code, display = codes.DOCUMENT_TYPES.get(
        summary.kind, (codes.RESPIRA, summary.kind, summary.kind)
    )
    pdf: bytes = summary.pdf
    return resource(
        "DocumentReference",
        summary.id,
        summary.signed_at,
        identifier=[
            identifier(
                "SHA-256 of the signed PDF", summary.sha256, codes.CANONICAL + "/sid/summary-sha256"
            )
        ],
        status=summary.status,
        docStatus="final",
        type=concept(coding(system, code, display), text=display),
        subject=reference("Patient", summary.patient_id),
        date=instant(summary.signed_at),
        authenticator={"display": summary.signed_by_name},
        description=f"{summary.title} (version {summary.version}, signed)",
        relatesTo=[{"code": "replaces", "target": reference("DocumentReference", replaces)}]
        if replaces is not None
        else [],
        content=[
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "language": summary.language,
                    "data": base64.b64encode(pdf).decode("ascii"),
                    "size": len(pdf),
                    "hash": base64.b64encode(hashlib.sha1(pdf).digest()).decode("ascii"),  # noqa: S324 (FHIR R4 Attachment.hash is SHA-1 by definition)
                    "title": summary.title,
                    "creation": instant(summary.signed_at),
                }
            }
        ],
    )


def documents(summaries: list[SignedSummary]) -> list[Json]:
    """Every signed summary of a patient, each correction marked as replacing the
    version it superseded."""
    replaced = {s.superseded_by_id: s.id for s in summaries if s.superseded_by_id is not None}
    return [document(s, replaced.get(s.id)) for s in summaries]
