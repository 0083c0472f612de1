"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)
TRIAGE = frozenset({A, CO})  # consultation requests: coordinators and admins

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/consultation"): PUBLIC,
    ("POST", "/consultation"): PUBLIC,
    ("GET", "/consultation/thanks"): PUBLIC,
    ("POST", "/api/v1/consultation-requests"): PUBLIC,
    ("GET", "/api/v1/consultation-requests"): TRIAGE,
    ("GET", "/api/v1/consultation-requests/{consultation_request_id}"): TRIAGE,
    ("PATCH", "/api/v1/consultation-requests/{consultation_request_id}"): TRIAGE,
    ("POST", "/api/v1/consultation-requests/{consultation_request_id}/convert"): TRIAGE,
    ("GET", "/consultation-requests"): TRIAGE,
    ("GET", "/consultation-requests/{consultation_request_id}"): TRIAGE,
    ("POST", "/consultation-requests/{consultation_request_id}/status"): TRIAGE,
    ("POST", "/consultation-requests/{consultation_request_id}/notes"): TRIAGE,
    ("GET", "/consultation-requests/{consultation_request_id}/convert"): TRIAGE,
    ("POST", "/consultation-requests/{consultation_request_id}/convert"): TRIAGE,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    from tests.intake.helpers import intake_access_ids

    return intake_access_ids(db)
