"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, NU, CO, LAB, PT = (
    Role.ADMIN,
    Role.PHYSICIAN,
    Role.NURSE,
    Role.COORDINATOR,
    Role.LAB,
    Role.PATIENT,
)
# Physicians draft, approve and revise courses; the ward (nurses), travel
# (coordinators), dose preparation (lab) and admins read them; a patient reads their
# own approved courses (the service answers 404 for the rest). Admins read and change
# the programme limits; physicians read them (they plan within them).
READERS = frozenset({A, PH, NU, CO, LAB, PT})

POLICY: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/patients/{patient_id}/courses"): frozenset({PH}),
    ("GET", "/api/v1/patients/{patient_id}/courses"): READERS,
    ("GET", "/api/v1/courses/{course_id}"): READERS,
    ("POST", "/api/v1/courses/{course_id}/approve"): frozenset({PH}),
    ("POST", "/api/v1/courses/{course_id}/revise"): frozenset({PH}),
    ("GET", "/api/v1/programme-limits/current"): frozenset({A, PH}),
    ("POST", "/api/v1/programme-limits"): frozenset({A}),
    ("GET", "/patients/{patient_id}/courses/new"): frozenset({PH}),
    ("POST", "/patients/{patient_id}/courses"): frozenset({PH}),
    ("GET", "/courses/{course_id}"): READERS,
    ("POST", "/courses/{course_id}/approve"): frozenset({PH}),
    ("GET", "/courses/{course_id}/revise"): frozenset({PH}),
    ("POST", "/courses/{course_id}/revise"): frozenset({PH}),
    ("GET", "/courses/{course_id}/schedule"): READERS,
    ("GET", "/programme-limits"): frozenset({A, PH}),
    ("POST", "/programme-limits"): frozenset({A}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    from tests.protocols.helpers import protocols_access_ids

    return protocols_access_ids(db, patient_id)
