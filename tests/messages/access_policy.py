"""Who may use each of the messages' routes: the care team (physicians, nurses,
coordinators) reads and writes every patient's threads and works the queue; a patient
reads and writes their own threads; admins and the laboratory have no part in patients'
conversations."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

PH, N, CO, PT = Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR, Role.PATIENT
CARE_TEAM = frozenset({PH, N, CO})
READ = frozenset({PH, N, CO, PT})
PATIENT = frozenset({PT})

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/patients/{patient_id}/threads"): READ,
    ("POST", "/api/v1/patients/{patient_id}/threads"): READ,
    ("GET", "/api/v1/threads/{thread_id}"): READ,
    ("POST", "/api/v1/threads/{thread_id}/messages"): READ,
    ("POST", "/api/v1/threads/{thread_id}/assign"): CARE_TEAM,
    ("POST", "/api/v1/threads/{thread_id}/close"): CARE_TEAM,
    ("POST", "/api/v1/threads/{thread_id}/reopen"): CARE_TEAM,
    ("GET", "/api/v1/message-queue"): CARE_TEAM,
    ("GET", "/messages"): CARE_TEAM,
    ("GET", "/messages/{thread_id}"): CARE_TEAM,
    ("POST", "/messages/{thread_id}/reply"): CARE_TEAM,
    ("POST", "/messages/{thread_id}/assign"): CARE_TEAM,
    ("POST", "/messages/{thread_id}/status"): CARE_TEAM,
    ("POST", "/patients/{patient_id}/threads"): CARE_TEAM,
    ("GET", "/my/messages"): PATIENT,
    ("POST", "/my/messages"): PATIENT,
    ("GET", "/my/messages/{thread_id}"): PATIENT,
    ("POST", "/my/messages/{thread_id}"): PATIENT,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # A thread id that names nothing: every role let in is answered 404 or 422.
    return {"thread_id": 999_999}
