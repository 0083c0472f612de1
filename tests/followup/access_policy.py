"""Who may use each of the follow-up's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

Coordinators run the follow-up with the physicians (the list, phone calls, check-ins
entered for a patient, retracting one entered in error); admins read it; admins and
physicians set the plan; a patient reads and answers their own check-ins; nurses and
the laboratory have no part in it."""

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
READ = frozenset({A, PH, CO, PT})
STAFF = frozenset({A, PH, CO})
ANSWER = frozenset({PH, CO, PT})
ON_BEHALF = frozenset({PH, CO})
PLAN_WRITE = frozenset({A, PH})

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/patients/{patient_id}/follow-ups"): READ,
    ("GET", "/api/v1/follow-ups"): STAFF,
    ("GET", "/api/v1/follow-ups/{follow_up_id}"): READ,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/check-in"): ANSWER,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/check-in/retract"): ON_BEHALF,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/contacts"): ON_BEHALF,
    ("GET", "/api/v1/follow-up-plan"): STAFF,
    ("POST", "/api/v1/follow-up-plan"): PLAN_WRITE,
    ("GET", "/follow-ups"): STAFF,
    ("GET", "/follow-ups/{follow_up_id}"): STAFF,
    ("POST", "/follow-ups/{follow_up_id}/check-in"): ON_BEHALF,
    ("POST", "/follow-ups/{follow_up_id}/check-in/retract"): ON_BEHALF,
    ("POST", "/follow-ups/{follow_up_id}/contacts"): ON_BEHALF,
    ("GET", "/my/check-ins/{follow_up_id}"): frozenset({PT}),
    ("POST", "/my/check-ins/{follow_up_id}"): frozenset({PT}),
    ("GET", "/follow-up-plan"): STAFF,
    ("POST", "/follow-up-plan"): PLAN_WRITE,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # An id that names nothing: every role that passes the access check is answered 404
    # (or 422 for a body it cannot read), which the matrix counts as served.
    return {"follow_up_id": 999_999}
