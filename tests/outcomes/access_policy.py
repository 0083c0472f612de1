"""Who may use each of the outcomes step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

The outcome report is for the medical director (admin) and the physicians; the public
transparency page is for everyone, signed in or not; registry exits are recorded by
physicians and coordinators and read by admins; the de-identified export is for admins."""

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

POLICY: dict[tuple[str, str], Any] = {
    # The outcome report (H3): the medical director (admin) and the physicians; the
    # public transparency page: everyone.
    ("GET", "/outcomes/report"): frozenset({A, PH}),
    ("GET", "/outcomes/report.pdf"): frozenset({A, PH}),
    ("GET", "/outcomes/report.json"): frozenset({A, PH}),
    ("GET", "/api/v1/outcomes/report"): frozenset({A, PH}),
    ("GET", "/outcomes"): "public",
    # The de-identified export (H4): admins only.
    ("GET", "/admin/outcomes/export"): frozenset({A}),
    ("POST", "/admin/outcomes/export"): frozenset({A}),
    # Registry exits (H2): physicians and coordinators record and retract, admins read.
    ("GET", "/api/v1/patients/{patient_id}/registry-exits"): frozenset({A, PH, CO}),
    ("POST", "/api/v1/patients/{patient_id}/registry-exits"): frozenset({PH, CO}),
    ("GET", "/api/v1/registry-exits/{exit_id}"): frozenset({A, PH, CO}),
    ("POST", "/api/v1/registry-exits/{exit_id}/retract"): frozenset({PH, CO}),
    ("GET", "/patients/{patient_id}/registry-exits/new"): frozenset({PH, CO}),
    ("POST", "/patients/{patient_id}/registry-exits"): frozenset({PH, CO}),
    ("GET", "/registry-exits/{exit_id}/retract"): frozenset({PH, CO}),
    ("POST", "/registry-exits/{exit_id}/retract"): frozenset({PH, CO}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # Ids that name nothing: a role let in is answered 404 (served).
    return {"exit_id": 999_999}
