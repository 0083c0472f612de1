"""Who may use each of the safety step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

Nurses and physicians record and correct adverse events; physicians sign reports,
acknowledge alerts and retract; admins read; the overview (no patient identity) is the
laboratory's too, and the laboratory stops a flagged lot; admins keep the on-call
roster; admins and physicians publish the reference list of expected reactions.
Patients and coordinators have no part here."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, N, LAB = Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.LAB
RECORD = frozenset({N, PH})
READ = frozenset({A, PH, N})
SIGN = frozenset({PH})
OVERVIEW = frozenset({A, PH, N, LAB})
LOTS = frozenset({A, PH, LAB})
HOLD = frozenset({LAB})
ROSTER = frozenset({A})
EXPECTED_WRITE = frozenset({A, PH})
EVENT = "/api/v1/adverse-events/{event_id}"
PAGE = "/adverse-events/{event_id}"

POLICY: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/patients/{patient_id}/adverse-events"): RECORD,
    ("GET", "/api/v1/patients/{patient_id}/adverse-events"): READ,
    ("GET", EVENT): READ,
    ("PATCH", EVENT): RECORD,
    ("POST", EVENT + "/retract"): SIGN,
    ("POST", EVENT + "/acknowledge"): SIGN,
    ("POST", EVENT + "/reports"): SIGN,
    ("GET", "/api/v1/safety/ctcae"): READ,
    ("GET", "/api/v1/safety/programme"): OVERVIEW,
    ("GET", "/api/v1/safety/lots"): OVERVIEW,
    ("GET", "/api/v1/safety/lots/{lot_id}"): LOTS,
    ("POST", "/api/v1/safety/lots/{lot_id}/hold"): HOLD,
    ("GET", "/api/v1/safety/expected-reactions"): READ,
    ("POST", "/api/v1/safety/expected-reactions"): EXPECTED_WRITE,
    ("GET", "/api/v1/safety/on-call"): ROSTER,
    ("POST", "/api/v1/safety/on-call"): ROSTER,
    ("DELETE", "/api/v1/safety/on-call/{shift_id}"): ROSTER,
    ("GET", "/patients/{patient_id}/adverse-events/new"): RECORD,
    ("POST", "/patients/{patient_id}/adverse-events"): RECORD,
    ("GET", PAGE): READ,
    ("GET", PAGE + "/correct"): RECORD,
    ("POST", PAGE + "/correct"): RECORD,
    ("POST", PAGE + "/reports"): SIGN,
    ("POST", PAGE + "/acknowledge"): SIGN,
    ("POST", PAGE + "/retract"): SIGN,
    ("GET", "/safety"): OVERVIEW,
    ("GET", "/safety/lots/{lot_id}"): LOTS,
    ("POST", "/safety/lots/{lot_id}/hold"): HOLD,
    ("GET", "/safety/on-call"): ROSTER,
    ("POST", "/safety/on-call"): ROSTER,
    ("POST", "/safety/on-call/{shift_id}/remove"): ROSTER,
    ("GET", "/safety/expected-reactions"): READ,
    ("POST", "/safety/expected-reactions"): EXPECTED_WRITE,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # Ids that name nothing: every role that passes the access check is answered 404 or
    # 422, which the matrix counts as served.
    return {"event_id": 999_999, "lot_id": 999_999, "shift_id": 999_999}
