"""Who may use each of the summaries' routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

A physician writes, signs and corrects summaries; admins and physicians read drafts;
nurses read signed summaries; a patient downloads their own signed summaries (the JSON
API and the PDF) and lists them on their own page; coordinators and the laboratory have
no part in a patient's medical summary."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, N, PT = Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.PATIENT
WRITE = frozenset({PH})
READ = frozenset({A, PH, N, PT})
STAFF_READ = frozenset({A, PH, N})

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/summaries/{summary_id}.pdf"): READ,
    ("POST", "/api/v1/patients/{patient_id}/summaries"): WRITE,
    ("GET", "/api/v1/patients/{patient_id}/summaries"): READ,
    ("GET", "/api/v1/summaries/{summary_id}"): READ,
    ("PATCH", "/api/v1/summaries/{summary_id}"): WRITE,
    ("POST", "/api/v1/summaries/{summary_id}/sign"): WRITE,
    ("POST", "/api/v1/summaries/{summary_id}/revisions"): WRITE,
    ("POST", "/patients/{patient_id}/summaries"): WRITE,
    ("GET", "/summaries/{summary_id}.pdf"): READ,
    ("GET", "/summaries/{summary_id}"): STAFF_READ,
    ("POST", "/summaries/{summary_id}/draft"): WRITE,
    ("POST", "/summaries/{summary_id}/sign"): WRITE,
    ("POST", "/summaries/{summary_id}/revisions"): WRITE,
    ("GET", "/my/summaries"): frozenset({PT}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # An id that names nothing: every role that passes the access check is answered 404
    # (or 422), which the matrix counts as served.
    return {"summary_id": 999_999}
