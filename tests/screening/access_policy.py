"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)

POLICY: dict[tuple[str, str], Any] = {
    # physicians record findings, run and sign screenings (only a physician signs);
    # admins manage criteria sets and read; a patient reads their own; coordinators
    # and the laboratory see no screening detail (docs/decisions)
    ("GET", "/api/v1/screening/criteria-sets"): frozenset({A, PH}),
    ("POST", "/api/v1/screening/criteria-sets"): frozenset({A}),
    ("GET", "/api/v1/screening/criteria-sets/{set_id}"): frozenset({A, PH}),
    ("POST", "/api/v1/screening/criteria-sets/{set_id}/activate"): frozenset({A}),
    ("POST", "/api/v1/patients/{patient_id}/screening-findings"): frozenset({PH}),
    ("GET", "/api/v1/patients/{patient_id}/screening-findings"): frozenset({A, PH, PT}),
    ("POST", "/api/v1/patients/{patient_id}/screenings"): frozenset({PH}),
    ("GET", "/api/v1/patients/{patient_id}/screenings"): frozenset({A, PH, PT}),
    ("GET", "/api/v1/screenings/{screening_id}"): frozenset({A, PH, PT}),
    ("PATCH", "/api/v1/screenings/{screening_id}"): frozenset({PH}),
    ("POST", "/api/v1/screenings/{screening_id}/sign"): frozenset({PH}),
    ("GET", "/patients/{patient_id}/screening/findings"): frozenset({A, PH, PT}),
    ("GET", "/patients/{patient_id}/screening/findings/new"): frozenset({PH}),
    ("POST", "/patients/{patient_id}/screening/findings"): frozenset({PH}),
    ("POST", "/patients/{patient_id}/screenings"): frozenset({PH}),
    ("GET", "/screenings/{screening_id}"): frozenset({A, PH, PT}),
    ("POST", "/screenings/{screening_id}/sign"): frozenset({PH}),
    ("POST", "/screenings/{screening_id}/note"): frozenset({PH}),
    ("GET", "/screening/criteria"): frozenset({A, PH}),
    ("GET", "/screening/criteria/new"): frozenset({A}),
    ("POST", "/screening/criteria"): frozenset({A}),
    ("GET", "/screening/criteria/edit"): frozenset({A}),
    ("POST", "/screening/criteria/edit"): frozenset({A}),
    ("GET", "/screening/criteria/{set_id}"): frozenset({A, PH}),
    ("POST", "/screening/criteria/{set_id}/activate"): frozenset({A}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    from tests.screening.screening_helpers import screening_access_ids

    return screening_access_ids(db, patient_id)
