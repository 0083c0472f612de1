"""Who may use each of the portal's routes: anyone may follow a sign-in link (it is the
sign-in); a patient opens their own page and chooses their password; admins, physicians
and coordinators send a patient the invitation (nurses and the laboratory do not)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

PATIENT = frozenset({Role.PATIENT})
INVITE = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR})

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/login/link/{token}"): "public",
    ("GET", "/my"): PATIENT,
    ("GET", "/my/password/new"): PATIENT,
    ("POST", "/my/password/new"): PATIENT,
    ("POST", "/patients/{patient_id}/portal-invitation"): INVITE,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    return {"token": "no-such-link"}
