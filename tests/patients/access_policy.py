"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
NU = Role.NURSE
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)
STAFF_READ = frozenset({A, PH, NU, CO})
PATIENT_READ = frozenset({A, PH, NU, CO, PT})
PATIENT_WRITE = frozenset({A, PH, CO})

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/patients"): PATIENT_READ,
    ("POST", "/api/v1/patients"): PATIENT_WRITE,
    ("GET", "/api/v1/patients/duplicate-candidates"): PATIENT_WRITE,
    ("GET", "/api/v1/patients/{patient_id}"): PATIENT_READ,
    ("PATCH", "/api/v1/patients/{patient_id}"): PATIENT_WRITE,
    ("GET", "/patients"): STAFF_READ,
    ("GET", "/me"): frozenset({PT}),
    ("GET", "/patients/new"): PATIENT_WRITE,
    ("POST", "/patients"): PATIENT_WRITE,
    ("GET", "/patients/duplicates"): frozenset({A, CO}),
    ("POST", "/patients/duplicates/not-a-duplicate"): frozenset({A, CO}),
    ("GET", "/patients/{patient_id}"): PATIENT_READ,
    ("GET", "/patients/{patient_id}/edit"): PATIENT_WRITE,
    ("POST", "/patients/{patient_id}/edit"): PATIENT_WRITE,
}
