"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)

POLICY: dict[tuple[str, str], Any] = {
    # coordinators and the laboratory: no access (least privilege, docs/decisions)
    ("POST", "/api/v1/patients/{patient_id}/visits"): frozenset({A, PH}),
    ("GET", "/api/v1/patients/{patient_id}/visits"): frozenset({A, PH, PT}),
    ("GET", "/api/v1/visits/{visit_id}"): frozenset({A, PH, PT}),
    ("POST", "/api/v1/visits/{visit_id}/spirometry"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/markers"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/imaging"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/questionnaires"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/history"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/retract"): frozenset({A, PH}),
    ("POST", "/api/v1/visits/{visit_id}/{kind}/{record_id}/retract"): frozenset({A, PH}),
    ("GET", "/patients/{patient_id}/visits/new"): frozenset({A, PH}),
    ("POST", "/patients/{patient_id}/visits"): frozenset({A, PH}),
    ("GET", "/visits/{visit_id}"): frozenset({A, PH, PT}),
    ("POST", "/visits/{visit_id}/spirometry"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/markers"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/imaging"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/questionnaires"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/history"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/retract"): frozenset({A, PH}),
    ("POST", "/visits/{visit_id}/{kind}/{record_id}/retract"): frozenset({A, PH}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    from tests.diagnostics.helpers import diagnostics_access_ids

    return diagnostics_access_ids(db)
