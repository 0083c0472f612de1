"""Use cases of screening, as one public face: criteria sets (install, copy and change,
activate), screening findings, evaluating a screening, and the physician's e-signed
decision. The use cases live in

- ``respira.screening.criteria_sets`` — the shipped default, edited copies as new
  versions, activating one, reading them;
- ``respira.screening.findings`` — the physician's screening findings;
- ``respira.screening.decisions`` — running a screening, the note, the signature,
  supersession, and what the patient's page shows;

and who may do what in ``respira.screening.roles``
(docs/decisions/2026-11-23-screening-roles-and-signatures.md). Callers outside the step
(its routes, its demo, other steps, tests) write ``service.X``.

A signed screening never changes: a second signature or an edit answers 409 and
changes nothing in it; the refused attempt itself is written to the audit trail. A new
screening of the same patient supersedes the patient's newest one; signing is possible
only for the newest.
"""

from __future__ import annotations

from respira.screening.criteria_sets import (
    INSTALLER,
    SHIPPED_DEFAULT,
    activate_criteria_set,
    active_criteria_set,
    copy_text,
    create_criteria_set,
    ensure_default,
    get_criteria_set,
    list_criteria_sets,
    parse_criteria,
    shipped_default_text,
    shipped_default_version,
    suggest_version,
)
from respira.screening.decisions import (
    APPROVED,
    DECLINED,
    evaluate_screening,
    get_screening,
    list_screenings,
    patient_summary,
    screening_out,
    sign_screening,
    signed_content,
    signed_with_changed_evidence,
    update_note,
)
from respira.screening.findings import (
    findings_form_values,
    list_findings,
    newest_findings,
    record_findings,
)
from respira.screening.models import MEANINGS, TRI_FIELDS
from respira.screening.roles import (
    CLINICAL_ROLES,
    CRITERIA_ADMIN_ROLES,
    CRITERIA_READ_ROLES,
    READ_ROLES,
    SIGN_ROLES,
    STATUS_ROLES,
    WORKLIST_ROLES,
)

__all__ = [
    "APPROVED",
    "CLINICAL_ROLES",
    "CRITERIA_ADMIN_ROLES",
    "CRITERIA_READ_ROLES",
    "DECLINED",
    "INSTALLER",
    "MEANINGS",
    "READ_ROLES",
    "SHIPPED_DEFAULT",
    "SIGN_ROLES",
    "STATUS_ROLES",
    "TRI_FIELDS",
    "WORKLIST_ROLES",
    "activate_criteria_set",
    "active_criteria_set",
    "copy_text",
    "create_criteria_set",
    "ensure_default",
    "evaluate_screening",
    "findings_form_values",
    "get_criteria_set",
    "get_screening",
    "list_criteria_sets",
    "list_findings",
    "list_screenings",
    "newest_findings",
    "parse_criteria",
    "patient_summary",
    "record_findings",
    "screening_out",
    "shipped_default_text",
    "shipped_default_version",
    "sign_screening",
    "signed_content",
    "signed_with_changed_evidence",
    "suggest_version",
    "update_note",
]
