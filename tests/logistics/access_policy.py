"""Who may use the logistics routes: coordinators run the stays, their checklists, the
visa letters and the travel plans, and admins read them; physicians, nurses,
coordinators and admins read the coordinator board; physicians, nurses and coordinators
record a patient's diet restrictions and admins read them; a patient reads only their
own travel plan and visa letter."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, N, CO, PT = Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR, Role.PATIENT
COORDINATE = frozenset({CO})
READ = frozenset({CO, A})
PLAN = READ | {PT}
BOARD = frozenset({CO, PH, N, A})
DIET_WRITE = frozenset({CO, PH, N})
DIET_READ = DIET_WRITE | {A}

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/stays"): READ,
    ("POST", "/api/v1/stays"): COORDINATE,
    ("GET", "/api/v1/stays/{stay_id}"): READ,
    ("PATCH", "/api/v1/stays/{stay_id}"): COORDINATE,
    ("POST", "/api/v1/stays/{stay_id}/cancel"): COORDINATE,
    ("POST", "/api/v1/stays/{stay_id}/complete"): COORDINATE,
    ("GET", "/api/v1/stays/{stay_id}/checklist"): READ,
    ("POST", "/api/v1/stays/{stay_id}/checklist"): COORDINATE,
    ("PATCH", "/api/v1/stays/{stay_id}/checklist/{item_id}"): COORDINATE,
    ("GET", "/api/v1/stays/{stay_id}/invitation-letter.pdf"): PLAN,
    ("GET", "/api/v1/stays/{stay_id}/travel-plan"): PLAN,
    ("POST", "/api/v1/stays/{stay_id}/travel-plan"): COORDINATE,
    ("GET", "/api/v1/patients/{patient_id}/stays"): READ,
    ("GET", "/api/v1/patients/{patient_id}/diet"): DIET_READ,
    ("POST", "/api/v1/patients/{patient_id}/diet-restrictions"): DIET_WRITE,
    ("POST", "/api/v1/diet-restrictions/{restriction_id}/retract"): DIET_WRITE,
    ("GET", "/api/v1/logistics/board"): BOARD,
    ("GET", "/logistics/board"): BOARD,
    ("GET", "/logistics/stays"): READ,
    ("GET", "/logistics/stays/{stay_id}"): READ,
    ("POST", "/logistics/stays/{stay_id}/edit"): COORDINATE,
    ("POST", "/logistics/stays/{stay_id}/cancel"): COORDINATE,
    ("POST", "/logistics/stays/{stay_id}/complete"): COORDINATE,
    ("POST", "/logistics/stays/{stay_id}/travel-plan"): COORDINATE,
    ("POST", "/logistics/stays/{stay_id}/items"): COORDINATE,
    ("GET", "/logistics/stays/{stay_id}/invitation-letter.pdf"): READ,
    ("GET", "/logistics/stays/{stay_id}/items/{item_id}"): READ,
    ("POST", "/logistics/stays/{stay_id}/items/{item_id}"): COORDINATE,
    ("GET", "/logistics/patients/{patient_id}/stays/new"): COORDINATE,
    ("POST", "/logistics/patients/{patient_id}/stays"): COORDINATE,
    ("GET", "/logistics/patients/{patient_id}/diet"): DIET_READ,
    ("POST", "/logistics/patients/{patient_id}/diet-restrictions"): DIET_WRITE,
    ("POST", "/logistics/diet-restrictions/{restriction_id}/retract"): DIET_WRITE,
    ("GET", "/my/travel"): frozenset({PT}),
    ("GET", "/my/travel/{stay_id}/invitation-letter.pdf"): frozenset({PT}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # Ids that name nothing: every role that passes the access check is answered 404 or
    # 422, which the matrix counts as served.
    return {"stay_id": 999_999, "item_id": 999_999, "restriction_id": 999_999}
