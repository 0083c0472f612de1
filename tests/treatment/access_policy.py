"""Who may use each of the stay's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

Nurses and physicians do the ward work (admissions, bedside checks, administrations,
supporting sessions); admins read; coordinators read the ward board and admissions
(they organise the stay) but no administration; the laboratory has no part in the
stay; a patient reads their own administrations."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, N, CO, LAB, PT = (
    Role.ADMIN,
    Role.PHYSICIAN,
    Role.NURSE,
    Role.COORDINATOR,
    Role.LAB,
    Role.PATIENT,
)
WARD = frozenset({N, PH})
BOARD = frozenset({A, PH, N, CO})
ADMINISTRATIONS = frozenset({A, PH, N, PT})

POLICY: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/bedside-checks"): WARD,
    ("POST", "/api/v1/administrations"): WARD,
    ("GET", "/api/v1/administrations/{administration_id}"): ADMINISTRATIONS,
    ("GET", "/api/v1/patients/{patient_id}/administrations"): ADMINISTRATIONS,
    ("POST", "/api/v1/patients/{patient_id}/admissions"): WARD,
    ("GET", "/api/v1/patients/{patient_id}/admissions"): BOARD,
    ("POST", "/api/v1/admissions/{admission_id}/discharge"): WARD,
    ("POST", "/api/v1/supporting-sessions"): WARD,
    ("GET", "/api/v1/ward"): BOARD,
    ("GET", "/ward"): BOARD,
    ("POST", "/patients/{patient_id}/admissions"): WARD,
    ("POST", "/admissions/{admission_id}/discharge"): WARD,
    ("POST", "/ward/supporting-sessions"): WARD,
    ("GET", "/ward/bedside-check"): WARD,
    ("POST", "/ward/bedside-check"): WARD,
    ("GET", "/ward/administrations/new"): WARD,
    ("POST", "/ward/administrations"): WARD,
    ("GET", "/administrations/{administration_id}"): ADMINISTRATIONS,
    # the products step's chain readers who read patients (the lab reads units only)
    ("GET", "/patients/{patient_id}/chain-of-identity"): frozenset({A, PH, N}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # Ids that name nothing: every role that passes the access check is answered 404 or
    # 422, which the matrix counts as served.
    return {"administration_id": 999_999, "admission_id": 999_999}
