"""Who may use the outbox's routes: admins only (messages carry recipients and, in
their bodies, patients' data)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

ADMIN = frozenset({Role.ADMIN})

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/outbox"): ADMIN,
    ("POST", "/api/v1/outbox/{message_id}/retry"): ADMIN,
    ("GET", "/admin/outbox"): ADMIN,
    ("GET", "/admin/outbox/{message_id}"): ADMIN,
    ("POST", "/admin/outbox/{message_id}/content"): ADMIN,
    ("POST", "/admin/outbox/{message_id}/retry"): ADMIN,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    return {"message_id": 999_999}
